// Bar charts (Chart.js) for every <canvas data-chart="ID">, where ID names the page's
// json_script element holding the data: {labels, label, values} for one series, or
// {labels, series: [{label, values}, …]} for several. Options, as data attributes:
//   data-chart-horizontal  bars run left to right (category axis on y)
//   data-chart-integer     value axis ticks are whole numbers only
//   data-chart-colours     space-separated colours, one per series
(function () {
  for (const canvas of document.querySelectorAll("canvas[data-chart]")) {
    const source = document.getElementById(canvas.dataset.chart);
    if (!source) continue;
    const data = JSON.parse(source.textContent);
    const colours = (canvas.dataset.chartColours || "#0d6efd").split(" ");
    const series = data.series || [{ label: data.label, values: data.values }];
    const horizontal = "chartHorizontal" in canvas.dataset;
    const options = { indexAxis: horizontal ? "y" : "x", responsive: true, plugins: { legend: { display: series.length > 1 } } };
    if ("chartInteger" in canvas.dataset) options.scales = { [horizontal ? "x" : "y"]: { ticks: { precision: 0 } } };
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: series.map((s, i) => ({ label: s.label, data: s.values, backgroundColor: colours[i % colours.length] })),
      },
      options: options,
    });
  }
})();
