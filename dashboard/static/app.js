// tally dashboard enhancements. The pages work without this file; it adds
// values on hover (and arrow keys) over the chart, a live visitor count,
// and value suggestions in the filter picker.
(function () {
  "use strict";

  function chart(fig) {
    var plot = fig.querySelector(".plot");
    var hover = fig.querySelector(".hover");
    var tip = hover.querySelector(".tip");
    var guide = hover.querySelector(".guide");
    var card = fig.closest(".card");
    var rows = Array.prototype.slice.call(card.querySelectorAll("table.series tbody tr"));
    if (!rows.length) return;
    var metric = fig.getAttribute("data-metric");
    var points = rows.map(function (tr) {
      var c = tr.children;
      return {
        x: parseFloat(tr.getAttribute("data-x")) / 10,
        label: c[0].textContent,
        visitors: c[1].textContent,
        pageviews: c[2].textContent,
        future: tr.hasAttribute("data-future")
      };
    });
    var current = -1;
    function show(i) {
      i = Math.max(0, Math.min(points.length - 1, i));
      current = i;
      var p = points[i];
      hover.hidden = false;
      guide.style.left = p.x + "%";
      tip.style.left = Math.max(12, Math.min(88, p.x)) + "%";
      tip.textContent = p.label + " · " + (metric === "pageviews" ? p.pageviews + " pageviews" : p.visitors + " visitors");
    }
    function hide() { hover.hidden = true; }
    plot.addEventListener("pointermove", function (e) {
      var r = plot.getBoundingClientRect();
      var pct = 100 * (e.clientX - r.left) / r.width;
      var best = 0;
      for (var i = 1; i < points.length; i++) {
        if (Math.abs(points[i].x - pct) < Math.abs(points[best].x - pct)) best = i;
      }
      show(best);
    });
    plot.addEventListener("pointerleave", hide);
    plot.addEventListener("blur", hide);
    plot.addEventListener("keydown", function (e) {
      if (e.key === "ArrowRight") { show(current + 1); e.preventDefault(); }
      if (e.key === "ArrowLeft") { show(current < 0 ? points.length - 1 : current - 1); e.preventDefault(); }
      if (e.key === "Escape") hide();
    });
  }

  function realtime(el) {
    var url = el.getAttribute("data-realtime");
    var n = el.querySelector(".live-n");
    setInterval(function () {
      if (document.hidden) return;
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (d) { if (d && typeof d.visitors === "number") n.textContent = String(d.visitors); })
        .catch(function () { /* offline: keep the last count */ });
    }, 30000);
  }

  // The picker suggests the values the panels on the page already show.
  function picker(form) {
    var sel = form.querySelector("select[name=fd]");
    var list = document.getElementById("filter-values");
    function fill() {
      list.textContent = "";
      var seen = {};
      document.querySelectorAll(".breakdown tbody a").forEach(function (a) {
        var m = /[?&]f=([^&]*)/g, href = a.getAttribute("href"), hit, last = null;
        while ((hit = m.exec(href))) last = decodeURIComponent(hit[1].replace(/\+/g, " "));
        if (!last) return;
        var i = last.indexOf(",");
        if (last.slice(0, i) !== sel.value || seen[last]) return;
        seen[last] = true;
        var o = document.createElement("option");
        o.value = last.slice(i + 1);
        list.appendChild(o);
      });
    }
    sel.addEventListener("change", fill);
    fill();
  }

  // The realtime page refreshes its body in place every 10 seconds while
  // the tab is visible; without JavaScript it is a plain page to reload.
  function liveRefresh(page) {
    setInterval(function () {
      if (document.hidden) return;
      fetch(location.href, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (!html) return;
          var fresh = new DOMParser().parseFromString(html, "text/html").querySelector(".live-body");
          var cur = page.querySelector(".live-body");
          if (fresh && cur) cur.replaceWith(fresh);
        })
        .catch(function () { /* offline: keep what is shown */ });
    }, 10000);
  }

  document.querySelectorAll("figure.chart").forEach(chart);
  document.querySelectorAll("[data-live-refresh]").forEach(liveRefresh);
  document.querySelectorAll("[data-realtime]").forEach(realtime);
  document.querySelectorAll(".picker form").forEach(picker);
})();
