// Charts (Chart.js) for the analytics pages: every <canvas data-line-chart="ID">, where ID
// names the page's json_script element holding {labels, series: [{label, values}, …], partial}.
//   data-chart-percent  a line chart whose value axis runs from 0 to 100 (%); a null value ends
//                       a series' line (a young cohort's curve stops at its age)
//   data-chart-counts   counts: bars, whole-number ticks only; the period at index `partial`
//                       (not over yet) is drawn pale so a short week does not read as a drop
// The same figures are in an accessible table under each chart.
(function () {
  const colours = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#dc3545", "#20c997", "#6c757d", "#d63384", "#0dcaf0", "#ffc107", "#495057", "#6610f2"];
  for (const canvas of document.querySelectorAll("canvas[data-line-chart]")) {
    const source = document.getElementById(canvas.dataset.lineChart);
    if (!source || typeof Chart === "undefined") continue;
    const data = JSON.parse(source.textContent);
    const counts = "chartCounts" in canvas.dataset;
    const options = { responsive: true, interaction: { mode: "index", intersect: false }, plugins: { legend: { position: "bottom" } } };
    if ("chartPercent" in canvas.dataset) options.scales = { y: { min: 0, max: 100, ticks: { callback: (v) => v + "%" } } };
    if (counts) options.scales = { y: { beginAtZero: true, ticks: { precision: 0 } } };
    const partial = typeof data.partial === "number" ? data.partial : -1;
    const datasets = data.series.map((s, i) => {
      const colour = colours[i % colours.length];
      if (!counts) return { label: s.label, data: s.values, borderColor: colour, backgroundColor: colour, tension: 0, pointRadius: 1, spanGaps: false };
      // "40" is 25% opacity in #rrggbbaa: the period still running is shaded, not hidden.
      const fill = s.values.map((_v, j) => (j === partial ? colour + "40" : colour));
      return { label: s.label, data: s.values, backgroundColor: fill, borderColor: colour, borderWidth: s.values.map((_v, j) => (j === partial ? 1 : 0)) };
    });
    new Chart(canvas, { type: counts ? "bar" : "line", data: { labels: data.labels, datasets: datasets }, options: options });
  }
})();
