// Behaviour without inline scripts (the Content-Security-Policy forbids them).
(function () {
  "use strict";

  // Select boxes marked data-autosubmit submit their form on change (organisation switcher,
  // language). Without JavaScript a <noscript> button does the same.
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el instanceof HTMLSelectElement && el.hasAttribute("data-autosubmit") && el.form) {
      el.form.submit();
    }
  });

  // Forms marked data-confirm ask before destructive actions.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });

  // A print button without an inline handler.
  document.addEventListener("click", function (event) {
    if (event.target instanceof Element && event.target.closest("[data-print]")) {
      window.print();
    }
  });

  // Polling requests (elements marked data-background) must not keep an idle session alive.
  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.closest && elt.closest("[data-background]")) {
      event.detail.headers["X-Portal-Background"] = "1";
    }
  });
})();
