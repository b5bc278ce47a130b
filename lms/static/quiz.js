/* Quiz autosave: every change is sent to the server at once (text after a short pause). Without
   JavaScript the page's "Save" button does the same.

   Each save carries a number higher than any this page sent before, and each answer the number it was stored
   with as this page last saw it (base-<question>). The server stores an answer only when nobody saved that
   question since (another tab, a phone): otherwise it refuses it and says so, and so does this page.

   With IndexedDB (outbox.js), each change is first kept on this device, then sent in order with an idempotency
   key, so that a change made without a connection is sent, once, when it returns. Without it, the changes are
   sent directly, as before. */
(function () {
  "use strict";
  // The summary's Submit: without a connection it says so and stays (the answers are on the server already).
  var submitForm = document.querySelector("form[data-needs-connection]");
  if (submitForm) {
    submitForm.addEventListener("submit", function (event) {
      if (navigator.onLine !== false) { return; }
      event.preventDefault();
      var note = submitForm.querySelector("[data-connection-status]");
      if (note) { note.textContent = submitForm.getAttribute("data-needs-connection"); note.hidden = false; }
    });
  }
  var form = document.querySelector("form[data-autosave]");
  if (!form || !window.fetch || !window.FormData) { return; }
  var url = form.getAttribute("data-autosave");
  var status = document.querySelector("[data-save-status]");
  var timer = null;
  var inFlight = false;
  var again = false;
  var pendingSubmit = null;
  var mode = null;  // "device" (the outbox) or "online" (direct saves); null until IndexedDB answered
  // The questions changed on this page and not stored yet: an autosave sends these only, never an answer this
  // page merely shows (another window may have changed it since).
  var dirty = {};
  var bases = {};
  Array.prototype.forEach.call(form.querySelectorAll("[data-base]"), function (input) {
    bases[input.getAttribute("data-base")] = input;
  });
  var seqField = form.querySelector("[data-seq]");
  function nextSeq() {
    var value = (parseInt(seqField.value, 10) || 0) + 1;
    seqField.value = String(value);
    return value;
  }
  function markChanged(target) {
    var fieldset = target.closest ? target.closest("fieldset.question") : null;
    if (fieldset && fieldset.id.indexOf("question-") === 0) { dirty[fieldset.id.slice(9)] = true; }
  }
  function showStatus(message, ok) {
    if (!status) { return; }
    if (message) { status.textContent = message; }
    status.classList.toggle("save-error", !ok);
  }
  function say(name) { return status ? status.getAttribute("data-" + name) : ""; }
  function sayCount(name, n) {
    var forms = {};
    try { forms = JSON.parse(say("plurals") || "{}")[name] || {}; } catch (error) { forms = {}; }
    var category = "other";
    try { category = new Intl.PluralRules(document.documentElement.lang || undefined).select(n); } catch (error) { /* old browser */ }
    return (forms[category] || forms.other || "").replace("{n}", String(n));
  }

  /* ---- direct saves (no IndexedDB): as before ---- */
  function send() {
    if (mode === "device") { sendToDevice(); return; }
    if (inFlight) { again = true; return; }
    var sending = Object.keys(dirty);
    if (!sending.length) { return; }
    inFlight = true;
    dirty = {};
    nextSeq();
    var data = new FormData(form);
    data.delete("action");
    data.delete("shown");
    sending.forEach(function (qid) { data.append("shown", qid); });
    fetch(url, { method: "POST", body: data, credentials: "same-origin",
                 headers: { "Accept": "application/json", "X-Requested-With": "fetch" } })
      .then(function (response) {
        return response.json().then(function (body) { return { status: response.status, body: body }; });
      })
      .then(function (result) {
        var body = result.body;
        if (body.redirect) { window.location.assign(body.redirect); return; }
        var stored = body.stored || {};
        Object.keys(stored).forEach(function (qid) {
          if (bases[qid]) { bases[qid].value = String(stored[qid]); }
        });
        // Refused (another window saved the question since): still not stored, and said so at every save.
        (body.refused || []).forEach(function (qid) { dirty[qid] = true; });
        if (!body.ok && !(body.refused || []).length) {
          sending.forEach(function (qid) { dirty[qid] = true; });
        }
        showStatus(body.message, body.ok);
      })
      .catch(function () {
        sending.forEach(function (qid) { dirty[qid] = true; });
        showStatus(mode === "device" && timeOver() ? say("time-over") : (say("offline") || "…"), false);
      })
      .then(function () {
        inFlight = false;
        if (pendingSubmit) {
          var button = pendingSubmit;
          pendingSubmit = null;
          if (button === true || !form.requestSubmit) { nextSeq(); form.submit(); } else { form.requestSubmit(button); }
          return;
        }
        if (again) { again = false; send(); }
      });
  }

  /* ---- the device's outbox ---- */
  var outbox = window.TadribOutbox;
  var attempt = form.getAttribute("data-attempt");
  var latest = {};  // question -> the seq of this device's latest change of it (the base of the next one)
  var lastFields = {};  // question -> the fields of that change (an unchanged answer makes no entry)
  var releasing = false;  // a submission let through after the outbox was sent
  var clockKey = "tadrib-clock-" + attempt;
  var offset = 0;  // the server's clock minus this device's, measured when the page came from the server
  var deadline = form.getAttribute("data-deadline") ? Date.parse(form.getAttribute("data-deadline")) : null;

  function measureClock() {
    var stored = null;
    try { stored = window.localStorage.getItem(clockKey); } catch (error) { stored = null; }
    var fresh = !document.documentElement.hasAttribute("data-offline-copy");
    var serverNow = Date.parse(form.getAttribute("data-server-now") || "");
    if (fresh && !isNaN(serverNow)) {
      offset = serverNow - Date.now();
      try { window.localStorage.setItem(clockKey, String(offset)); } catch (error) { /* refused */ }
    } else if (stored !== null) {
      offset = parseInt(stored, 10) || 0;
    }
  }
  function timeOver() { return deadline !== null && Date.now() + offset > deadline; }

  function fieldsetOf(qid) { return document.getElementById("question-" + qid); }
  function fieldsOf(qid) {
    var fieldset = fieldsetOf(qid);
    var names = {};
    Array.prototype.forEach.call(fieldset ? fieldset.querySelectorAll("[name]") : [], function (el) {
      names[el.name] = true;
    });
    var fields = [];
    var data = new FormData(form);
    data.forEach(function (value, name) { if (names[name]) { fields.push([name, String(value)]); } });
    return fields;
  }
  function showFields(qid, fields) {
    var fieldset = fieldsetOf(qid);
    if (!fieldset) { return; }
    Array.prototype.forEach.call(fieldset.querySelectorAll("[name]"), function (el) {
      var values = fields.filter(function (pair) { return pair[0] === el.name; }).map(function (pair) { return pair[1]; });
      if (el.type === "radio" || el.type === "checkbox") {
        el.checked = values.indexOf(el.value) >= 0;
      } else {
        el.value = values.length ? values[0] : "";
      }
    });
  }
  function base(qid) {
    if (qid in latest) { return latest[qid]; }
    return bases[qid] ? (parseInt(bases[qid].value, 10) || 0) : 0;
  }
  function token() {
    var field = form.querySelector("input[name=csrf_token]");
    return field ? field.value : "";
  }

  function sendToDevice() {
    var changed = Object.keys(dirty);
    dirty = {};
    if (!changed.length) { flushNow(); return; }
    if (timeOver()) {
      // Past the time limit on the server's clock: nothing more is kept on this device; sent directly (the
      // server accepts it within the grace period), else lost, and said so.
      changed.forEach(function (qid) { dirty[qid] = true; });
      mode = "online";
      send();
      mode = "device";
      return;
    }
    var adds = changed.map(function (qid) {
      var fields = fieldsOf(qid);
      if (lastFields[qid] && JSON.stringify(lastFields[qid]) === JSON.stringify(fields)) { return null; }
      var seq = nextSeq();
      var entryBases = {};
      entryBases[qid] = base(qid);
      latest[qid] = seq;
      lastFields[qid] = fields;
      var answers = {};
      answers[qid] = fields;
      var entry = { key: window.crypto.randomUUID(), attempt: attempt, url: url, csrf: token(), seq: seq,
                    qids: [qid], fields: fields, bases: entryBases, at: new Date().toISOString() };
      return outbox.add(entry, answers);
    });
    Promise.all(adds).then(flushNow, function () {
      // IndexedDB refused (full, closed): the direct save, as without it
      mode = "online";
      changed.forEach(function (qid) { dirty[qid] = true; });
      send();
    });
  }
  function flushNow() { return outbox.flush(); }

  var lastMessage = null;
  var lastOk = true;
  var lateSaid = null;
  function onOutbox(event) {
    if (event.type === "sent" && event.entry.attempt === attempt) {
      var stored = event.body.stored || {};
      Object.keys(stored).forEach(function (qid) {
        if (bases[qid] && stored[qid] >= (parseInt(bases[qid].value, 10) || 0)) { bases[qid].value = String(stored[qid]); }
      });
      (event.body.refused || []).forEach(function (qid) {
        if (latest[qid] === event.entry.seq) { delete latest[qid]; delete lastFields[qid]; }
      });
      if (lastOk || !event.body.ok) { lastMessage = event.body.message; lastOk = event.body.ok; }
    } else if (event.type === "closed" && event.attempt === attempt) {
      if (event.dropped > 0 && event.body.closed === "time") {
        lateSaid = { n: event.dropped, redirect: event.body.redirect };
      } else if (event.body.redirect) {
        window.location.assign(event.body.redirect);
      }
    } else if (event.type === "done") {
      showOutcome(event);
      retryLater(event);
    }
  }
  // A send that failed with the connection said to be up (a flaky network, a server restarting) is tried again
  // after 1, 2, 4… seconds (at most 30); the "online" event sends at once.
  var retryDelay = 0;
  var retryTimer = null;
  function retryLater(event) {
    window.clearTimeout(retryTimer);
    if (!event.left || (event.problem !== "network" && event.problem !== "server") || navigator.onLine === false) {
      retryDelay = 0;  // sent, or nothing to retry, or offline: the "online" event will send
      return;
    }
    retryDelay = Math.min(retryDelay ? retryDelay * 2 : 1000, 30000);
    retryTimer = window.setTimeout(function () { if (navigator.onLine !== false) { flushNow(); } }, retryDelay);
  }
  function showOutcome(event) {
    if (lateSaid) {
      showStatus(sayCount("late", lateSaid.n), false);
      if (status && lateSaid.redirect) {
        var link = document.createElement("a");
        link.href = lateSaid.redirect;
        link.textContent = say("result-link");
        status.appendChild(document.createTextNode(" "));
        status.appendChild(link);
      }
      return;
    }
    if (event.left === 0) {
      if (lastMessage) { showStatus(lastMessage, lastOk); }
      lastMessage = null;
      lastOk = true;
      return;
    }
    if (event.problem === "signin") { showStatus(sayCount("signin", event.left), false); return; }
    if (timeOver()) { showStatus(say("device") + " " + say("time-over"), false); return; }
    showStatus(say("device"), false);
  }

  /* A page shown again (a reload, the service worker's stored copy, which may be older than this device's
     answers): each answer this device changed after the page's version of it is put back, and this page's saves
     are numbered after every save made on this device. */
  function overlay(stored) {
    var highest = 0;
    Object.keys(stored).forEach(function (qid) {
      var row = stored[qid];
      highest = Math.max(highest, row.seq || 0);
      var pageBase = bases[qid] ? (parseInt(bases[qid].value, 10) || 0) : null;
      if (pageBase === null) { return; }  // not on this page
      if (row.seq > pageBase) {
        showFields(qid, row.fields);
        latest[qid] = row.seq;
        lastFields[qid] = row.fields;
      }
    });
    if (highest >= (parseInt(seqField.value, 10) || 0)) { seqField.value = String(highest); }
  }

  function pageUrl(n) {
    var base = form.getAttribute("data-page-url");
    return base + (base.indexOf("?") >= 0 ? "&" : "?") + "page=" + n;
  }
  function askToStorePages() {
    var sw = navigator.serviceWorker;
    var pages = parseInt(form.getAttribute("data-pages"), 10) || 1;
    var page = parseInt(form.getAttribute("data-page"), 10) || 1;
    if (!sw || !sw.controller || pages < 2) { return; }
    var urls = [];
    for (var n = 1; n <= pages; n += 1) { if (n !== page) { urls.push(pageUrl(n)); } }
    sw.controller.postMessage({ type: "store", urls: urls });
  }
  function targetPage(action) {
    var page = parseInt(form.getAttribute("data-page"), 10) || 1;
    if (action === "next") { return page + 1; }
    if (action === "prev") { return page - 1; }
    if (action && action.indexOf("goto-") === 0) { return parseInt(action.slice(5), 10) || page; }
    return null;
  }
  function onSubmit(event) {
    if (releasing) { releasing = false; nextSeq(); return; }
    event.preventDefault();
    var submitter = event.submitter || null;
    var action = submitter ? submitter.value : "save";
    window.clearTimeout(timer);
    sendToDevice();
    flushNow().then(function (left) {
      if (left === 0 && navigator.onLine !== false) {
        releasing = true;
        if (submitter && form.requestSubmit) { form.requestSubmit(submitter); } else { releasing = false; nextSeq(); form.submit(); }
        return;
      }
      var page = targetPage(action);
      var stored = navigator.serviceWorker && navigator.serviceWorker.controller;  // it keeps the other pages
      if (page !== null && stored) { window.location.assign(pageUrl(page)); return; }
      if (action === "save") { showStatus(say("device"), false); return; }
      showStatus(say("needs-connection"), false);
    }, function () { showStatus(say("needs-connection"), false); });
  }

  function startDevice() {
    mode = "device";
    measureClock();
    var rule = document.querySelector("[data-offline-rule]");
    if (rule) { rule.hidden = false; }
    outbox.listen(onOutbox);
    outbox.answers(attempt).then(overlay, function () {}).then(function () {
      form.setAttribute("data-outbox", "on");  // the device keeps the answers from here on
      askToStorePages();
      sendToDevice();  // changes made while the store opened, then what an earlier visit left unsent
    });
    window.addEventListener("online", flushNow);
    window.setInterval(function () {
      var waiting = "0";
      try { waiting = window.localStorage.getItem("tadrib-outbox") || "0"; } catch (error) { waiting = "0"; }
      if (waiting !== "0" && navigator.onLine !== false) { flushNow(); }
    }, 10000);
  }
  function startOnline() {
    mode = "online";
    if (Object.keys(dirty).length) { send(); }
  }

  form.addEventListener("change", function (event) {
    markChanged(event.target);
    window.clearTimeout(timer);
    if (mode) { send(); }
  });
  // The page's own buttons (Save, Next, Review) also save. They wait for an autosave under way, so that they are
  // numbered after it and carry the answers' numbers it stored.
  form.addEventListener("submit", function (event) {
    if (mode === "device") { onSubmit(event); return; }
    window.clearTimeout(timer);
    if (inFlight) {
      event.preventDefault();
      pendingSubmit = event.submitter || true;
      return;
    }
    nextSeq();
  });
  form.addEventListener("input", function (event) {
    if (event.target.tagName === "TEXTAREA" || event.target.type === "text") {
      markChanged(event.target);
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { if (mode) { send(); } }, 1500);
    }
  });

  if (outbox && window.crypto && window.crypto.randomUUID && attempt) {
    outbox.ready().then(startDevice, startOnline);
  } else {
    startOnline();
  }
})();
