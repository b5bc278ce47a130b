/* The progress of a background job (issuing a cohort's certificates, preparing the programme PDF): asks the server every 2 seconds and moves
   the bar, the count and the state; the status line (aria-live) is only changed when it says something new.
   Without JavaScript the page reloads itself (<noscript> refresh) and has a "Refresh" link. */
(function () {
  "use strict";
  var box = document.querySelector("[data-job-url]");
  if (!box || !window.fetch || !box.hasAttribute("data-job-active")) { return; }
  var bar = box.querySelector("progress");
  var count = box.querySelector("[data-job-count]");
  var state = box.querySelector("[data-job-state]");
  var message = box.querySelector("[data-job-message]");
  var refresh = box.querySelector("[data-job-refresh]");
  var url = box.getAttribute("data-job-url");
  var failures = 0;

  function show(job) {
    if (!bar.hasAttribute("data-indeterminate")) {  /* work of one step: the bar just moves until it ends */
      bar.max = job.total || 1;
      bar.value = job.total ? job.done : (job.state === "finished" ? 1 : 0);
    }
    bar.textContent = job.percent_text;
    if (count) { count.textContent = job.count; }
    state.textContent = job.state_label;
    state.setAttribute("data-state", job.state);
    if (message.textContent !== job.message) { message.textContent = job.message; }
  }

  function ask() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (job) {
        failures = 0;
        show(job);
        if (job.active) {
          window.setTimeout(ask, 2000);
        } else {
          box.removeAttribute("data-job-active");
          /* failed: the page offers to start again; data-job-reload: the finished page has more (a download) */
          if (job.state === "failed" || box.hasAttribute("data-job-reload")) { window.location.reload(); }
          else if (refresh) { refresh.hidden = true; }
        }
      })
      .catch(function () {
        failures += 1;
        window.setTimeout(ask, Math.min(30000, 2000 * Math.pow(2, failures)));
      });
  }
  window.setTimeout(ask, 1000);
}());
