// Line charts (Chart.js) for the analytics pages: every <canvas data-line-chart="ID">, where ID
// names the page's json_script element holding {labels, series: [{label, values}, …]}.
//   data-chart-percent  the value axis runs from 0 to 100 (%)
// The same figures are in an accessible table under each chart.
(function () {
  const colours = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#dc3545", "#20c997", "#6c757d", "#d63384", "#0dcaf0", "#ffc107", "#495057", "#6610f2"];
  for (const canvas of document.querySelectorAll("canvas[data-line-chart]")) {
    const source = document.getElementById(canvas.dataset.lineChart);
    if (!source || typeof Chart === "undefined") continue;
    const data = JSON.parse(source.textContent);
    const options = { responsive: true, interaction: { mode: "index", intersect: false }, plugins: { legend: { position: "bottom" } } };
    if ("chartPercent" in canvas.dataset) options.scales = { y: { min: 0, max: 100, ticks: { callback: (v) => v + "%" } } };
    new Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: data.series.map((s, i) => ({ label: s.label, data: s.values, borderColor: colours[i % colours.length], backgroundColor: colours[i % colours.length], tension: 0.2, pointRadius: 1 })),
      },
      options: options,
    });
  }
})();
