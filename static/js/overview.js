/* Overview map: draws the area layers fetched from the API and a layer control.
   The page calls GeoService.start(map) after folium has created the map; settings
   come from the JSON in #gs-config. */
window.GeoService = window.GeoService || {};
window.GeoService.start = function (map) {
  "use strict";
  var config = JSON.parse(document.getElementById("gs-config").textContent);
  if (config.bounds) {
    map.fitBounds([[config.bounds[1], config.bounds[0]], [config.bounds[3], config.bounds[2]]]);
  }
  var control = L.control.layers(null, null, { collapsed: false, position: "topright" }).addTo(map);
  var drawn = { streets: true, communities: true, compounds: true };

  function popup(layer, props) {
    var title = props.name || layer.title;
    return "<strong>" + L.Util.template("{t}", { t: title }) + "</strong><br>" + layer.title;
  }

  config.layers.forEach(function (layer) {
    if (!(layer.id in drawn) || layer.count === 0) { return; }
    fetch("/api/layers/" + encodeURIComponent(layer.id) + "/features?limit=10000")
      .then(function (r) {
        if (!r.ok) { throw new Error(layer.id + ": HTTP " + r.status); }
        return r.json();
      })
      .then(function (fc) {
        var gl = L.geoJSON(fc, {
          style: function () { return layer.style; },
          onEachFeature: function (f, l) {
            if (f.properties && f.properties.name) {
              l.bindTooltip(String(f.properties.name), { sticky: true });
              l.bindPopup(popup(layer, f.properties));
            }
          }
        });
        gl.addTo(map);
        if (layer.id !== "compounds") { gl.bringToFront(); }
        control.addOverlay(gl, layer.title + "（" + fc.features.length + "）");
        var row = document.querySelector('tr[data-layer="' + layer.id + '"]');
        if (row) { row.classList.add("gs-drawn"); }
        document.body.dataset["drawn_" + layer.id] = String(fc.features.length);
      })
      .catch(function (err) {
        var row = document.querySelector('tr[data-layer="' + layer.id + '"]');
        if (row) { row.classList.add("gs-failed"); row.title = String(err); }
      });
  });
};
