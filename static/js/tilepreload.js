/* Starts the download of the opening view's vector tiles while the page's scripts load.
   mapbuilder.py inlines this file at the top of <head> with the page's configuration in
   place of CONFIG. Without it the tiles would be asked for only once Leaflet,
   mvtlayer.js and onescreen.js have been downloaded and run; with it they arrive alongside
   the scripts.

   It works out the tiles the way Leaflet 1.9 will once onescreen.js has set the view:
   the #zoom/lat/lon address or the district's bounds fitted into the map (the window
   less the panel), in Web Mercator (L.CRS.EPSG3857, the same arithmetic in the same
   order), tiles of 256 << tileZoomOffset pixels named by their 256-pixel zoom, only
   those overlapping the district's bounds padded by 5%, of the bundle the map asks for
   at that zoom (cfg.layers: [name, from zoom, to zoom]). It fetches them in one block
   (/tiles/<bundle>/<z>/block) and hands each to the map's first request for it
   (gsTilePreload.take, mvtlayer.js's preloaded option). The GCJ-02 map (L.CRS.GCJ02)
   is left to load its tiles itself. */
(function (cfg) {
  "use strict";
  if (!cfg || cfg.gcj02) { return; }
  var R = 6378137, MAX_LAT = 85.0511287798, A = 0.5 / (Math.PI * R), TILE = 256 * Math.pow(2, cfg.tileZoomOffset);

  function scale(z) { return 256 * Math.pow(2, z); }
  function project(lat, lng, z) {  // L.CRS.EPSG3857.latLngToPoint
    var d = Math.PI / 180, la = Math.max(Math.min(MAX_LAT, lat), -MAX_LAT), sin = Math.sin(la * d);
    var x = R * lng * d, y = R * Math.log((1 + sin) / (1 - sin)) / 2, s = scale(z);
    return [s * (A * x + 0.5), s * (-A * y + 0.5)];
  }
  function unproject(px, py, z) {  // L.CRS.EPSG3857.pointToLatLng
    var s = scale(z), x = (px / s - 0.5) / A, y = (py / s - 0.5) / -A, d = 180 / Math.PI;
    return [(2 * Math.atan(Math.exp(y / R)) - (Math.PI / 2)) * d, x * d / R];
  }
  function trunc(v) { return v > 0 ? Math.floor(v) : Math.ceil(v); }
  function clamp(z) { return Math.max(cfg.minZoom, Math.min(cfg.maxZoom, z)); }

  var w = window.innerWidth - (window.innerWidth <= cfg.narrow[0] ? cfg.narrow[1] : cfg.panel), h = window.innerHeight;
  var b = cfg.bounds, zoom, centre;
  var hash = /^#(\d{1,2})\/(-?\d+(?:\.\d+)?)\/(-?\d+(?:\.\d+)?)$/.exec(location.hash);
  if (hash) {  // map.setView([lat, lon], zoom)
    zoom = clamp(Number(hash[1]));
    centre = [Number(hash[2]), Number(hash[3])];
  } else if (b) {  // map.fitBounds(bounds): getBoundsZoom, then the centre of the bounds
    var se = project(b[1], b[2], cfg.zoomStart), nw = project(b[3], b[0], cfg.zoomStart);
    var fit = Math.min(w / (se[0] - nw[0]), h / (se[1] - nw[1]));
    zoom = Math.log(fit * scale(cfg.zoomStart) / 256) / Math.LN2;
    zoom = clamp(Math.floor(Math.round(zoom / 0.01) * 0.01));
    var sw = project(b[1], b[0], zoom), ne = project(b[3], b[2], zoom);
    centre = unproject((sw[0] + ne[0]) / 2, (sw[1] + ne[1]) / 2, zoom);
  } else {
    return;
  }
  if (zoom === cfg.zoomStart) {
    // At the zoom folium opened the map at, setView pans it by whole pixels instead
    // (Map._tryAnimatedPan): the centre is then the one of the panned pixel origin.
    var start = project(cfg.location[0], cfg.location[1], zoom);
    var ox = Math.round(start[0] - w / 2), oy = Math.round(start[1] - h / 2);
    var to = project(centre[0], centre[1], zoom);
    var dx = trunc(Math.round(to[0]) - ox - w / 2), dy = trunc(Math.round(to[1]) - oy - h / 2);
    if (Math.abs(dx) <= w && Math.abs(dy) <= h) { centre = unproject(w / 2 + dx + ox, h / 2 + dy + oy, zoom); }
  }
  // GridLayer._update: the pixel bounds around the floored centre, in TILE-pixel tiles
  var c = project(centre[0], centre[1], zoom);
  c = [Math.floor(c[0]), Math.floor(c[1])];
  var x0 = Math.floor((c[0] - w / 2) / TILE), x1 = Math.ceil((c[0] + w / 2) / TILE) - 1;
  var y0 = Math.floor((c[1] - h / 2) / TILE), y1 = Math.ceil((c[1] + h / 2) / TILE) - 1;
  // the layers' bounds option: the district's bounds padded by 5% (LatLngBounds.pad)
  var padLat = b ? Math.abs(b[1] - b[3]) * 0.05 : 0, padLng = b ? Math.abs(b[0] - b[2]) * 0.05 : 0;
  var south = b ? b[1] - padLat : -90, west = b ? b[0] - padLng : -180;
  var north = b ? b[3] + padLat : 90, east = b ? b[2] + padLng : 180;
  var bundle = null;
  cfg.layers.forEach(function (l) { if (zoom >= l[1] && zoom <= l[2]) { bundle = l[0]; } });
  var tz = zoom - cfg.tileZoomOffset, cols = x1 - x0 + 1, n = cols * (y1 - y0 + 1), urls = [], at = {};
  for (var y = y0; y <= y1; y++) {
    for (var x = x0; x <= x1; x++) {
      var tnw = unproject(x * TILE, y * TILE, zoom), tse = unproject((x + 1) * TILE, (y + 1) * TILE, zoom);
      if (!bundle || !(tnw[0] > south && tse[0] < north && tse[1] > west && tnw[1] < east)) { continue; }
      var url = "/tiles/" + bundle + "/" + tz + "/" + x + "/" + y + ".pbf";
      urls.push(url);
      at[url] = (y - y0) * cols + (x - x0);  // its place in the block
    }
  }
  // One request for the whole block (x0..x1, y0..y1) instead of one per tile: each
  // request costs the page's main thread a few milliseconds, and tiles that come one by
  // one are drawn one by one, with frames in between.
  if (n > cfg.maxBlock) { urls = []; at = {}; }  // the map asks for each
  var block = !urls.length ? null : fetch("/tiles/" + bundle + "/" + tz + "/block?x0=" + x0 + "&x1=" + x1 + "&y0=" + y0 + "&y1=" + y1)
    .then(function (r) {
      if (!r.ok) { throw new Error("tile block: HTTP " + r.status); }
      return r.arrayBuffer();
    }).then(function (buf) {
      var sizes = new DataView(buf), tiles = [], pos = 4 * n;
      for (var i = 0; i < n; i++) {
        var len = sizes.getUint32(4 * i, true);
        tiles.push(new Uint8Array(buf, pos, len));
        pos += len;
      }
      return tiles;
    });
  if (block) { block.catch(function () {}); }  // a failed block: the map fetches each tile itself
  // what it worked out, for the tests to hold against the map Leaflet draws; take(url):
  // the bytes of a tile of the block (a promise), once, or null
  window.gsTilePreload = {
    zoom: zoom, pixelCentre: c, size: [w, h], urls: urls,
    take: function (url) {
      if (!(url in at)) { return null; }
      var i = at[url];
      delete at[url];
      return block.then(function (tiles) { return tiles[i]; });
    }
  };
})(CONFIG);
