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
