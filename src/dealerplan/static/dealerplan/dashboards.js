// Dashboard charts: each reads its figures from a json_script element; a button swaps the chart
// for the same figures as a table. Figures arrive as exact strings and are turned into numbers
// for drawing only.
(function () {
  if (!window.echarts) { return; }
  var lang = document.documentElement.lang || "zh-hans";
  var zh = lang.indexOf("zh") === 0;
  var COLORS = ["#0d6efd", "#20c997", "#fd7e14", "#6f42c1", "#dc3545", "#6c757d"];
  var grouping = new Intl.NumberFormat(zh ? "zh-CN" : "en", { maximumFractionDigits: 2 });

  function num(value) { return value === null || value === undefined ? null : parseFloat(value); }

  function short(value, unit) {
    if (value === null || value === undefined) { return "—"; }
    var v = Math.abs(value);
    if (unit === "money") {
      if (zh && v >= 10000) { return grouping.format(Math.round(value / 1000) / 10) + "万"; }
      if (!zh && v >= 1000000) { return grouping.format(Math.round(value / 100000) / 10) + "M"; }
      if (!zh && v >= 1000) { return grouping.format(Math.round(value / 100) / 10) + "k"; }
    }
    if (unit === "percent") { return grouping.format(value) + "%"; }
    return grouping.format(value);
  }

  function full(value, unit) {
    if (value === null || value === undefined) { return "—"; }
    if (unit === "money") { return "¥" + grouping.format(value); }
    if (unit === "percent") { return grouping.format(value) + "%"; }
    return grouping.format(value);
  }

  function seriesByKey(d, key) {
    for (var i = 0; i < d.series.length; i++) { if (d.series[i].key === key) { return d.series[i]; } }
    return null;
  }

  // Plan vs actual: one gauge per measure; its arc runs to the goal (目标), the grey part up to
  // the quota (任务), the blue bar is the actual. Side by side when wide, stacked on a phone.
  function gaugeOption(d, node) {
    var actual = seriesByKey(d, "actual"), quota = seriesByKey(d, "quota");
    var goal = seriesByKey(d, "goal"), ofQuota = seriesByKey(d, "of_quota");
    var n = d.labels.length;
    var narrow = node.clientWidth < 520;
    node.style.height = (narrow ? n * 160 : 230) + "px";
    var series = d.labels.map(function (label, i) {
      var a = num(actual.values[i]) || 0, q = num(quota.values[i]), g = num(goal.values[i]);
      var unit = i === 0 ? "units" : "money";
      var max = Math.max(g || 0, q || 0, a, 1);
      var stops = q ? [[q / max, "#dee2e6"], [1, "#d1e7dd"]] : [[1, "#dee2e6"]];
      var pct = ofQuota.values[i];
      var big = q ? (pct === null ? "—" : pct + "%") : short(a, unit);
      var small = q ? short(a, unit) + " / " + short(q, unit) : (d.words.no_plan || "");
      var center = narrow ? ["50%", (100 / n) * (i + 0.62) + "%"] : [(100 / n) * (i + 0.5) + "%", "60%"];
      return {
        type: "gauge", min: 0, max: max, center: center, radius: narrow ? 62 : "78%",
        startAngle: 200, endAngle: -20, splitNumber: 4,
        progress: { show: true, width: 12, itemStyle: { color: q ? COLORS[0] : "#adb5bd" } },
        axisLine: { lineStyle: { width: 12, color: stops } },
        axisTick: { show: false }, splitLine: { show: false }, axisLabel: { show: false },
        pointer: { show: false }, anchor: { show: false },
        title: { show: true, offsetCenter: [0, narrow ? "62%" : "58%"], fontSize: 13, color: "#495057" },
        detail: {
          valueAnimation: false, offsetCenter: [0, "5%"], lineHeight: 20,
          formatter: function () {
            return "{big|" + big + "}\n{small|" + small + "}";
          },
          rich: { big: { fontSize: 20, fontWeight: "bold", color: "#212529" }, small: { fontSize: 12, color: "#6c757d" } }
        },
        data: [{ value: a, name: label }]
      };
    });
    return {
      tooltip: {
        formatter: function (p) {
          var i = p.seriesIndex, unit = i === 0 ? "units" : "money";
          return p.name + "<br>" + actual.name + ": " + full(num(actual.values[i]), unit) +
            "<br>" + quota.name + ": " + full(num(quota.values[i]), unit) +
            "<br>" + goal.name + ": " + full(num(goal.values[i]), unit);
        }
      },
      series: series
    };
  }

  function funnelOption(d) {
    var s = d.series[0];
    return {
      color: COLORS,
      tooltip: { trigger: "item", formatter: function (p) { return p.name + ": " + full(p.value, "int"); } },
      series: [{
        type: "funnel", sort: "none", left: "8%", right: "8%", top: 8, bottom: 8, minSize: "40%", gap: 2,
        label: { show: true, position: "inside", color: "#fff", formatter: function (p) { return p.name + "  " + full(p.value, "int"); } },
        data: d.labels.map(function (label, i) { return { name: label, value: num(s.values[i]) }; })
      }]
    };
  }

  function categoryOption(d, node) {
    var horizontal = d.kind === "hbars";
    var narrow = node.clientWidth < 520;
    var few = horizontal || d.labels.length <= 6;
    var units = [null, null];
    d.series.forEach(function (s) { if (units[s.axis] === null) { units[s.axis] = s.unit; } });
    var valueAxes = units.filter(function (u) { return u !== null; }).map(function (unit, i) {
      return {
        type: "value", position: horizontal ? (i === 0 ? "bottom" : "top") : (i === 0 ? "left" : "right"),
        splitLine: { show: i === 0 }, minInterval: unit === "money" ? 0 : 1,
        axisLabel: { formatter: function (v) { return short(v, unit); }, fontSize: 11, hideOverlap: true }
      };
    });
    var categoryAxis = {
      type: "category", data: d.labels, inverse: horizontal,
      axisLabel: few ? { fontSize: 11, interval: 0, width: horizontal ? 90 : Math.max(40, Math.floor((node.clientWidth - 70) / d.labels.length)), overflow: "break" }
        : { fontSize: 11, interval: "auto", rotate: narrow ? 45 : 0, hideOverlap: true }
    };
    if (horizontal) { node.style.height = Math.max(240, d.labels.length * 44 + 90) + "px"; }
    return {
      color: COLORS,
      tooltip: {
        trigger: "axis", confine: true,
        valueFormatter: null,
        formatter: function (items) {
          var lines = [items[0].axisValueLabel];
          items.forEach(function (p) {
            var s = d.series[p.seriesIndex];
            lines.push(p.marker + s.name + ": " + full(p.value, s.unit));
          });
          return lines.join("<br>");
        }
      },
      legend: { top: 0, left: "center", textStyle: { fontSize: 11 }, itemGap: 8 },
      grid: { left: 8, right: 12, top: (narrow && d.series.length > 2 ? 56 : 32) + (horizontal && valueAxes.length > 1 ? 22 : 0), bottom: few && !horizontal ? 20 : 8, containLabel: true },
      xAxis: horizontal ? valueAxes : categoryAxis,
      yAxis: horizontal ? categoryAxis : valueAxes,
      series: d.series.map(function (s) {
        var item = {
          name: s.name, type: s.type, data: s.values.map(num), connectNulls: false,
          barMaxWidth: 28, symbolSize: 6
        };
        item[horizontal ? "xAxisIndex" : "yAxisIndex"] = s.axis;
        return item;
      })
    };
  }

  function optionFor(d, node) {
    if (d.kind === "gauge") { return gaugeOption(d, node); }
    if (d.kind === "funnel") { return funnelOption(d); }
    return categoryOption(d, node);
  }

  var charts = [];
  document.querySelectorAll("[data-dash-chart]").forEach(function (node) {
    var source = document.getElementById(node.getAttribute("data-dash-chart"));
    if (!source) { return; }
    var d = JSON.parse(source.textContent);
    var option = optionFor(d, node);
    var chart = echarts.init(node);
    chart.setOption(option);
    charts.push({ chart: chart, node: node, data: d });
  });

  function redraw() {
    charts.forEach(function (item) {
      if (item.node.classList.contains("d-none")) { return; }
      item.chart.setOption(optionFor(item.data, item.node), true);
      item.chart.resize();
    });
  }
  var pending = null;
  window.addEventListener("resize", function () {
    if (pending) { window.clearTimeout(pending); }
    pending = window.setTimeout(redraw, 120);
  });

  document.querySelectorAll("[data-dash-toggle]").forEach(function (button) {
    button.addEventListener("click", function () {
      var name = button.getAttribute("data-dash-toggle");
      var table = document.getElementById("dash-table-" + name);
      var node = document.getElementById("dash-chart-" + name);
      var showTable = table.classList.contains("d-none");
      table.classList.toggle("d-none", !showTable);
      node.classList.toggle("d-none", showTable);
      button.setAttribute("aria-pressed", showTable ? "true" : "false");
      button.classList.toggle("active", showTable);
      if (!showTable) { redraw(); }
    });
  });
})();
