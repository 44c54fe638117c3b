/* Glanage live regions — progressive enhancement only; pages work without it.
   <div data-live-url="/panel/live/feed" data-live-interval="5">…</div>
   With data-live-stream="/…/stream" (server-sent events) it refreshes as soon
   as the server says something changed. The URL returns an HTML fragment that
   replaces the element's content every
   N seconds (default 5, minimum 2) while the tab is visible. Failures are
   silent: the last good content simply stays. */
(function () {
  "use strict";
  if (window.glanageLive || !window.fetch || !document.querySelectorAll) return;
  window.glanageLive = true;

  var regions = [];

  // A conversation reads newest last: keep its latest message in view.
  function settle(el) {
    var chats = el.querySelectorAll(".chat");
    for (var i = 0; i < chats.length; i++) chats[i].scrollTop = chats[i].scrollHeight;
  }

  function update(r) {
    if (r.busy || document.hidden) return;
    var el = r.el, active = document.activeElement;
    // Never yank a form field from under someone typing in it.
    if (active && active !== el && el.contains(active) && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName)) return;
    r.busy = true;
    fetch(el.getAttribute("data-live-url"), {
      credentials: "same-origin", cache: "no-store",
      headers: { "Accept": "text/html", "X-Requested-With": "fetch" }
    }).then(function (res) {
      // A redirect usually means the session ended: keep what is shown.
      return res.ok && !res.redirected ? res.text() : null;
    }).then(function (html) {
      if (html === null || html === r.last) return;
      r.last = html;
      el.innerHTML = html;
      settle(el);
      el.classList.remove("is-updated");
      void el.offsetWidth; // restart the highlight animation
      el.classList.add("is-updated");
    }).catch(function () { /* offline or server down: show nothing new */ })
      .then(function () { r.busy = false; });
  }

  function schedule(r) {
    clearTimeout(r.timer);
    r.timer = setTimeout(function () { update(r); schedule(r); }, r.every);
  }

  // Server-sent events, where the page offers a stream: refresh as soon as
  // something changes; the polling above stays as the safety net.
  function listen(r) {
    var url = r.el.getAttribute("data-live-stream");
    if (!url || !window.EventSource) return;
    var source = new EventSource(url);
    source.addEventListener("change", function () { update(r); });
  }

  function start() {
    var els = document.querySelectorAll("[data-live-url]");
    for (var i = 0; i < els.length; i++) {
      var n = parseFloat(els[i].getAttribute("data-live-interval"));
      regions.push({ el: els[i], every: 1000 * Math.max(2, isFinite(n) ? n : 5), last: null });
    }
    regions.forEach(function (r) { settle(r.el); schedule(r); listen(r); });
    document.addEventListener("visibilitychange", function () {
      regions.forEach(function (r) {
        clearTimeout(r.timer);
        if (!document.hidden) { update(r); schedule(r); } // catch up at once
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
