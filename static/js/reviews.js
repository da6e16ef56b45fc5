// The review queue: decide a claim in place (the card is swapped, the page and its filters
// stay), confirm bulk decisions with their count, and keyboard shortcuts (listed on the page):
// j/k move between claims, a twice approves (the first only arms it), r focuses the note
// and Enter then rejects, x ticks, Esc disarms. Enter in a note never approves: the card's
// form rejects by default (Reject is its first button).
// Without this file every form still works: it posts and returns to the same filtered page.
(function () {
  "use strict";
  const cards = () => Array.from(document.querySelectorAll("[data-review-card]"));
  let current = -1;

  function focusCard(index) {
    const list = cards();
    if (!list.length) return null;
    current = Math.max(0, Math.min(index, list.length - 1));
    const card = list[current];
    for (const other of list) other.classList.remove("border-primary");
    card.classList.add("border-primary");
    card.focus({ preventScroll: true });
    card.scrollIntoView({ block: "nearest" });
    return card;
  }

  function currentCard() {
    const list = cards();
    const active = document.activeElement && document.activeElement.closest("[data-review-card]");
    if (active) current = list.indexOf(active);
    return current >= 0 ? list[current] : null;
  }

  // One claim fewer (or, after an undo, one more) matches the filters: keep the "select all N"
  // label and the count the server checks against in step, so a bulk action after in-place
  // decisions is not refused.
  function countDecided(delta) {
    const bulk = document.getElementById("bulk");
    const expected = bulk && bulk.querySelector("input[name=expected]");
    if (!expected) return;
    const left = Math.max(0, Number(expected.value) + delta);
    expected.value = String(left);
    for (const label of document.querySelectorAll("[data-matching-count]")) label.textContent = String(left);
    for (const button of bulk.querySelectorAll("[data-confirm-count]")) button.dataset.confirmCount = String(left);
  }

  async function decide(form, button) {
    const card = form.closest("[data-review-card]");
    const body = new FormData(form);
    // The last open claim on the page: once it is decided, the page is loaded again (the
    // next claims move up), and the server keeps the outcome as a message for that page.
    const undo = Boolean(form.querySelector("[data-review-undo]"));
    const last = !undo && document.querySelectorAll("[data-review-note]").length === 1;
    const headers = { "X-Review-Card": "1" };
    if (last) headers["X-Review-Last"] = "1";
    for (const b of form.querySelectorAll("button")) b.disabled = true;
    let response;
    try {
      // button.formAction is the page's own URL when the button has no formaction attribute.
      const action = button.hasAttribute("formaction") ? button.formAction : form.action;
      response = await fetch(action, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: headers,
      });
    } catch (error) {
      form.dataset.plain = "1";
      form.requestSubmit(button);
      return;
    }
    const html = await response.text();
    if (response.redirected || !response.headers.get("X-Review-Card")) {
      form.dataset.plain = "1";  // not a card (signed out, server error): let the page show it
      form.requestSubmit(button);
      return;
    }
    const holder = document.createElement("div");
    holder.innerHTML = html.trim();
    const fresh = holder.querySelector("[data-review-card]");
    card.replaceWith(fresh);
    if (response.ok) countDecided(undo ? 1 : -1);  // an undone claim matches the filters again
    if (response.ok && last) {
      window.location.assign(body.get("next") || window.location.href);
      return;
    }
    const note = fresh.querySelector("[data-review-note].is-invalid");
    if (note) note.focus();
    else focusCard(cards().indexOf(fresh));
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.matches("[data-review-form]") && !form.dataset.plain) {
      event.preventDefault();
      // No submitter (a script's submit()): the form's own action, never Approve.
      decide(form, event.submitter || form.querySelector("[data-review-reject], [data-review-undo]"));
    } else if (form.id === "bulk") {
      const all = form.querySelector("[data-review-matching]").checked;
      const count = all
        ? Number(event.submitter.dataset.confirmCount)
        : document.querySelectorAll("[data-review-tick]:checked").length;
      const verb = event.submitter.value === "reject" ? "Reject" : "Approve";
      const what = count === 1 ? "1 claim" : count + " claims";
      if (count && !window.confirm(verb + " " + what + (all ? " matching the filters" : "") + "?")) {
        event.preventDefault();
      }
    }
  });

  const matching = document.querySelector("[data-review-matching]");
  if (matching) {
    matching.addEventListener("change", () => {
      for (const box of document.querySelectorAll("[data-review-tick]")) box.checked = matching.checked;
    });
  }

  // Approving by keyboard takes two presses of "a" on the same card within a few seconds.
  let armed = null;
  let armedTimer = 0;
  function disarm() {
    if (armed) armed.querySelector("[data-review-armed]")?.classList.add("d-none");
    armed = null;
    window.clearTimeout(armedTimer);
  }
  function arm(card) {
    disarm();
    const hint = card.querySelector("[data-review-armed]");
    const approve = card.querySelector("[data-review-approve]");
    if (!hint || !approve || approve.disabled) return;
    armed = card;
    hint.classList.remove("d-none");
    armedTimer = window.setTimeout(disarm, 4000);
  }

  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (event.key === "Escape") {
      disarm();
      return;
    }
    // Enter in the reason for approving without the exporter's confirmation sends nothing (the
    // form's default is Reject, which this field is not about): the officer presses Approve.
    if (event.key === "Enter" && target.matches && target.matches("[data-review-unconfirmed]")) {
      event.preventDefault();
      return;
    }
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (target.closest && target.closest("input, textarea, select, [contenteditable]")) return;
    const card = currentCard();
    if (event.key === "j") focusCard(current + 1);
    else if (event.key === "k") focusCard(current - 1);
    else if (card && event.key === "a") {
      if (armed === card) {
        disarm();
        card.querySelector("[data-review-approve]")?.click();
      } else arm(card);
    } else if (card && event.key === "x") card.querySelector("[data-review-tick]")?.click();
    else if (card && event.key === "r") {
      const note = card.querySelector("[data-review-note]");
      if (!note) return;
      event.preventDefault();  // the "r" is not typed into the note
      disarm();
      note.focus();
    } else return;
    event.preventDefault();
  });
})();
