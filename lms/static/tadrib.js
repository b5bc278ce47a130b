/* Tadrib: progressive enhancement only. Every page works without this file. */
(function () {
  "use strict";
  // Confirm destructive actions declared with data-confirm.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    // A submission another script held back (the quiz waits for an autosave under way, then submits again) did
    // not leave: neither confirm it nor count it as the first click, or its second submission would be dropped.
    if (event.defaultPrevented) { return; }
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
  // The header's menu folds away on a phone (a <details>); on a wide screen the stylesheet shows it in the bar
  // with ::details-content. Where that is unknown, open it on a wide screen (and fold it again on a narrow one).
  var menu = document.querySelector("details.site-menu");
  if (menu && !(window.CSS && CSS.supports && CSS.supports("selector(::details-content)")) && window.matchMedia) {
    var wide = window.matchMedia("(min-width: 48rem)");
    var sync = function () { menu.open = wide.matches; };
    sync();
    if (wide.addEventListener) { wide.addEventListener("change", sync); }
  }
  // The check-in screen shows a code that changes every minute: reload it when the code changes. (A
  // <meta refresh> would also reload it without JavaScript, but timed refreshes fail WCAG 2.2.1; the
  // screen keeps a "Refresh" link for that case.)
  var display = document.querySelector("[data-reload-after]");
  if (display) {
    var seconds = parseInt(display.getAttribute("data-reload-after"), 10) || 30;
    window.setTimeout(function () { window.location.reload(); }, (seconds + 1) * 1000);
  }
  /* sw:begin */
  // Signed-in pages carry data-sw: the service worker that keeps the courses stored for offline reading.
  var root = document.documentElement, sw = root.getAttribute("data-sw");
  if (sw && "serviceWorker" in navigator) {
    navigator.serviceWorker.register(sw, {scope: new URL("..", new URL(sw, location.href)).pathname}).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (reg) {
      var last = +window.localStorage.getItem("tadrib-sw-refresh") || 0, now = Date.now();
      reg.active.postMessage({type: "lang", lang: root.lang});
      if (navigator.onLine && !root.hasAttribute("data-offline-copy") && !(now - last < 6e5)) {
        window.localStorage.setItem("tadrib-sw-refresh", String(now));
        reg.active.postMessage({type: "refresh"});
      }
    }).catch(function () {});
  }
  /* sw:end */
})();
