// Face fusion: show each degree slider's value, and move the before/after divider.
(function () {
  "use strict";
  document.querySelectorAll("output[data-output-of]").forEach(function (output) {
    var input = document.getElementById(output.dataset.outputOf);
    if (!input) return;
    input.addEventListener("input", function () { output.textContent = input.value; });
  });

  document.querySelectorAll("input[data-compare]").forEach(function (input) {
    var view = document.querySelector(input.dataset.compare);
    if (!view) return;
    var update = function () {
      view.style.setProperty("--pos", input.value + "%");
      input.setAttribute("aria-valuetext", (input.dataset.valuetext || "{pos}% template").replace("{pos}", input.value));
    };
    input.addEventListener("input", update);
    update();
  });
})();
