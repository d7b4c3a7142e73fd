// Plan vs actual chart: quota, goal and actual units per consultant.
(function () {
  var data = document.getElementById("progress-data");
  var node = document.getElementById("progress-chart");
  if (!data || !node || !window.echarts) { return; }
  var d = JSON.parse(data.textContent);
  var lang = document.documentElement.lang || "zh-hans";
  var zh = lang.indexOf("zh") === 0;
  var chart = echarts.init(node);
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 40, right: 16, top: 36, bottom: 60 },
    xAxis: { type: "category", data: d.names, axisLabel: { rotate: d.names.length > 6 ? 40 : 0 } },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: zh ? "实际" : "Actual", type: "bar", data: d.actual, itemStyle: { color: "#0d6efd" } },
      { name: zh ? "任务" : "Quota", type: "line", data: d.quota, symbol: "rect", itemStyle: { color: "#fd7e14" } },
      { name: zh ? "目标" : "Goal", type: "line", data: d.goal, lineStyle: { type: "dashed" }, itemStyle: { color: "#198754" } }
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
