/* Quiz autosave: every change is sent to the server at once (text after a short pause). Without
   JavaScript the page's "Save" button does the same.

   Each save carries a number higher than any this page sent before, and each answer the number it was stored
   with as this page last saw it (base-<question>). The server stores an answer only when nobody saved that
   question since (another tab, a phone): otherwise it refuses it and says so, and so does this page. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  if (!form || !window.fetch || !window.FormData) { return; }
  var url = form.getAttribute("data-autosave");
  var status = document.querySelector("[data-save-status]");
  var timer = null;
  var inFlight = false;
  var again = false;
  var pendingSubmit = null;
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

  function send() {
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
        showStatus(status && (status.getAttribute("data-offline") || "…"), false);
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

  form.addEventListener("change", function (event) { markChanged(event.target); window.clearTimeout(timer); send(); });
  // The page's own buttons (Save, Next, Review) also save. They wait for an autosave under way, so that they are
  // numbered after it and carry the answers' numbers it stored.
  form.addEventListener("submit", function (event) {
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
      timer = window.setTimeout(send, 1500);
    }
  });
})();
