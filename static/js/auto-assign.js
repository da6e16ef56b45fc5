// Auto-assignment preview: the "by startup" summary and the apply button follow the ticks and
// the startup chosen in each row, so what is shown is what "Apply ticked" will send. The
// server counts again on the confirmation page; this is only the preview.
(function () {
  const table = document.getElementById("proposals");
  const summary = document.getElementById("ticked-by-startup");
  if (!table) return;
  function startupOf(box) {
    const select = box.closest("tr").querySelector("select[data-proposal-startup]");
    return select ? select.value : box.dataset.startup;
  }
  function recount() {
    const counts = {};
    let ticked = 0;
    for (const box of table.querySelectorAll('input[name="exporter"]')) {
      if (!box.checked) continue;
      ticked += 1;
      const startup = startupOf(box);
      counts[startup] = (counts[startup] || 0) + 1;
    }
    for (const label of document.querySelectorAll("[data-ticked-count]")) label.textContent = ticked.toLocaleString("en-IN");
    const button = document.querySelector('#apply-form button[name="apply"]');
    if (button) button.disabled = ticked === 0;
    if (!summary) return;
    for (const row of summary.querySelectorAll("tr[data-startup]")) {
      const gets = counts[row.dataset.startup] || 0;
      row.querySelector("[data-gets]").textContent = gets;
      row.querySelector("[data-after]").textContent = Number(row.dataset.before) + gets;
      row.classList.toggle("text-muted", gets === 0);
    }
  }
  document.addEventListener("change", (event) => {
    if (event.target.closest("#proposals")) recount();
  });
})();
