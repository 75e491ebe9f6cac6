// When an htmx refresh fails (the dashboard itself unreachable, or an error answer), say so next to the
// stale content instead of failing silently; clear the notice after the next successful refresh.
(function () {
  "use strict";

  function notice() {
    return document.getElementById("refresh-problem");
  }

  function show(text) {
    var element = notice();
    if (element) {
      element.textContent = text;
      element.hidden = false;
    }
  }

  function time() {
    return new Date().toLocaleTimeString();
  }

  document.addEventListener("htmx:sendError", function () {
    show("Could not refresh at " + time() + ": the dashboard did not answer. What is shown may be out of date.");
  });

  document.addEventListener("htmx:responseError", function (event) {
    show("Could not refresh at " + time() + ": the dashboard answered " + event.detail.xhr.status + ". What is shown may be out of date.");
  });

  document.addEventListener("htmx:afterSwap", function () {
    var element = notice();
    if (element) {
      element.hidden = true;
    }
  });
})();
