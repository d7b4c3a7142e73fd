/* dealerplan: small progressive enhancements. CSRF for htmx comes from the
   hx-headers attribute on <body>, so nothing is needed here for that. */
(function () {
  "use strict";

  function each(root, selector, fn) {
    if (!root || !root.querySelectorAll) { return; }
    if (root.matches && root.matches(selector)) { fn(root); }
    root.querySelectorAll(selector).forEach(fn);
  }

  function initTooltips(root) {
    if (!window.bootstrap || !window.bootstrap.Tooltip) { return; }
    each(root, '[data-bs-toggle="tooltip"]', function (el) {
      window.bootstrap.Tooltip.getOrCreateInstance(el);
    });
  }

  function init(root) {
    initTooltips(root);
  }

  // Show / hide password button: <button data-password-toggle="#id_password">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-password-toggle]") : null;
    if (!button) { return; }
    var input = document.querySelector(button.getAttribute("data-password-toggle"));
    if (!input) { return; }
    var show = input.type === "password";
    input.type = show ? "text" : "password";
    button.setAttribute("aria-pressed", show ? "true" : "false");
    var label = button.getAttribute(show ? "data-label-hide" : "data-label-show");
    if (label) { button.setAttribute("aria-label", label); }
    var icon = button.querySelector(".bi");
    if (icon) {
      icon.classList.toggle("bi-eye", !show);
      icon.classList.toggle("bi-eye-slash", show);
    }
  });

  // The Content-Security-Policy forbids inline handlers (onchange=...), so these live here:
  // <select data-autosubmit> submits its form, <button data-print> prints the page,
  // <form data-confirm="question"> asks before it is sent.
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field && field.hasAttribute && field.hasAttribute("data-autosubmit") && field.form) {
      if (field.form.requestSubmit) { field.form.requestSubmit(); } else { field.form.submit(); }
    }
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-print]") : null;
    if (button) { window.print(); }
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form && form.matches && form.matches("form[data-confirm]") &&
        !window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
  // Content swapped in by htmx.
  document.addEventListener("htmx:load", function (event) { init(event.detail && event.detail.elt); });
})();
