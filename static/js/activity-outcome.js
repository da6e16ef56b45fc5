// Log work: the "How did it go?" field matters for a call or visit only, so it is shown for
// those kinds alone. The kinds come from the kind field's data-outcome-kinds; the server
// still decides (it requires an outcome for a call or visit and drops one for other work).
(function () {
  "use strict";
  document.querySelectorAll("select[data-outcome-kinds]").forEach(function (kind) {
    const form = kind.form;
    const outcome = form && form.querySelector("[name=outcome]");
    if (!outcome) return;
    const wrapper = outcome.closest("[id^=div_id_]") || outcome.parentElement;
    const kinds = kind.dataset.outcomeKinds.split(" ");
    function show() {
      const needed = kinds.indexOf(kind.value) !== -1;
      wrapper.hidden = !needed;
      outcome.required = needed;
    }
    kind.addEventListener("change", show);
    show();
  });
})();
