/* Tadrib: progressive enhancement only. Every page works without this file. */
(function () {
  "use strict";
  // Confirm destructive actions declared with data-confirm.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
      return;
    }
    // A second click while the first submission travels is ignored (the server is idempotent anyway).
    if ((form.getAttribute("method") || "").toLowerCase() === "post" && !form.hasAttribute("data-multi")) {
      if (form.dataset.submitted === "1") { event.preventDefault(); return; }
      form.dataset.submitted = "1";
      window.setTimeout(function () { form.dataset.submitted = ""; }, 8000);
    }
  });
  // The check-in screen shows a code that changes every minute: reload it when the code changes. (A
  // <meta refresh> would also reload it without JavaScript, but timed refreshes fail WCAG 2.2.1; the
  // screen keeps a "Refresh" link for that case.)
  var display = document.querySelector("[data-reload-after]");
  if (display) {
    var seconds = parseInt(display.getAttribute("data-reload-after"), 10) || 30;
    window.setTimeout(function () { window.location.reload(); }, (seconds + 1) * 1000);
  }
})();
