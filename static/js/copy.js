// "Copy" buttons: copies the value of the input named by data-copy-target, then says so in the
// words of data-copied (or data-copy-failed), which the page gives in its language. The buttons start
// hidden and are shown only where the clipboard API exists; the input stays selectable anyway.
(function () {
  if (!navigator.clipboard) return;
  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    const input = document.getElementById(button.dataset.copyTarget);
    if (!input) return;
    button.hidden = false;
    button.addEventListener("click", async function () {
      const label = button.querySelector("span");
      try {
        await navigator.clipboard.writeText(input.value);
        label.textContent = button.dataset.copied || "Copied";
      } catch (error) {
        input.select();
        label.textContent = button.dataset.copyFailed || "Press Ctrl+C";
      }
    });
  });
  document.querySelectorAll("input[readonly]").forEach(function (input) {
    input.addEventListener("focus", function () { input.select(); });
  });
})();
