// Result page: follow the job until it ends, toggle point groups, copy the share link.
(function () {
  "use strict";
  var job = document.getElementById("job");
  if (!job) return;

  var status = job.dataset.status;
  if (status === "queued" || status === "running") {
    // Ask the server to answer when the job finishes (?wait=1): the page shows the result
    // the moment the worker is done, with no polling interval to wait out.
    var url = job.dataset.statusUrl;
    var text = document.getElementById("progress-text");
    var show = function (s) {
      if (s.status === status) return;
      status = s.status;
      var label = document.getElementById("job-status");
      label.textContent = text.dataset["label" + (status === "running" ? "Running" : "Queued")];
      label.className = "status status-" + status;
      text.textContent = text.dataset[status === "running" ? "running" : "queued"];
    };
    var follow = function () {
      if (!url) { setTimeout(function () { window.location.reload(); }, 2000); return; }
      fetch(url + "?wait=1", { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (s) {
          if (s.finished) { window.location.reload(); return; }
          show(s);
          follow();
        })
        .catch(function () { setTimeout(function () { follow(); }, 2000); });
    };
    follow();
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
        .finally(function () {
          button.dataset.label = button.dataset.label || button.textContent;
          button.textContent = button.dataset.copied || "Copied";
          clearTimeout(button.copiedTimer);
          button.copiedTimer = setTimeout(function () { button.textContent = button.dataset.label; }, 2000);
        });
    });
  });

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
})();
