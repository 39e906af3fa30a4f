// pinchpoint workbench: the only script (served from this origin; the CSP allows no inline script).
// It follows a running job's progress and reloads the page when the job has finished.
"use strict";
(function () {
  function follow(box) {
    var url = box.getAttribute("data-status-url");
    var bar = document.getElementById("job-progress");
    var state = document.getElementById("job-state");
    var label = document.getElementById("job-label");
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (s) {
          if (bar) { bar.value = s.percent; }
          if (state) { state.textContent = s.status; }
          if (label) { label.textContent = (s.label || "") + " " + s.done + "/" + s.total; }
          if (s.status === "done" || s.status === "failed") { window.location.reload(); }
          else { window.setTimeout(poll, 400); }
        })
        .catch(function () { window.setTimeout(poll, 2000); });
    }
    poll();
  }
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.querySelector(".job[data-status-url]");
    if (box) {
      var status = box.getAttribute("data-status");
      if (status !== "done" && status !== "failed") { follow(box); }
    }
  });
})();
