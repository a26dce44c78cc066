/* L.GS.vectorTiles: Mapbox vector tiles (ST_AsMVT) drawn on one canvas per tile.

   Replaces Leaflet.VectorGrid (1.3.0, unmaintained since 2017) on the one-screen map.
   VectorGrid makes a Leaflet path object per feature and draws each one by itself: at
   the street view (~10,000 buildings) that was most of the page's time. Here a tile is
   decoded with Pbf into flat coordinate arrays, its features are grouped by style into
   one Path2D per style, and each group is filled, then stroked, in one call. The decoded
   features stay with the tile: a restyle (another choropleth metric, a selected
   compound) redraws from them without fetching again, and a pointer is hit-tested
   against them (topmost layer first) to fire "mouseover", "mouseout" and "click" with
   {layer: {properties}, latlng} as VectorGrid did.

   Events carry sourceLayer, the MVT layer of the feature, for tiles of several layers.

   The URL is a template of {x}, {y}, {z}, {tz} (the map zoom less tileZoomOffset, as
   512-pixel tiles are addressed one zoom up) and, as in L.TileLayer, any option: a
   function option is called with those values (e.g. a bundle of more MVT layers at some
   zooms than at others). Options (besides L.GridLayer's): styles {mvtLayerName:
   function (properties, zoom) -> Leaflet path options or null to hide; returning one
   object for all features styled alike, never changed afterwards, saves comparing
   their options feature by feature}, interactive
   (true, or the MVT layers whose features take the pointer), tileZoomOffset, and
   preloaded (function (url) -> a promise of the tile's bytes fetched already, or null;
   the tile is fetched as usual if there are none or they fail).

   A tile is drawn on an OffscreenCanvas and shown as an ImageBitmap in its <canvas>
   ("bitmaprenderer"), not drawn on the <canvas>'s own 2D context. When Chromium
   composites in software (no GPU: headless, and PCs whose GPU it blocks), every frame's
   commit copies each 2D canvas anew, changed or not: 12 tiles at the street view,
   ~1 ms each, in every frame of a pan or a tooltip and twice or more while the page
   opens. A bitmap is handed over once.

   A tile is first drawn with its points and only those lines and polygons that reach
   into the part of it the map shows (padded by CULL_PX): a tile at the edge of the view
   may be mostly outside it. The first time a pan, a zoom or a resize would show more of
   it (the map's "move" and "resize" events, before the frame that shows it is painted),
   the whole tile is drawn. Features not drawn have no style and are not hit-tested. */
(function () {
  "use strict";

  var PT = 1, LINE = 2, POLY = 3;
  var CULL_PX = 32;  // beyond half the widest stroke (points, whatever their radius, are all drawn)
  // Leaflet's own defaults: L.Path's, with fill for polygons (L.Polygon) and points
  // (L.CircleMarker, radius 10); lines are never filled.
  var DEFAULTS = {};
  DEFAULTS[PT] = L.extend({}, L.Path.prototype.options, { fill: true, radius: 10 });
  DEFAULTS[LINE] = L.Path.prototype.options;
  DEFAULTS[POLY] = L.extend({}, L.Path.prototype.options, { fill: true });

  // -- decoding (Mapbox Vector Tile specification 2.1) -----------------------------------
  // Floats and doubles through a DataView on the tile (Pbf reads them bit by bit in
  // JavaScript): the compounds' figures are most of a tile's values.
  function readValue(pbf, view) {
    var end = pbf.readVarint() + pbf.pos, v = null;
    while (pbf.pos < end) {
      var key = pbf.readVarint(), tag = key >> 3;
      if (tag === 2 || tag === 3) {
        v = tag === 2 ? view.getFloat32(pbf.pos, true) : view.getFloat64(pbf.pos, true);
        pbf.pos += tag === 2 ? 4 : 8;
        continue;
      }
      v = tag === 1 ? pbf.readString() : tag === 4 ? pbf.readVarint(true) : tag === 5 ? pbf.readVarint()
        : tag === 6 ? pbf.readSVarint() : tag === 7 ? pbf.readBoolean() : (pbf.skip(key), null);
    }
    return v;
  }
  // The tags and geometry of a tile are mostly one-byte varints: read inline, with Pbf
  // taking the longer ones (these loops run for every vertex and attribute of the tile).
  function readGeometry(pbf, f, scale) {
    var buf = pbf.buf, pos = pbf.pos, end, c, cmd = 1, n = 0, x = 0, y = 0, ring = null;
    c = buf[pos++]; if (c >= 0x80) { pbf.pos = pos - 1; c = pbf.readVarint(); pos = pbf.pos; }
    end = pos + c;
    var rings = [], x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    while (pos < end) {
      if (n <= 0) {
        c = buf[pos++]; if (c >= 0x80) { pbf.pos = pos - 1; c = pbf.readVarint(); pos = pbf.pos; }
        cmd = c & 7; n = c >> 3;
      }
      n--;
      if (cmd === 1 || cmd === 2) {
        c = buf[pos++]; if (c >= 0x80) { pbf.pos = pos - 1; c = pbf.readVarint(); pos = pbf.pos; }
        x += (c >>> 1) ^ -(c & 1);
        c = buf[pos++]; if (c >= 0x80) { pbf.pos = pos - 1; c = pbf.readVarint(); pos = pbf.pos; }
        y += (c >>> 1) ^ -(c & 1);
        var px = x * scale, py = y * scale;
        if (cmd === 1) { ring = []; rings.push(ring); }
        ring.push(px, py);
        if (px < x0) { x0 = px; } if (px > x1) { x1 = px; }
        if (py < y0) { y0 = py; } if (py > y1) { y1 = py; }
      }  // 7: ClosePath, drawn by closing each polygon ring
    }
    pbf.pos = pos;
    f.rings = rings;
    f.box = [x0, y0, x1, y1];
  }
  function readFeature(pbf, layer, size) {
    // every field a feature will have, style set when drawn: no change of shape later
    var end = pbf.readVarint() + pbf.pos, geom = -1;
    var f = { type: 0, layer: layer.name, properties: {}, rings: [], box: null, style: null };
    var keys = layer.keys, values = layer.values, props = f.properties;
    while (pbf.pos < end) {
      var key = pbf.readVarint(), tag = key >> 3;
      if (tag === 2) {
        var buf = pbf.buf, pos = pbf.pos, c, k;
        c = buf[pos++]; if (c >= 0x80) { pbf.pos = pos - 1; c = pbf.readVarint(); pos = pbf.pos; }
        var tagsEnd = pos + c;
        while (pos < tagsEnd) {
          k = buf[pos++]; if (k >= 0x80) { pbf.pos = pos - 1; k = pbf.readVarint(); pos = pbf.pos; }
          c = buf[pos++]; if (c >= 0x80) { pbf.pos = pos - 1; c = pbf.readVarint(); pos = pbf.pos; }
          props[keys[k]] = values[c];
        }
        pbf.pos = pos;
      } else if (tag === 3) {
        f.type = pbf.readVarint();
      } else if (tag === 4) {
        geom = pbf.pos;  // decoded once the layer's extent is known (it may come later)
        pbf.skip(key);
      } else {
        pbf.skip(key);
      }
    }
    if (geom >= 0) {
      pbf.pos = geom;
      readGeometry(pbf, f, size / layer.extent);
      pbf.pos = end;
    }
    return f;
  }
  /** {layerName: [feature]} of one tile (an ArrayBuffer or Uint8Array), coordinates in
      CSS pixels of a ``size`` tile;
      a feature is {type, layer (its layer's name), properties, rings, box, style}. */
  function decode(buf, size) {
    var bytes = buf instanceof Uint8Array ? buf : new Uint8Array(buf);
    var pbf = new Pbf(bytes), view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), out = {};
    while (pbf.pos < pbf.length) {
      var key = pbf.readVarint();
      if (key >> 3 !== 3) { pbf.skip(key); continue; }
      var end = pbf.readVarint() + pbf.pos;
      var layer = { name: "", extent: 4096, keys: [], values: [], starts: [] };
      while (pbf.pos < end) {
        var k = pbf.readVarint(), tag = k >> 3;
        if (tag === 1) { layer.name = pbf.readString(); }
        else if (tag === 2) { layer.starts.push(pbf.pos); pbf.skip(k); }
        else if (tag === 3) { layer.keys.push(pbf.readString()); }
        else if (tag === 4) { layer.values.push(readValue(pbf, view)); }
        else if (tag === 5) { layer.extent = pbf.readVarint(); }
        else { pbf.skip(k); }
      }
      var feats = [];
      for (var i = 0; i < layer.starts.length; i++) {
        pbf.pos = layer.starts[i];
        feats.push(readFeature(pbf, layer, size));
      }
      pbf.pos = end;
      out[layer.name] = feats;
    }
    return out;
  }

  // -- drawing ------------------------------------------------------------------------
  var BITMAPS = typeof OffscreenCanvas === "function" && typeof ImageBitmapRenderingContext === "function";
  var scratch = {};  // "width x height" -> the OffscreenCanvas tiles of that size are drawn on
  // The 2D context a tile is drawn with, and show() to put the drawing in its <canvas>.
  function surface(canvas) {
    if (!BITMAPS) { return { ctx: canvas.getContext("2d"), show: function () {} }; }
    var key = canvas.width + "x" + canvas.height;
    var off = scratch[key] || (scratch[key] = new OffscreenCanvas(canvas.width, canvas.height));
    return {
      ctx: off.getContext("2d"),
      // the bitmap moves to the tile, and the OffscreenCanvas starts blank again
      show: function () { canvas.getContext("bitmaprenderer").transferFromImageBitmap(off.transferToImageBitmap()); }
    };
  }
  // A feature's rings as SVG path data, appended to parts: a style group's path is made
  // from the string in one call (new Path2D(data)). Made by moveTo/lineTo/arc, one call
  // from JavaScript into the browser per vertex, the same path took 5-6 times as long.
  function trace(parts, f, radius) {
    for (var r = 0; r < f.rings.length; r++) {
      var ring = f.rings[r];
      if (f.type === PT) {  // a circle: two half arcs from its rightmost point
        var x = ring[0], y = ring[1], arc = "A" + radius + " " + radius + " 0 1 0 ";
        parts.push("M" + (x + radius) + " " + y + arc + (x - radius) + " " + y + arc + (x + radius) + " " + y + "Z");
        continue;
      }
      // the pairs after the first are taken as lines to them
      parts.push(f.type === POLY ? "M" + ring.join(" ") + "Z" : "M" + ring.join(" "));
    }
  }

  // -- hit testing (tile pixels) ---------------------------------------------------------
  function inRing(ring, x, y) {
    var inside = false;
    for (var i = 0, j = ring.length - 2; i < ring.length; j = i, i += 2) {
      var xi = ring[i], yi = ring[i + 1], xj = ring[j], yj = ring[j + 1];
      if ((yi > y) !== (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) { inside = !inside; }
    }
    return inside;
  }
  function nearLine(ring, x, y, tol) {
    for (var i = 2; i < ring.length; i += 2) {
      var ax = ring[i - 2], ay = ring[i - 1], dx = ring[i] - ax, dy = ring[i + 1] - ay;
      var t = dx || dy ? Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy))) : 0;
      var ex = ax + t * dx - x, ey = ay + t * dy - y;
      if (ex * ex + ey * ey <= tol * tol) { return true; }
    }
    return false;
  }
  function hits(f, x, y) {
    if (!f.box) { return false; }  // no geometry
    var st = f.style, pad = st.weight / 2 + (f.type === PT ? st.radius || 0 : 3);
    if (x < f.box[0] - pad || x > f.box[2] + pad || y < f.box[1] - pad || y > f.box[3] + pad) { return false; }
    var r;
    if (f.type === POLY) {
      var inside = false;
      for (r = 0; r < f.rings.length; r++) { if (inRing(f.rings[r], x, y)) { inside = !inside; } }
      return inside;
    }
    for (r = 0; r < f.rings.length; r++) {
      var ring = f.rings[r];
      if (f.type === PT ? (ring[0] - x) * (ring[0] - x) + (ring[1] - y) * (ring[1] - y) <= pad * pad
        : nearLine(ring, x, y, pad)) { return true; }
    }
    return false;
  }

  // One pointer dispatcher per map: the topmost interactive layer under the pointer takes
  // the event (as the topmost canvas did with VectorGrid).
  function dispatcher(map) {
    if (map._gsVectorTiles) { return map._gsVectorTiles; }
    var d = map._gsVectorTiles = { layers: [], over: null };
    function find(e) {
      for (var i = d.layers.length - 1; i >= 0; i--) {
        var f = d.layers[i]._featureAt(e.latlng);
        if (f) { return { layer: d.layers[i], feature: f }; }
      }
      return null;
    }
    function fromPath(e) {  // an SVG overlay (warnings) above the tiles took it
      var t = e.originalEvent && e.originalEvent.target;
      return t && t.namespaceURI === "http://www.w3.org/2000/svg";
    }
    function payload(hit, e) {
      return {
        layer: { properties: hit.feature.properties }, sourceLayer: hit.feature.layer,
        latlng: e && e.latlng, originalEvent: e && e.originalEvent
      };
    }
    d.leave = function (e) {  // the pointer left the hovered feature's layer (or the map)
      if (d.over) { d.over.layer.fire("mouseout", payload(d.over, e)); d.over = null; }
      map.getContainer().style.cursor = "";
    };
    map.on("mousemove", function (e) {
      var hit = fromPath(e) ? null : find(e);
      var was = d.over;
      if (hit && was && hit.layer === was.layer && hit.feature === was.feature) { return; }
      if (was) { was.layer.fire("mouseout", payload(was, e)); }
      d.over = hit;
      map.getContainer().style.cursor = hit ? "pointer" : "";
      if (hit) { hit.layer.fire("mouseover", payload(hit, e)); }
    });
    map.on("mouseout", d.leave);
    map.on("click", function (e) {
      var hit = fromPath(e) ? null : find(e);
      if (hit) { hit.layer.fire("click", payload(hit, e)); }
    });
    return d;
  }

  L.GS = L.GS || {};
  L.GS.VectorTiles = L.GridLayer.extend({
    options: { styles: {}, interactive: false, tileZoomOffset: 0 },

    initialize: function (url, options) {
      this._url = url;
      L.GridLayer.prototype.initialize.call(this, options);
      var interactive = this.options.interactive;
      this._hit = function (name) {
        return interactive === true || (Array.isArray(interactive) && interactive.indexOf(name) >= 0);
      };
    },

    onAdd: function (map) {
      L.GridLayer.prototype.onAdd.call(this, map);
      map.on("move resize", this._reveal, this);
      if (this.options.interactive) {  // kept in drawing order: zIndex, then order added
        var layers = dispatcher(map).layers;
        layers.push(this);
        layers.sort(function (x, y) { return x.options.zIndex - y.options.zIndex; });
      }
    },

    onRemove: function (map) {
      map.off("move resize", this._reveal, this);
      var d = dispatcher(map), i = d.layers.indexOf(this);
      if (i >= 0) { d.layers.splice(i, 1); }
      if (d.over && d.over.layer === this) { d.leave(); }
      L.GridLayer.prototype.onRemove.call(this, map);
    },

    setUrl: function (url) {
      this._url = url;
      return this.redraw();
    },

    /** Draw every loaded tile again from its features (no request); "load" as after
        drawing them first, unless some are still on their way (they fire it). */
    restyle: function () {
      for (var key in this._tiles) {
        var rec = this._tiles[key].el._gsTile;
        if (rec) { this._draw(rec); }
      }
      if (this._map && this._noTilesToLoad()) { this.fire("load"); }
      return this;
    },

    createTile: function (coords, done) {
      var size = this.getTileSize(), dpr = window.devicePixelRatio || 1;
      var canvas = document.createElement("canvas");
      canvas.width = size.x * dpr;
      canvas.height = size.y * dpr;
      var url = L.Util.template(this._url, L.extend({}, this.options, coords, { tz: coords.z - this.options.tileZoomOffset }));
      var self = this, pre = this.options.preloaded && this.options.preloaded(url);
      function get() {
        return fetch(url).then(function (r) {
          if (!r.ok) { throw new Error(url + " → HTTP " + r.status); }
          return r.arrayBuffer();
        });
      }
      (pre ? pre.catch(get) : get()).then(function (buf) {
        // A tile removed meanwhile (zoomed away, layer hidden, new URL) is not drawn: its
        // key may already hold the tile that replaced it, which Leaflet would mark loaded.
        if (!canvas.isConnected || !self._map) { return; }
        var layers = decode(buf, size.x), features = [];
        for (var name in layers) {  // in the tile's order: later layers drawn above
          if (self.options.styles[name]) { features = features.concat(layers[name]); }
        }
        canvas._gsTile = { canvas: canvas, coords: coords, dpr: dpr, features: features, part: undefined };
        self._draw(canvas._gsTile);
        done(null, canvas);
      }, function (err) {
        if (canvas.isConnected && self._map) { done(err, canvas); }
      });
      return canvas;
    },

    /** The part of the tile at coords the map shows, padded by CULL_PX, in tile pixels
        [x0, y0, x1, y1]: the map's bounds at the tile's zoom. As a zoom animation starts
        (its "move") they are the bounds it ends at: zooming out, every view on the way
        lies inside them; zooming in, inside the bounds it started from. */
    _shown: function (coords) {
      var map = this._map;
      if (!map) { return null; }
      var b = map.getBounds(), size = this.getTileSize();
      var nw = map.project(b.getNorthWest(), coords.z), se = map.project(b.getSouthEast(), coords.z);
      var x = coords.x * size.x, y = coords.y * size.y;
      return [nw.x - x - CULL_PX, nw.y - y - CULL_PX, se.x - x + CULL_PX, se.y - y + CULL_PX];
    },

    // Tiles drawn in part that the map now shows more of are drawn whole.
    _reveal: function () {
      for (var key in this._tiles) {
        var rec = this._tiles[key].el._gsTile, now = rec && rec.part && this._shown(rec.coords);
        if (now && (now[0] < rec.part[0] || now[1] < rec.part[1] || now[2] > rec.part[2] || now[3] > rec.part[3])) {
          rec.part = null;
          this._draw(rec);
        }
      }
    },

    _draw: function (rec) {
      var w = rec.canvas.width / rec.dpr, h = rec.canvas.height / rec.dpr, part = rec.part;
      if (part !== null) {  // null once drawn whole
        part = rec.part = this._shown(rec.coords);
        if (part && part[0] <= 0 && part[1] <= 0 && part[2] >= w && part[3] >= h) { part = rec.part = null; }
      }
      var out = surface(rec.canvas), ctx = out.ctx, zoom = rec.coords.z, groups = {}, order = [], styles = this.options.styles;
      var byStyle = new Map();  // a style object returned again joins its group without the key
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.clearRect(0, 0, rec.canvas.width, rec.canvas.height);
      ctx.setTransform(rec.dpr, 0, 0, rec.dpr, 0, 0);
      for (var i = 0; i < rec.features.length; i++) {
        var f = rec.features[i], b = f.box;
        if (part && b && f.type !== PT && (b[2] < part[0] || b[0] > part[2] || b[3] < part[1] || b[1] > part[3])) { f.style = null; continue; }
        var own = styles[f.layer](f.properties, zoom);
        if (!own) { f.style = null; continue; }
        var g = byStyle.get(own);
        if (g && g.type === f.type) { f.style = g.style; trace(g.parts, f, g.style.radius || 0); continue; }
        // Features whose style functions return the same values share one merged style
        // and one path: no copy of Leaflet's defaults per feature.
        var gkey = f.type + "|" + own.fill + "|" + own.fillColor + "|" + own.fillOpacity + "|" + own.stroke + "|" +
          own.color + "|" + own.weight + "|" + own.opacity + "|" + own.dashArray + "|" + own.radius + "|" + own.lineCap + "|" + own.lineJoin;
        g = groups[gkey];
        if (!g) {
          var st = L.extend({}, DEFAULTS[f.type] || DEFAULTS[POLY], own);
          if (f.type === LINE) { st.fill = false; }
          g = groups[gkey] = { style: st, parts: [], path: null, type: f.type };
          order.push(g);
        }
        byStyle.set(own, g);
        f.style = g.style;
        trace(g.parts, f, g.style.radius || 0);
      }
      order.forEach(function (grp) { grp.path = new Path2D(grp.parts.join("")); });
      order.forEach(function (grp) {  // every fill first, so outlines stay on top
        var s = grp.style;
        if (!s.fill) { return; }
        ctx.globalAlpha = s.fillOpacity;
        ctx.fillStyle = s.fillColor || s.color;
        // nonzero: the features of a group overlap (two complaints at one address) and
        // must not cancel out; holes still show, as MVT winds them against the outer ring.
        ctx.fill(grp.path, "nonzero");
      });
      order.sort(function (a, b) { return a.style.weight - b.style.weight; });  // thick (selected) last
      order.forEach(function (grp) {
        var s = grp.style;
        if (!s.stroke || !(s.weight > 0) || !(s.opacity > 0)) { return; }
        ctx.globalAlpha = s.opacity;
        ctx.strokeStyle = s.color;
        ctx.lineWidth = s.weight;
        ctx.lineCap = s.lineCap;
        ctx.lineJoin = s.lineJoin;
        ctx.setLineDash(s.dashArray ? String(s.dashArray).split(/[ ,]+/).map(Number) : []);
        ctx.stroke(grp.path);
      });
      ctx.globalAlpha = 1;
      out.show();
    },

    _featureAt: function (latlng) {
      var map = this._map, zoom = map.getZoom();
      if (zoom !== this._tileZoom) { return null; }
      var size = this.getTileSize(), p = map.project(latlng, zoom);
      var coords = L.point(Math.floor(p.x / size.x), Math.floor(p.y / size.y));
      coords.z = zoom;
      var tile = this._tiles[this._tileCoordsToKey(coords)], rec = tile && tile.el._gsTile;
      if (!rec) { return null; }
      var x = p.x - coords.x * size.x, y = p.y - coords.y * size.y;
      for (var i = rec.features.length - 1; i >= 0; i--) {
        var f = rec.features[i];
        if (f.style && this._hit(f.layer) && hits(f, x, y)) { return f; }
      }
      return null;
    }
  });

  L.GS.vectorTiles = function (url, options) { return new L.GS.VectorTiles(url, options); };
  L.GS.decodeTile = decode;
})();
