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
  // data-sw (signed in): the offline kit's worker
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
/* signout:begin */
// Signing out on a shared computer (form[data-signout]): first send the quiz answers still waiting on this device
// (outbox.js, loaded if the page has not got it), ask before losing those that cannot be sent, then remove all
// that this browser kept of Tadrib (caches, databases, service worker, tadrib-* keys) and submit. Every step has
// a time limit: signing out never hangs. The server's answer clears the site's data as well (Clear-Site-Data).
(function () {
  "use strict";
  var PREFIX = "tadrib-";
  var FLUSH_MS = 5000;
  var CLEAR_MS = 3000;
  var KNOWN_DATABASES = ["tadrib-answers", "tadrib-offline"];
  var form = document.querySelector("form[data-signout]");
  if (!form || !window.Promise) { return; }
  function ours(name) { return typeof name === "string" && name.indexOf(PREFIX) === 0; }
  function waiting() {
    try { return parseInt(window.localStorage.getItem("tadrib-outbox"), 10) || 0; } catch (e) { return 0; }
  }
  function within(ms, promise, late) {
    return Promise.race([promise, new Promise(function (resolve) { window.setTimeout(function () { resolve(late); }, ms); })]);
  }
  function loadOutbox() {
    if (window.TadribOutbox) { return Promise.resolve(window.TadribOutbox); }
    var src = form.getAttribute("data-outbox");
    if (!src) { return Promise.resolve(null); }
    return new Promise(function (resolve) {
      var script = document.createElement("script");
      script.src = src;
      script.onload = function () { resolve(window.TadribOutbox || null); };
      script.onerror = function () { resolve(null); };
      document.head.appendChild(script);
    });
  }
  // How many answers are left unsent once the outbox was flushed (at most FLUSH_MS).
  function flush() {
    if (!waiting()) { return Promise.resolve(0); }
    var sent = loadOutbox().then(function (outbox) {
      if (!outbox) { return waiting(); }
      return outbox.flush().then(function (left) { return typeof left === "number" ? left : waiting(); });
    });
    return within(FLUSH_MS, sent.catch(waiting), null).then(function (left) { return left === null ? waiting() : left; });
  }
  function dropDatabase(name) {
    return new Promise(function (resolve) {
      var request = window.indexedDB.deleteDatabase(name);
      request.onsuccess = request.onerror = request.onblocked = function () { resolve(); };
    });
  }
  function clearDevice() {
    var steps = [];
    if (window.TadribOutbox && window.TadribOutbox.forget) {
      steps.push(Promise.resolve().then(function () { return window.TadribOutbox.forget(); }));
    }
    if (navigator.serviceWorker && navigator.serviceWorker.getRegistrations) {
      steps.push(navigator.serviceWorker.getRegistrations().then(function (registrations) {
        return Promise.all(registrations.map(function (registration) { return registration.unregister(); }));
      }));
    }
    if (window.caches) {
      steps.push(window.caches.keys().then(function (names) {
        return Promise.all(names.filter(ours).map(function (name) { return window.caches.delete(name); }));
      }));
    }
    if (window.indexedDB) {
      var names = window.indexedDB.databases
        ? window.indexedDB.databases().then(function (list) { return list.map(function (db) { return db.name; }); })
        : Promise.resolve(KNOWN_DATABASES);
      steps.push(names.then(function (list) { return Promise.all(list.filter(ours).map(dropDatabase)); }));
    }
    [window.localStorage, window.sessionStorage].forEach(function (store) {
      try {
        for (var i = store.length - 1; i >= 0; i -= 1) {
          if (ours(store.key(i))) { store.removeItem(store.key(i)); }
        }
      } catch (e) { /* storage refused (private mode): nothing kept there */ }
    });
    return within(CLEAR_MS, Promise.all(steps.map(function (step) { return step.catch(function () {}); })), null);
  }
  var busy = false;
  // On the form itself: runs before the page-wide submit handler above, which then sees the event held back.
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) { return; }
    busy = true;
    flush().then(function (left) {
      if (left > 0 && !window.confirm((form.getAttribute("data-unsent") || "").replace("{n}", String(left)))) {
        busy = false;  // cancelled: still signed in, with everything kept
        return;
      }
      return clearDevice().then(function () { form.submit(); });
    }).catch(function () { form.submit(); });  // never a dead button: the server's answer clears the rest
  });
})();
/* signout:end */
