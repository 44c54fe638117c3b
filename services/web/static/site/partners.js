/* The partners' map on the public site: Leaflet (served by the app), no tiles,
   nothing fetched from elsewhere. Points sit on a plain background with the
   names of the towns around them. The list on the page holds the same
   partners, so the map is only a second way to see them.
   Data: <script type="application/json" id="partners-map-data">
   {"points": [{name, kind, kind_label, municipality, lat, lon, anchor}],
    "towns": [{name, lat, lon}], "see": "See in the list"} */
(function () {
  "use strict";
  var el = document.getElementById("partners-map");
  var source = document.getElementById("partners-map-data");
  if (!el || !source || !window.L) return;
  var data;
  try { data = JSON.parse(source.textContent); } catch (e) { return; }
  var L = window.L;

  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; });
  }
  // Partners in the same town are spread on a small circle, so each shows.
  function spread(points) {
    var seen = {};
    points.forEach(function (p) {
      var key = p.lat + "," + p.lon;
      (seen[key] = seen[key] || []).push(p);
    });
    Object.keys(seen).forEach(function (key) {
      var group = seen[key];
      if (group.length < 2) return;
      group.forEach(function (p, i) {
        var angle = (2 * Math.PI * i) / group.length;
        p.lat += 0.018 * Math.sin(angle);
        p.lon += 0.026 * Math.cos(angle);
      });
    });
    return points;
  }

  el.hidden = false;
  var map = L.map(el, { attributionControl: false, zoomSnap: 0.25, scrollWheelZoom: false });
  L.control.scale({ imperial: false }).addTo(map);

  var pinned = {};
  data.points.forEach(function (p) { pinned[p.municipality] = true; });
  data.towns.forEach(function (town) {
    var css = "map-town" + (pinned[town.name] ? " map-town--pinned" : "");
    L.marker([town.lat, town.lon], {
      icon: L.divIcon({ className: "", html: '<span class="' + css + '">' + esc(town.name) + "</span>", iconSize: [0, 0] }),
      interactive: false, keyboard: false
    }).addTo(map);
  });

  var corners = [];
  spread(data.points).forEach(function (p) {
    var marker = L.marker([p.lat, p.lon], {
      icon: L.divIcon({
        className: "map-pin",
        html: '<span class="map-mark map-mark--' + esc(p.kind) + '"></span>',
        iconSize: [24, 24], iconAnchor: [12, 12], popupAnchor: [0, -10]
      }),
      title: p.name, alt: p.name, riseOnHover: true
    });
    marker.bindPopup(
      "<p><strong>" + esc(p.name) + "</strong></p><p>" + esc(p.kind_label) + " · " + esc(p.municipality) +
      '</p><p><a href="#' + esc(p.anchor) + '">' + esc(data.see) + "</a></p>"
    );
    marker.addTo(map);
    corners.push([p.lat, p.lon]);
  });

  if (!corners.length) corners = data.towns.map(function (t) { return [t.lat, t.lon]; });
  if (corners.length) map.fitBounds(corners, { padding: [40, 40], maxZoom: 11 });
  else map.setView([46.05, -73.45], 8);
})();
