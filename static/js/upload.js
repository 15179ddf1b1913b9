// The upload widget: choose, drop, paste or take a photo; preview it; try a sample;
// upload with a progress bar; after a form error, the form comes back with the photo kept.
(function () {
  "use strict";

  function setFile(input, file) {
    var list = new DataTransfer();
    list.items.add(file);
    input.files = list.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function setup(form) {
    var zone = form.querySelector("[data-upload]");
    if (!zone || zone.dataset.ready) return;
    zone.dataset.ready = "1";
    var input = zone.querySelector("input[type=file]");
    var cameraButton = zone.querySelector("[data-camera]");
    var preview = zone.querySelector("[data-preview]");
    var name = zone.querySelector("[data-file-name]");
    var guideHint = zone.querySelector("[data-guide-hint]");
    input.classList.add("file-input");

    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      if (preview.src) URL.revokeObjectURL(preview.src);
      zone.classList.toggle("has-file", !!file);
      if (!file) { preview.removeAttribute("src"); name.textContent = ""; return; }
      preview.src = URL.createObjectURL(file);
      name.textContent = file.name + " · " + Math.max(1, Math.round(file.size / 1024)) + " KB";
      if (guideHint) guideHint.hidden = false;
    });

    // The camera button is for phones and tablets (a touch screen); elsewhere "choose" does it.
    if (cameraButton && window.matchMedia && window.matchMedia("(pointer: coarse)").matches) {
      // Phones open the camera for an input with `capture` (the front one for ID photos).
      // Made on the first press, outside the form: the form's own input stays the only one.
      var camera = null;
      cameraButton.hidden = false;
      cameraButton.addEventListener("click", function () {
        if (!camera) {
          camera = document.createElement("input");
          camera.type = "file";
          camera.accept = "image/*";
          camera.setAttribute("capture", zone.dataset.capture || "environment");
          camera.hidden = true;
          camera.addEventListener("change", function () {
            if (camera.files && camera.files[0]) setFile(input, camera.files[0]);
          });
          document.body.appendChild(camera);
        }
        camera.click();
      });
    }

    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (event) {
        event.preventDefault();
        zone.classList.add("dragging");
      });
    });
    ["dragleave", "drop"].forEach(function (type) {
      zone.addEventListener(type, function () { zone.classList.remove("dragging"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      var file = event.dataTransfer && event.dataTransfer.files[0];
      if (file) setFile(input, file);
    });

    form.querySelectorAll("[data-sample]").forEach(function (button) {
      button.addEventListener("click", function () {
        fetch(button.dataset.sample, { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.blob() : Promise.reject(r.status); })
          .then(function (blob) {
            var file = new File([blob], button.dataset.sample.split("/").pop(), { type: blob.type || "image/jpeg" });
            setFile(input, file);
          });
      });
    });

    if (form.keptFile) setFile(input, form.keptFile);
  }

  function upload(form, event) {
    if (!window.FormData || !window.XMLHttpRequest) return;
    event.preventDefault();
    var input = form.querySelector("[data-upload] input[type=file]");
    var file = input && input.files && input.files[0];
    var progress = form.querySelector("[data-progress]");
    var bar = progress.querySelector("progress");
    var text = progress.querySelector("[data-progress-text]");
    var button = form.querySelector("button[type=submit]");
    var request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.setRequestHeader("X-Upload", "widget");  // answered with the result's address
    request.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable) return;
      var percent = Math.round((e.loaded / e.total) * 100);
      bar.value = percent;
      text.textContent = text.dataset.uploading + " " + percent + "%";
    });
    request.upload.addEventListener("load", function () {
      bar.value = 100;
      form.dataset.uploaded = "100";
      text.textContent = text.dataset.working;
    });
    request.addEventListener("load", function () {
      if (request.status === 201) {
        window.location.assign(JSON.parse(request.responseText).location);  // the result page
        return;
      }
      var page = new DOMParser().parseFromString(request.responseText, "text/html");
      var again = page.querySelector('form[action="' + form.getAttribute("action") + '"]');
      if (!again) {  // not the form: a page of its own (upload refused, server busy)
        document.open();
        document.write(request.responseText);
        document.close();
        return;
      }
      // The form again, with its errors: show them, and keep the chosen photo.
      form.innerHTML = again.innerHTML;
      form.keptFile = file;
      progress.classList.remove("active");
      setup(form);
      var error = form.querySelector(".error");
      if (error) { error.setAttribute("tabindex", "-1"); error.focus(); }
    });
    request.addEventListener("error", function () {
      text.textContent = text.dataset.failed;
      if (button) button.disabled = false;
    });
    bar.value = 0;
    text.textContent = text.dataset.uploading + " 0%";
    progress.classList.add("active");
    if (button) button.disabled = true;
    request.send(new FormData(form));
  }

  document.querySelectorAll("form").forEach(function (form) {
    if (!form.querySelector("[data-upload]")) return;
    setup(form);
    form.addEventListener("submit", function (event) { upload(form, event); });
  });

  document.addEventListener("paste", function (event) {
    var items = (event.clipboardData && event.clipboardData.files) || [];
    var file = items[0];
    if (!file || file.type.indexOf("image/") !== 0) return;
    var input = document.querySelector("[data-upload] input[type=file]");
    if (!input) return;
    event.preventDefault();
    setFile(input, file);
  });
})();
