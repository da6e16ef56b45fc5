// The pipeline board's compact view: narrow columns (ten fit at 1366 px), remembered on
// this device. Without JavaScript the board stays in its normal, readable view.
(function () {
  "use strict";
  const KEY = "portal.board.compact";
  const board = document.getElementById("board");
  const toggle = document.querySelector("[data-board-compact]");
  if (!board || !toggle) return;

  function remembered() {
    try { return window.localStorage.getItem(KEY) === "1"; } catch (e) { return false; }
  }

  function remember(on) {
    try { window.localStorage.setItem(KEY, on ? "1" : "0"); } catch (e) { /* private mode: not remembered */ }
  }

  function show(on) {
    board.classList.toggle("board-compact", on);
    toggle.setAttribute("aria-pressed", on ? "true" : "false");
  }

  toggle.addEventListener("click", function () {
    const on = !board.classList.contains("board-compact");
    show(on);
    remember(on);
  });
  show(remembered());
})();
