// Clearway pages: progressive enhancement only. Every page works without this script.
"use strict";
(function () {
  // Buttons that change money ask once more (the server checks everything again).
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var ask = form.getAttribute("data-confirm");
    if (ask && !window.confirm(ask)) { ev.preventDefault(); }
  });

  // The distribution wizard: on input, post the form to its preview URL (debounced) and
  // swap in the preview fragment. Without this script, the Preview button does the same.
  var wizard = document.getElementById("wizard");
  var target = document.getElementById("preview");
  if (wizard && target && wizard.getAttribute("data-preview")) {
    var timer = null;
    var seq = 0;
    var refresh = function () {
      var mine = ++seq;
      var body = new URLSearchParams(new FormData(wizard));
      fetch(wizard.getAttribute("data-preview"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "x-preview": "fragment", "Content-Type": "application/x-www-form-urlencoded" },
        body: body.toString()
      }).then(function (res) {
        return res.ok ? res.text() : null;
      }).then(function (html) {
        // Only the newest answer is shown: an older, slower one must not overwrite it.
        if (html !== null && mine === seq) { target.innerHTML = html; }
      }).catch(function () { /* the Preview button still works */ });
    };
    var later = function () {
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(refresh, 400);
    };
    wizard.addEventListener("input", later);
    wizard.addEventListener("change", later);
  }
})();
