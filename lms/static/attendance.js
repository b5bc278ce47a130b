/* Attendance on a tablet: each tap is saved at once; names filter as you type. Without JavaScript the
   page's "Save the attendance" button saves everything. */
(function () {
  "use strict";
  var form = document.querySelector(".attendance-form");
  if (!form || !window.fetch || !window.FormData) { return; }
  var status = form.querySelector("[data-save-status]");
  var token = form.querySelector("input[name=csrf_token]").value;
  var paper = form.querySelector("input[name=paper]");

  function save(choices) {
    var data = new FormData();
    data.append("csrf_token", token);
    var checked = choices.querySelector("input[type=radio]:checked");
    if (!checked) { return; }
    data.append("status", checked.value);
    var note = choices.parentNode.querySelector("input.note");
    if (note) { data.append("note", note.value); }
    if (paper) { data.append("paper", "1"); }
    fetch(choices.getAttribute("data-url"), { method: "POST", body: data, credentials: "same-origin",
                                              headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (body) { if (status) { status.textContent = body.message || ""; status.classList.toggle("save-error", !body.ok); } })
      .catch(function () { if (status) { status.textContent = "⚠"; status.classList.add("save-error"); } });
  }

  form.addEventListener("change", function (event) {
    var choices = event.target.closest(".attendee") && event.target.closest(".attendee").querySelector(".status-choices");
    if (choices) { save(choices); }
  });

  var search = document.querySelector("input[data-filter]");
  if (search) {
    search.addEventListener("input", function () {
      var term = search.value.toLowerCase().trim();
      document.querySelectorAll(".attendee").forEach(function (item) {
        item.hidden = term && item.getAttribute("data-names").indexOf(term) === -1;
      });
    });
  }
})();
