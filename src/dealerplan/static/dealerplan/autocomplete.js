/* Autocomplete for big choice lists (core/widgets.py AutocompleteSelect), an ARIA 1.2 combobox.
   Type to search; Down/Up move through the matches, Enter or Tab picks one, Escape closes the
   list (or clears the choice when it is closed). The hidden input carries the chosen id; the
   server checks it against what the user may see. Events are delegated, so widgets that htmx
   swaps in work too, and the file may be included by several widgets on one page. */
(function () {
  "use strict";
  if (window.dealerplanAutocomplete) { return; }
  window.dealerplanAutocomplete = true;

  var DELAY = 250;

  function widgetOf(el) {
    var root = el && el.closest ? el.closest("[data-autocomplete]") : null;
    if (!root) { return null; }
    if (!root.acState) {
      var input = root.querySelector("[data-autocomplete-input]");
      root.acState = {
        root: root,
        input: input,
        value: root.querySelector("[data-autocomplete-value]"),
        list: root.querySelector("[role=listbox]"),
        status: root.querySelector("[data-autocomplete-status]"),
        chosenLabel: input.value,
        items: [],
        active: -1,
        timer: null,
        request: null,
        query: null
      };
    }
    return root.acState;
  }

  function message(w, key, count) {
    var text = w.root.getAttribute("data-msg-" + key) || "";
    return text.replace("{count}", String(count));
  }

  function announce(w, text) {
    if (w.status) { w.status.textContent = text; }
  }

  function isOpen(w) {
    return w.input.getAttribute("aria-expanded") === "true";
  }

  function close(w) {
    w.list.classList.remove("show");
    w.input.setAttribute("aria-expanded", "false");
    w.input.removeAttribute("aria-activedescendant");
    w.active = -1;
  }

  function open(w) {
    if (!w.items.length) { close(w); return; }
    w.list.classList.add("show");
    w.input.setAttribute("aria-expanded", "true");
  }

  function setActive(w, index) {
    var options = w.list.querySelectorAll("[role=option]");
    if (!options.length) { return; }
    if (index < 0) { index = options.length - 1; }
    if (index >= options.length) { index = 0; }
    options.forEach(function (option, i) {
      var on = i === index;
      option.classList.toggle("active", on);
      option.setAttribute("aria-selected", on ? "true" : "false");
    });
    w.active = index;
    w.input.setAttribute("aria-activedescendant", options[index].id);
    options[index].scrollIntoView({ block: "nearest" });
  }

  function render(w, data) {
    var results = (data && data.results) || [];
    w.items = results;
    w.active = -1;
    w.list.textContent = "";
    results.forEach(function (item, i) {
      var li = document.createElement("li");
      li.id = w.list.id + "_" + i;
      li.className = "dropdown-item text-wrap";
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      li.setAttribute("data-index", String(i));
      var name = document.createElement("span");
      name.className = "fw-medium";
      name.textContent = item.label;
      li.appendChild(name);
      if (item.detail) {
        var detail = document.createElement("span");
        detail.className = "small text-body-secondary ms-2";
        detail.textContent = item.detail;
        li.appendChild(detail);
      }
      w.list.appendChild(li);
    });
    if (!results.length) {
      close(w);
      announce(w, message(w, "none", 0));
      return;
    }
    open(w);
    announce(w, message(w, data.more ? "more" : "count", results.length));
  }

  function search(w) {
    var q = w.input.value.trim();
    var minChars = parseInt(w.root.getAttribute("data-min-chars") || "1", 10);
    if (q.length < minChars) {
      w.items = [];
      close(w);
      announce(w, q.length ? message(w, "short", minChars) : "");
      return;
    }
    if (q === w.query && w.items.length) { open(w); return; }
    if (w.request) { w.request.abort(); }
    var controller = window.AbortController ? new AbortController() : null;
    w.request = controller;
    var url = w.root.getAttribute("data-url");
    url += (url.indexOf("?") === -1 ? "?" : "&") + "q=" + encodeURIComponent(q);
    fetch(url, {
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-Requested-With": "XMLHttpRequest" },
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (data) {
      w.query = q;
      if (document.activeElement === w.input) { render(w, data); }
    }).catch(function (error) {
      if (error && error.name === "AbortError") { return; }
      close(w);
      announce(w, message(w, "error", 0));
    });
  }

  function choose(w, index) {
    var item = w.items[index];
    if (!item) { return; }
    w.value.value = String(item.id);
    w.input.value = item.label;
    w.chosenLabel = item.label;
    w.query = null;
    close(w);
    announce(w, item.label);
    w.value.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function clear(w) {
    w.value.value = "";
    w.input.value = "";
    w.chosenLabel = "";
    w.value.dispatchEvent(new Event("change", { bubbles: true }));
  }

  document.addEventListener("input", function (event) {
    if (!event.target.matches || !event.target.matches("[data-autocomplete-input]")) { return; }
    var w = widgetOf(event.target);
    if (w.input.value !== w.chosenLabel && w.value.value) {
      w.value.value = "";  // the text no longer names the chosen row
      w.chosenLabel = "";
      w.value.dispatchEvent(new Event("change", { bubbles: true }));
    }
    clearTimeout(w.timer);
    w.timer = setTimeout(function () { search(w); }, DELAY);
  });

  document.addEventListener("keydown", function (event) {
    if (!event.target.matches || !event.target.matches("[data-autocomplete-input]")) { return; }
    var w = widgetOf(event.target);
    switch (event.key) {
      case "ArrowDown":
        event.preventDefault();
        if (!isOpen(w)) { search(w); if (isOpen(w)) { setActive(w, 0); } return; }
        setActive(w, w.active + 1);
        break;
      case "ArrowUp":
        event.preventDefault();
        if (isOpen(w)) { setActive(w, w.active - 1); }
        break;
      case "Enter":
        if (isOpen(w)) {
          event.preventDefault();  // picking, not submitting the form
          choose(w, w.active >= 0 ? w.active : (w.items.length === 1 ? 0 : -1));
        }
        break;
      case "Tab":
        if (isOpen(w) && w.active >= 0) { choose(w, w.active); } else { close(w); }
        break;
      case "Escape":
        if (isOpen(w)) { event.preventDefault(); close(w); } else if (w.value.value) { clear(w); }
        break;
    }
  });

  // mousedown, not click: the input keeps the focus, so the list is not closed first.
  document.addEventListener("mousedown", function (event) {
    var option = event.target.closest ? event.target.closest("[data-autocomplete] [role=option]") : null;
    if (!option) { return; }
    event.preventDefault();
    var w = widgetOf(option);
    choose(w, parseInt(option.getAttribute("data-index"), 10));
  });

  document.addEventListener("focusout", function (event) {
    if (!event.target.matches || !event.target.matches("[data-autocomplete-input]")) { return; }
    var w = widgetOf(event.target);
    clearTimeout(w.timer);
    if (!w.root.contains(event.relatedTarget)) { close(w); }
  });

  document.addEventListener("focusin", function (event) {
    if (!event.target.matches || !event.target.matches("[data-autocomplete-input]")) { return; }
    var w = widgetOf(event.target);
    if (!w.value.value && w.input.value.trim()) { search(w); }
  });
})();
