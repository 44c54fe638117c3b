/* Glanage coordinator map — Leaflet (served by the app), no framework, no build.
   <div id="map" hidden data-geojson="URL" data-tiles="URL or empty" data-attribution="HTML">
   Words come translated in <script type="application/json" id="map-labels">.
   Without tiles the map is a plain background with the town names; the page
   lists the same data in tables, so nothing here is the only way to see it. */
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el || !window.L || !window.fetch) return;
  var L = window.L, lang = document.documentElement.lang || "fr", words = {};
  try { words = JSON.parse(document.getElementById("map-labels").textContent); } catch (e) { /* keys show */ }

  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; });
  }
  function t(key) { return esc(words[key] || key); }
  function kg(n) { return esc(Number(n).toLocaleString(lang, { maximumFractionDigits: 2 })) + "&nbsp;kg"; }
  function cap(s) { s = String(s || ""); return s.charAt(0).toUpperCase() + s.slice(1); }
  function day(iso) {
    var d = new Date(iso + "T12:00:00");
    return isNaN(d) ? esc(iso) : esc(d.toLocaleDateString(lang, { weekday: "short", day: "numeric", month: "short" }));
  }
  function p(html) { return "<p>" + html + "</p>"; }
  // A marker whose HTML is positioned by CSS around the point (iconSize 0).
  function pin(html, popupAbove) {
    return L.divIcon({ html: html, className: "", iconSize: [0, 0], popupAnchor: [0, -(popupAbove || 0)] });
  }

  var popups = {
    parcel: function (f) {
      return p("<strong>" + esc(f.farm) + "</strong>") + p(esc(f.code) + (f.name ? " · " + esc(f.name) : "")) +
        (f.rules ? p(t("rules") + " : " + esc(f.rules)) : "");
    },
    organization: function (f) {
      return p("<strong>" + esc(f.name) + "</strong>") + p(esc([f.type, f.municipality].filter(Boolean).join(" · "))) +
        p(t("capacity") + " : " + kg(f.weekly_capacity_kg)) + (f.cold_storage ? p("❄ " + t("cold_storage")) : "") +
        (f.priority ? p("★ " + t("priority")) : "") + (f.active ? "" : p("<em>" + t("inactive") + "</em>"));
    },
    surplus: function (f) {
      return p("<strong>" + esc(f.code) + " · " + esc(cap(f.crop)) + "</strong>") +
        p(kg(f.remaining_kg) + " " + t("remaining") + " " + t("of") + " " + kg(f.quantity_kg)) +
        p(esc(f.farm) + (f.parcel ? " · " + esc(f.parcel) : "")) +
        p(esc(f.status_label) + " · " + t("until") + " " + day(f.available_until)) +
        p('<a class="btn btn--secondary" href="' + esc(f.url) + '">' + t("details") + "</a>");
    }
  };
  function popup(layer, f) {
    layer.bindPopup('<div class="map-popup">' + popups[f.kind](f) + "</div>", { maxWidth: 280 });
  }

  var tiles = el.getAttribute("data-tiles");
  el.hidden = false;
  var map = L.map(el, { zoomSnap: 0.5, attributionControl: !!tiles });
  if (tiles) {
    L.tileLayer(tiles, { maxZoom: 18, attribution: el.getAttribute("data-attribution") }).addTo(map);
  } else {
    el.classList.add("map--plain");
  }
  L.control.scale({ imperial: false }).addTo(map);

  var layers = {
    municipality: L.layerGroup(), parcel: L.featureGroup(),
    organization: L.featureGroup(), surplus: L.featureGroup()
  };
  function parcelIcon() {
    return L.divIcon({ className: "map-parcel-icon", html: '<span class="map-parcel-point"></span>', iconSize: [12, 12] });
  }

  function add(feature) {
    var f = feature.properties, g = feature.geometry, group = layers[f.kind];
    if (!group || !g) return;
    var ll = g.type === "Point" ? L.latLng(g.coordinates[1], g.coordinates[0]) : null;
    if (f.kind === "municipality") {
      var town = L.marker(ll, { icon: pin('<span class="map-town">' + esc(f.name) + "</span>"), interactive: false, keyboard: false });
      town.population = f.population || 0;
      town.addTo(group);
    } else if (f.kind === "parcel") {
      var shape = L.geoJSON(feature, {
        style: { color: "#6b4a00", weight: 2, fillColor: "#c9a227", fillOpacity: 0.45 },
        pointToLayer: function (_, at) {
          return L.marker(at, { icon: parcelIcon(), title: f.farm + " · " + f.code });
        }
      });
      popup(shape, f);
      shape.addTo(group);
      if (!ll) { // a field is too small to see from afar: mark its centre too
        var centre = shape.getBounds().getCenter();
        var mark = L.marker(centre, { icon: parcelIcon(), title: f.farm + " · " + f.code });
        popup(mark, f);
        mark.addTo(group);
      }
    } else if (f.kind === "organization") {
      var circle = L.circleMarker(ll, {
        radius: Math.max(3, 0.4 * Math.sqrt(Math.max(0, f.weekly_capacity_kg))),
        color: f.active ? "#245a2b" : "#6b716c", weight: f.priority ? 3 : 2, dashArray: f.active ? null : "4 3",
        fillColor: "#2e6b34", fillOpacity: f.active ? 0.3 : 0
      }).bindTooltip(esc(f.name), { direction: "top" });
      popup(circle, f);
      circle.addTo(group);
    } else if (f.kind === "surplus") {
      var marker = L.marker(ll, {
        icon: pin('<span class="map-surplus map-surplus--' + esc(f.status) + '">' + esc(f.code) + "</span>", 24),
        title: f.code + " · " + cap(f.crop) + " · " + f.status_label, zIndexOffset: 1000, riseOnHover: true
      });
      popup(marker, f);
      marker.addTo(group);
    }
  }

  // Crowded places: a surplus label steps up until it is free; a town name
  // gives way to surplus labels and to bigger towns. Run after every zoom.
  function clash(r, kept) {
    return kept.some(function (k) {
      return r.left < k.right + 2 && r.right > k.left - 2 && r.top < k.bottom + 1 && r.bottom > k.top - 1;
    });
  }
  function labelOf(marker) { var icon = marker.getElement(); return icon && icon.firstChild; }
  var leaders = L.layerGroup();
  function declutter() {
    var kept = [];
    leaders.clearLayers();
    layers.surplus.eachLayer(function (m) {
      var span = labelOf(m);
      if (!span) return;
      span.style.marginTop = "0";
      var b = span.getBoundingClientRect(), step = b.height + 2, up = 0, r = b;
      while (clash(r, kept) && up < 12) {
        up += 1;
        r = { left: b.left, right: b.right, top: b.top - up * step, bottom: b.bottom - up * step };
      }
      if (up) {
        span.style.marginTop = -up * step + "px";
        // A leader line from the label down to its place, under every label.
        var at = map.latLngToContainerPoint(m.getLatLng());
        L.polyline([m.getLatLng(), map.containerPointToLatLng(at.subtract([0, 2 + up * step]))], {
          color: "#1d2420", weight: 1.5, opacity: 0.8, interactive: false
        }).addTo(leaders);
      }
      kept.push(r);
    });
    var towns = [];
    layers.municipality.eachLayer(function (m) { towns.push(m); });
    towns.sort(function (a, b) { return b.population - a.population; }).forEach(function (m) {
      var span = labelOf(m);
      if (!span) return;
      span.style.visibility = "";
      var r = span.getBoundingClientRect();
      if (clash(r, kept)) span.style.visibility = "hidden";
      else kept.push(r);
    });
  }

  function legend() {
    var box = L.control({ position: "bottomleft" });
    box.onAdd = function () {
      var div = L.DomUtil.create("details", "map-legend");
      div.open = window.matchMedia ? window.matchMedia("(min-width: 40em)").matches : true;
      div.innerHTML = "<summary><strong>" + t("legend") + "</strong></summary><ul>" +
        '<li><span class="map-surplus map-surplus--open">A1</span>' + t("surplus_open") + "</li>" +
        '<li><span class="map-surplus map-surplus--offered">B1</span>' + t("surplus_offered") + "</li>" +
        '<li><span class="map-surplus map-surplus--unmatched">C1</span>' + t("surplus_unmatched") + "</li>" +
        '<li><span class="map-key map-key--org"></span>' + t("organizations") + " (" + t("organization_size") + ")</li>" +
        '<li><span class="map-key map-key--inactive"></span>' + t("inactive") + "</li>" +
        '<li><span class="map-parcel-point"></span>' + t("parcels") + "</li>" +
        '<li><span class="map-key map-key--parcel"></span>' + t("parcel_outline") + "</li>" +
        '<li><span class="map-key map-key--town"></span>' + t("municipalities") + "</li></ul>";
      L.DomEvent.disableClickPropagation(div);
      return div;
    };
    return box;
  }

  fetch(el.getAttribute("data-geojson"), { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
    .then(function (res) { if (!res.ok || res.redirected) throw new Error(res.status); return res.json(); })
    .then(function (data) {
      // Big circles first, so the small ones stay on top and clickable.
      data.features.sort(function (a, b) {
        return (b.properties.weekly_capacity_kg || 0) - (a.properties.weekly_capacity_kg || 0);
      }).forEach(add);
      ["municipality", "parcel", "organization", "surplus"].forEach(function (k) { layers[k].addTo(map); });
      leaders.addTo(map);
      var overlays = {};
      overlays[t("surpluses")] = layers.surplus;
      overlays[t("organizations")] = layers.organization;
      overlays[t("parcels")] = layers.parcel;
      overlays[t("municipalities")] = layers.municipality;
      L.control.layers(null, overlays).addTo(map);
      legend().addTo(map);
      var bounds = L.latLngBounds([]);
      ["parcel", "organization", "surplus"].forEach(function (k) { bounds.extend(layers[k].getBounds()); });
      if (!bounds.isValid()) {
        layers.municipality.eachLayer(function (m) { bounds.extend(m.getLatLng()); });
      }
      if (bounds.isValid()) map.fitBounds(bounds, { padding: [24, 24], maxZoom: 13 });
      else map.setView([46.0, -73.5], 9);
      declutter();
      map.on("zoomend overlayadd overlayremove", declutter);
    })
    .catch(function () {
      el.hidden = true;
      var status = document.getElementById("map-status");
      if (status) { status.textContent = words.failed || "Map data could not be loaded."; status.hidden = false; }
    });
})();
