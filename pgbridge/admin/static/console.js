// Live pending list: the server says when it changed (server-sent events); we fetch the list
// and swap it in, keeping whatever reason an approver is typing. No framework, no build step.
(function () {
  "use strict";
  var box = document.getElementById("pending");
  if (!box || !window.EventSource) { return; }
  var live = document.getElementById("live");

  function typed() {
    var kept = {};
    box.querySelectorAll("input[name=reason]").forEach(function (input) {
      if (input.value) { kept[input.id] = input.value; }
    });
    return kept;
  }

  function refresh() {
    fetch("/console/pending", { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (response.status === 401) { window.location = "/console/login"; return null; }
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (html === null) { return; }
        var kept = typed();
        var focused = document.activeElement && document.activeElement.id;
        box.innerHTML = html;
        Object.keys(kept).forEach(function (id) {
          var input = document.getElementById(id);
          if (input) { input.value = kept[id]; }
        });
        if (focused && document.getElementById(focused)) { document.getElementById(focused).focus(); }
      });
  }

  setInterval(refresh, 30000);  // ages and expiry times move on even when nothing new arrives
  var source = new EventSource("/console/events");
  source.addEventListener("pending", refresh);
  source.onopen = function () { if (live) { live.className = "live on"; } };
  source.onerror = function () { if (live) { live.className = "live"; } };
})();
