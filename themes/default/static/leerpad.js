// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // A print button on certificate pages (hidden without JavaScript).
  document.querySelectorAll(".js-print").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });

  // Reflections: a draft is saved a moment after the learner stops typing, and the
  // reflection's own status line says so (announced to screen readers). Without
  // JavaScript the lesson's form saves what is typed when it is marked completed.
  var unsaved = new Set();
  document.querySelectorAll(".reflection textarea[data-draft]").forEach(function (area) {
    var form = area.form;
    var status = document.getElementById(area.getAttribute("aria-describedby"));
    var csrf = form && form.querySelector("input[name=csrf]");
    var url = area.getAttribute("data-draft");
    var timer = null;
    var sent = area.value;
    function say(text) { if (status) { status.textContent = text; } }
    function save() {
      timer = null;
      var answer = area.value;
      if (answer === sent || !csrf) { unsaved.delete(area); return; }
      fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf.value },
        body: JSON.stringify({ answer: answer })
      }).then(function (res) {
        if (!res.ok) { throw new Error(String(res.status)); }
        sent = answer;
        if (area.value === answer) { unsaved.delete(area); }
        say(status.getAttribute("data-saved"));
      }).catch(function () {
        say(status.getAttribute("data-failed"));
      });
    }
    area.addEventListener("input", function () {
      unsaved.add(area);
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(save, 1500);
    });
    area.addEventListener("blur", function () { if (timer) { clearTimeout(timer); save(); } });
    if (form) { form.addEventListener("submit", function () { unsaved.clear(); }); }
  });
  // Only what could not be saved makes leaving the page ask first.
  window.addEventListener("beforeunload", function (event) {
    if (unsaved.size > 0) { event.preventDefault(); event.returnValue = ""; }
  });
})();
