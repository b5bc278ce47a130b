/* Quiz autosave: every change is sent to the server at once (text after a short pause). Without
   JavaScript the page's "Save" button does the same. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  if (!form || !window.fetch || !window.FormData) { return; }
  var url = form.getAttribute("data-autosave");
  var status = document.querySelector("[data-save-status]");
  var timer = null;
  var inFlight = false;
  var again = false;
  // Every save carries a higher number; the server ignores one that arrives after a newer one.
  var seqField = form.querySelector("[data-seq]");
  function nextSeq() {
    var value = (parseInt(seqField.value, 10) || 0) + 1;
    seqField.value = String(value);
    return value;
  }

  function send() {
    if (inFlight) { again = true; return; }
    inFlight = true;
    nextSeq();
    var data = new FormData(form);
    data.delete("action");
    fetch(url, { method: "POST", body: data, credentials: "same-origin",
                 headers: { "Accept": "application/json", "X-Requested-With": "fetch" } })
      .then(function (response) {
        return response.json().then(function (body) { return { status: response.status, body: body }; });
      })
      .then(function (result) {
        if (result.body.redirect) { window.location.assign(result.body.redirect); return; }
        if (status && result.body.message) { status.textContent = result.body.message; }
        if (status) { status.classList.toggle("save-error", !result.body.ok); }
      })
      .catch(function () {
        if (status) {
          status.textContent = status.getAttribute("data-offline") || "…";
          status.classList.add("save-error");
        }
      })
      .then(function () {
        inFlight = false;
        if (again) { again = false; send(); }
      });
  }

  form.addEventListener("change", function () { window.clearTimeout(timer); send(); });
  // The page's own buttons (Save, Next, Review) also save: number them after any autosave sent so far.
  form.addEventListener("submit", function () { window.clearTimeout(timer); nextSeq(); });
  form.addEventListener("input", function (event) {
    if (event.target.tagName === "TEXTAREA" || event.target.type === "text") {
      window.clearTimeout(timer);
      timer = window.setTimeout(send, 1500);
    }
  });
})();
