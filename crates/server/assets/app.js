// Clearway pages: progressive enhancement only. Every page works without this script.
"use strict";
(function () {
  // Buttons that change money ask once more (the server checks everything again).
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var ask = form.getAttribute("data-confirm");
    if (ask && !window.confirm(ask)) { ev.preventDefault(); }
  });
})();
