// ID-photo maker's form: filter the documents as you type, offer only the colours the
// chosen document accepts (and hide the choice when it accepts one). Works without it.
(function () {
  "use strict";
  var select = document.querySelector(".idmake-form select[name=spec]");
  if (!select) return;
  var filter = document.getElementById("spec-filter");
  var group = document.getElementById("backgrounds");
  var options = Array.prototype.slice.call(select.options);

  filter.hidden = false;
  filter.addEventListener("input", function () {
    var words = filter.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    var first = null;
    options.forEach(function (option) {
      var text = (option.text + " " + (option.dataset.search || option.value)).toLowerCase();
      var shown = words.every(function (w) { return text.indexOf(w) !== -1; });
      option.hidden = !shown;
      option.disabled = !shown;
      if (shown && !first) first = option;
    });
    if (select.selectedOptions[0] && select.selectedOptions[0].hidden && first) {
      select.value = first.value;
      colours();
    }
  });

  function colours() {
    var option = select.selectedOptions[0];
    var allowed = option ? option.dataset.backgrounds.split(",") : [];
    var labels = group.querySelectorAll("label[data-colour]");
    labels.forEach(function (label) {
      var colour = label.dataset.colour;
      var ok = colour === "" || allowed.indexOf(colour) !== -1;
      label.hidden = !ok;
      var input = label.querySelector("input");
      if (!ok && input.checked) {
        group.querySelector("label[data-colour=''] input").checked = true;
      }
    });
    group.hidden = allowed.length < 2;
  }
  select.addEventListener("change", colours);
  colours();
})();
