// The inbox's live feed: new notices from the API's event stream (read with the session
// cookie) are added at the top of the list. The page works without it.
(function () {
  "use strict";
  var live = document.getElementById("inbox-live");
  var list = document.getElementById("inbox");
  if (!live || !list || !window.EventSource) { return; }
  var csrf = live.getAttribute("data-csrf") || "";
  var count = document.getElementById("unread-count");

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text) { e.textContent = text; }
    if (cls) { e.className = cls; }
    return e;
  }

  function item(n) {
    var li = el("li", null, "unread");
    li.setAttribute("data-id", n.id);
    var h = el("h3");
    h.appendChild(el("span", "Unread", "badge"));
    h.appendChild(document.createTextNode(" " + n.title));
    li.appendChild(h);
    li.appendChild(el("p", n.body));
    var meta = el("p", null, "meta");
    meta.appendChild(el("time", (n.createdAt || "").slice(0, 16).replace("T", " ")));
    li.appendChild(meta);
    var form = el("form");
    form.method = "post";
    form.action = "/account/notifications/" + encodeURIComponent(n.id) + "/read";
    var token = el("input");
    token.type = "hidden"; token.name = "_csrf"; token.value = csrf;
    form.appendChild(token);
    var button = el("button", "Mark as read", "linkish");
    button.type = "submit";
    button.appendChild(el("span", ": " + n.title, "sr-only"));
    form.appendChild(button);
    li.appendChild(form);
    return li;
  }

  var source = new EventSource("/api/notifications/stream");
  source.addEventListener("notification", function (e) {
    var n;
    try { n = JSON.parse(e.data); } catch (err) { return; }
    if (list.querySelector('[data-id="' + n.id + '"]')) { return; }
    list.insertBefore(item(n), list.firstChild);
    var empty = document.getElementById("inbox-empty");
    if (empty) { empty.remove(); }
    if (count && !n.readAt) { count.textContent = String((parseInt(count.textContent, 10) || 0) + 1); }
  });
})();
