// Result page: follow the job until it ends, toggle point groups, copy the share link.
(function () {
  "use strict";
  var job = document.getElementById("job");
  if (!job) return;

  var status = job.dataset.status;
  if (status === "queued" || status === "running") {
    var url = job.dataset.statusUrl;
    var poll = function () {
      if (!url) { window.location.reload(); return; }
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (s) {
          if (s.finished) { window.location.reload(); return; }
          if (s.status !== status) {
            status = s.status;
            var label = document.getElementById("job-status");
            label.textContent = s.status === "running" ? job.dataset.labelRunning : job.dataset.labelQueued;
            label.className = "status status-" + s.status;
            document.getElementById("progress-text").textContent =
              s.status === "running" ? job.dataset.textRunning : job.dataset.textQueued;
          }
          setTimeout(poll, 600);
        })
        .catch(function () { setTimeout(poll, 2000); });
    };
    setTimeout(poll, 400);
  }

  document.querySelectorAll("[data-toggle]").forEach(function (box) {
    box.addEventListener("change", function () {
      document.querySelectorAll('.grp[data-group="' + box.dataset.toggle + '"]').forEach(function (g) {
        g.classList.toggle("hidden", !box.checked);
      });
    });
  });

  var zoom = document.getElementById("zoom");
  if (zoom) {
    var svg = document.querySelector("svg.overlay");
    zoom.addEventListener("click", function () {
      var zoomed = zoom.getAttribute("aria-pressed") !== "true";
      svg.setAttribute("viewBox", zoomed ? svg.dataset.zoom : svg.dataset.full);
      zoom.setAttribute("aria-pressed", String(zoomed));
      zoom.dataset.label = zoom.dataset.label || zoom.textContent;
      zoom.textContent = zoomed ? zoom.dataset.whole : zoom.dataset.label;
    });
  }

  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var input = document.querySelector(button.dataset.copy);
      input.select();
      (navigator.clipboard ? navigator.clipboard.writeText(input.value) : Promise.reject())
        .catch(function () { document.execCommand("copy"); })
        .finally(function () { button.textContent = button.dataset.copied; });
    });
  });

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
})();
