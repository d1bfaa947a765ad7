// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // A print button on certificate pages (hidden without JavaScript).
  document.querySelectorAll(".js-print").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
  // Warn before leaving a reflection with unsaved changes.
  var dirty = new Set();
  document.querySelectorAll(".reflection textarea").forEach(function (area) {
    area.addEventListener("input", function () { dirty.add(area); });
    area.form.addEventListener("submit", function () { dirty.delete(area); });
  });
  window.addEventListener("beforeunload", function (event) {
    if (dirty.size > 0) { event.preventDefault(); event.returnValue = ""; }
  });
})();
