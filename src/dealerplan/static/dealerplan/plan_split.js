// Live sum check for a manager's own split of a month over consultants.
(function () {
  var inputs = Array.prototype.slice.call(document.querySelectorAll(".split-input"));
  var sums = Array.prototype.slice.call(document.querySelectorAll(".split-sum"));
  if (!inputs.length) { return; }
  function cents(text) {
    var n = Number(String(text).replace(/,/g, "").trim() || "0");
    return isFinite(n) ? Math.round(n * 100) : NaN;
  }
  function refresh() {
    sums.forEach(function (cell) {
      var total = 0;
      inputs.forEach(function (input) {
        if (input.dataset.metric === cell.dataset.metric && input.dataset.kind === cell.dataset.kind) {
          total += cents(input.value);
        }
      });
      var target = cents(cell.dataset.target);
      cell.textContent = isNaN(total) ? "?" : (total / 100).toLocaleString("zh-CN", {maximumFractionDigits: 2});
      cell.classList.toggle("text-danger", total !== target);
      cell.classList.toggle("text-success", total === target);
      cell.classList.toggle("fw-bold", true);
    });
  }
  inputs.forEach(function (input) { input.addEventListener("input", refresh); });
  refresh();
})();
