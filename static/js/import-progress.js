// Polls an import's status while it runs in the background and moves the progress bar;
// reloads the page when the import reaches its preview, its result or a failure. The first
// look is soon: a small file is read and checked within a second of its upload.
(function () {
  const box = document.getElementById("import-progress");
  if (!box) return;
  const bar = box.querySelector(".progress-bar");
  const meter = box.querySelector(".progress");
  const processed = document.getElementById("import-processed");
  const status = document.getElementById("import-status");
  async function poll() {
    try {
      const response = await fetch(box.dataset.statusUrl, { headers: { Accept: "application/json" } });
      if (response.ok) {
        const data = await response.json();
        bar.style.width = data.percent + "%";
        bar.textContent = data.percent + "%";
        meter.setAttribute("aria-valuenow", data.percent);
        processed.textContent = data.progress_text;
        status.textContent = data.status_display;
        if (!data.running) {
          window.location.reload();
          return;
        }
      }
    } catch (error) {
      // A dropped request is retried on the next tick.
    }
    window.setTimeout(poll, 1000);
  }
  window.setTimeout(poll, 500);
})();
