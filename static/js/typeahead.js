// A type-ahead for text inputs marked data-typeahead="<lookup URL>" (the ARIA 1.2 combobox
// pattern): typing asks the URL for {results: [{id, label}]}, the matches show as a listbox
// under the input, arrows move, Enter or a tap chooses, Escape closes. The chosen id goes
// into the hidden input named by data-typeahead-target. Without this script the input is a
// plain text box and the server matches what was typed.
(function () {
  "use strict";
  const WAIT_MS = 200;

  function setUp(input) {
    const hidden = document.getElementById(input.dataset.typeaheadTarget);
    const list = document.createElement("ul");
    list.id = input.id + "-listbox";
    list.className = "list-group typeahead-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", input.dataset.typeaheadList || "Matching exporters");
    list.hidden = true;
    input.insertAdjacentElement("afterend", list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    const status = document.createElement("div");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    list.insertAdjacentElement("afterend", status);

    let active = -1;
    let timer = null;
    let asked = "";

    function options() {
      return Array.from(list.querySelectorAll("[role=option]"));
    }
    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }
    function highlight(index) {
      const all = options();
      if (!all.length) return;
      active = (index + all.length) % all.length;
      all.forEach((option, i) => {
        option.classList.toggle("active", i === active);
        option.setAttribute("aria-selected", i === active ? "true" : "false");
      });
      input.setAttribute("aria-activedescendant", all[active].id);
      all[active].scrollIntoView({ block: "nearest" });
    }
    function choose(option) {
      input.value = option.textContent;
      if (hidden) hidden.value = option.dataset.id;
      close();
    }
    function show(results) {
      list.replaceChildren();
      results.forEach((result, i) => {
        const item = document.createElement("li");
        item.id = list.id + "-" + i;
        item.className = "list-group-item list-group-item-action text-break";
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        item.dataset.id = result.id;
        item.textContent = result.label;
        // pointerdown, not click: it comes before the input's blur closes the list.
        item.addEventListener("pointerdown", (event) => {
          event.preventDefault();
          choose(item);
        });
        list.appendChild(item);
      });
      status.textContent = results.length
        ? (input.dataset.typeaheadFound || "%(count)s matches").replace("%(count)s", results.length.toLocaleString("en-IN"))
        : input.dataset.typeaheadNone || "No exporter matches";
      list.hidden = !results.length;
      input.setAttribute("aria-expanded", results.length ? "true" : "false");
      active = -1;
    }
    async function ask(term) {
      asked = term;
      const url = new URL(input.dataset.typeahead, window.location.href);
      url.searchParams.set("q", term);
      try {
        const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
        if (!response.ok || term !== asked) return;
        const data = await response.json();
        if (term === asked) show(data.results || []);
      } catch (error) {
        close(); // offline: the typed text still goes to the server, which matches it
      }
    }

    input.addEventListener("input", () => {
      if (hidden) hidden.value = ""; // typing again undoes an earlier choice
      clearTimeout(timer);
      const term = input.value.trim();
      if (term.length < 2) {
        asked = "";
        close();
        return;
      }
      timer = setTimeout(() => ask(term), WAIT_MS);
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (list.hidden) return;
        event.preventDefault();
        highlight(active + (event.key === "ArrowDown" ? 1 : -1));
      } else if (event.key === "Enter" && !list.hidden && active >= 0) {
        event.preventDefault();
        choose(options()[active]);
      } else if (event.key === "Escape") {
        close();
      }
    });
    input.addEventListener("blur", close);
  }

  document.querySelectorAll("input[data-typeahead]").forEach(setUp);
})();
