// ID-photo result: switch the report between English and Chinese without a reload.
(function () {
  "use strict";
  var report = document.querySelector(".idcheck[data-lang]");
  if (!report) return;
  var buttons = report.querySelectorAll("[data-set-lang]");

  function show(lang) {
    report.dataset.lang = lang;
    buttons.forEach(function (b) { b.setAttribute("aria-pressed", String(b.dataset.setLang === lang)); });
  }

  buttons.forEach(function (button) {
    button.addEventListener("click", function (event) {
      event.preventDefault();
      var lang = button.dataset.setLang;
      show(lang);
      var url = new URL(window.location.href);
      url.searchParams.set("lang", lang);
      history.replaceState(null, "", url);
      // Remembered for the next result page (Django's LocaleMiddleware reads this cookie).
      document.cookie = "django_language=" + (lang === "zh" ? "zh-hans" : "en") + "; path=/; max-age=31536000; samesite=lax";
    });
  });
  show(report.dataset.lang);
})();
