// Behaviour every page may use, kept out of the templates: the pages run under a
// Content-Security-Policy that allows no inline script and no style="" attribute.
(function () {
  // Progress bars carry their width as data-width="42" (a percentage); setting it here
  // through the style object is allowed by the policy, a style attribute in the HTML is not.
  for (const bar of document.querySelectorAll("[data-width]")) {
    const percent = Math.min(100, Math.max(0, Number(bar.dataset.width) || 0));
    bar.style.width = percent + "%";
  }

  // A "select all" checkbox: data-select-all holds the selector of the boxes it ticks.
  for (const master of document.querySelectorAll("input[type=checkbox][data-select-all]")) {
    master.addEventListener("change", () => {
      for (const box of document.querySelectorAll(master.dataset.selectAll)) box.checked = master.checked;
    });
  }

  // A form that came back with errors: move focus to its summary so the problems are read
  // out and seen even when the first one is far below; each entry focuses its field.
  const summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
    summary.scrollIntoView({ block: "start" });
  } else {
    const invalid = document.querySelector(".is-invalid");
    if (invalid) invalid.focus();
  }
  for (const link of document.querySelectorAll("[data-focus-field]")) {
    link.addEventListener("click", (event) => {
      const field = document.getElementById(link.dataset.focusField);
      if (!field) return;
      event.preventDefault();
      field.scrollIntoView({ block: "center" });
      field.focus();
    });
  }

  // A table larger than its frame (.table-responsive) scrolls inside it. A keyboard scrolls it
  // through a link or button inside; a table of plain figures has none, so its frame becomes a
  // tab stop, named after the table, for as long as it scrolls (WCAG 2.1.1, keyboard).
  const FOCUSABLE = "a[href], button, input, select, textarea, [tabindex]:not([tabindex='-1'])";
  function reachScrollingTables() {
    for (const frame of document.querySelectorAll(".table-responsive")) {
      if (!frame.hasAttribute("data-scroll-stop") && frame.querySelector(FOCUSABLE)) continue;
      const scrolls = frame.scrollWidth > frame.clientWidth || frame.scrollHeight > frame.clientHeight;
      if (scrolls && !frame.hasAttribute("data-scroll-stop")) {
        const table = frame.querySelector("table");
        const heading = frame.previousElementSibling;
        const section = frame.closest("[aria-labelledby]");
        frame.dataset.scrollStop = "";
        frame.tabIndex = 0;
        frame.setAttribute("role", "region");
        if (table && table.caption) frame.setAttribute("aria-label", table.caption.textContent.trim());
        else if (section) frame.setAttribute("aria-labelledby", section.getAttribute("aria-labelledby"));
        else if (heading && /^H[1-6]$/.test(heading.tagName)) frame.setAttribute("aria-label", heading.textContent.trim());
        else frame.setAttribute("aria-label", "Table");
      } else if (!scrolls && frame.hasAttribute("data-scroll-stop")) {
        delete frame.dataset.scrollStop;
        for (const name of ["tabindex", "role", "aria-label", "aria-labelledby"]) frame.removeAttribute(name);
      }
    }
  }
  reachScrollingTables();
  window.addEventListener("resize", reachScrollingTables);

  // A GSTIN starts with its GST state code: pick that state while the state is still blank.
  for (const gstin of document.querySelectorAll("input[data-state-from-gstin]")) {
    const state = document.getElementById(gstin.dataset.stateFromGstin);
    if (!state) continue;
    let filled = false;
    gstin.addEventListener("input", () => {
      const code = gstin.value.replace(/[\s-]/g, "").slice(0, 2);
      const option = /^[0-9]{2}$/.test(code) && state.querySelector(`option[value="${code}"]`);
      if (option && (state.value === "" || filled)) {
        state.value = code;
        filled = true;
      }
    });
  }
})();
