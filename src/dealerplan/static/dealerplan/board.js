// Deal board: drag a card to another stage column; the server decides (POST stage, JSON).
// Without JavaScript every card keeps its own stage <select> + Move button.
(function () {
  "use strict";
  var board = document.querySelector("[data-board]");
  if (!board) return;
  var status = document.getElementById("board-status");
  var dragged = null;
  var yuan = new Intl.NumberFormat("zh-CN", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

  function csrfToken(card) {
    var input = card.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // The header counts every deal of the stage, not only the cards shown, so a move shifts
  // one card's worth from one column to the other (in fen, to stay exact).
  function fen(value) {
    return Math.round(parseFloat(value || "0") * 100);
  }

  function shiftTotals(column, direction, card) {
    var count = column.querySelector("[data-count]");
    var sum = column.querySelector("[data-sum]");
    var total = fen(sum.dataset.value) + direction * fen(card.dataset.amount);
    count.textContent = parseInt(count.textContent, 10) + direction;
    sum.dataset.value = (total / 100).toFixed(2);
    sum.textContent = "¥" + yuan.format(total / 100);
  }

  function moveTotals(from, to, card) {
    shiftTotals(from, -1, card);
    shiftTotals(to, 1, card);
  }

  function announce(text) {
    if (status) status.textContent = text;
  }

  board.addEventListener("dragstart", function (event) {
    var card = event.target.closest(".deal-card");
    if (!card) return;
    dragged = card;
    card.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.deal);
  });

  board.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    board.querySelectorAll(".drop-target").forEach(function (el) { el.classList.remove("drop-target"); });
    dragged = null;
  });

  board.addEventListener("dragover", function (event) {
    var column = event.target.closest(".board-column");
    if (!column || !dragged) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    board.querySelectorAll(".drop-target").forEach(function (el) {
      if (el !== column) el.classList.remove("drop-target");
    });
    column.classList.add("drop-target");
  });

  board.addEventListener("drop", function (event) {
    var column = event.target.closest(".board-column");
    if (!column || !dragged) return;
    event.preventDefault();
    column.classList.remove("drop-target");
    var card = dragged;
    var from = card.parentElement;
    var next = card.nextElementSibling;
    var stage = column.dataset.stage;
    var fromColumn = card.closest(".board-column");
    if (fromColumn === column) return;
    column.querySelector("[data-cards]").appendChild(card);
    moveTotals(fromColumn, column, card);
    var body = new FormData();
    body.append("stage", stage);
    fetch(card.dataset.moveUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(card), Accept: "application/json" },
    })
      .then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok && data.ok, data: data }; });
      })
      .then(function (result) {
        if (!result.ok) throw new Error(result.data.error || "");
        var select = card.querySelector("select[name=stage]");
        if (select) select.value = stage;
        announce(result.data.message || "");
      })
      .catch(function (error) {
        from.insertBefore(card, next);
        moveTotals(column, fromColumn, card);
        announce(error.message);
        window.alert(error.message || board.dataset.errorText || "Error");
      });
  });
})();
