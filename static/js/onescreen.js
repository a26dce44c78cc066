/* 一屏掌握: the one-screen map for district leaders.
   folium creates the Leaflet map and calls GeoService.start(map); everything else is
   fetched from the API: vector tiles (ST_AsMVT) for compounds, outlines,
   buildings and point layers, aggregated grids for the heat overlays. */
(function () {
  "use strict";

  var PALETTE_BAD_HIGH = ["#1a9641", "#a6d96a", "#ffffbf", "#fdae61", "#d7191c"];
  var PALETTE_GOOD_HIGH = PALETTE_BAD_HIGH.slice().reverse();
  var BUILDING_COLOURS = [
    ["original", "原有电梯", "#4575b4"],
    ["completed", "加装完工", "#1a9850"],
    ["pipeline", "加装推进中", "#fdae61"],
    ["none", "无电梯", "#bdbdbd"]
  ];
  var STAGE_LABELS = { intent: "意向征集", consultation: "协商公示", approved: "审批通过", construction: "施工中", completed: "已完工" };
  var KIND_LABELS = { old: "老旧小区", commodity: "商品房", resettlement: "回迁安置" };
  var SERVICE_LABELS = { professional: "专业物业", self_managed: "自管会", none: "无物业" };

  function $(id) { return document.getElementById(id); }
  function esc(s) {
    return String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function pct(v) { return v === null || v === undefined ? "—" : (v * 100).toFixed(1) + "%"; }
  // Digits grouped and at most d decimals, as zh-CN writes them (12,345.6) -- without Intl,
  // whose first call spends ~30 ms loading locale data while the page opens.
  function num(v, d) {
    if (v === null || v === undefined) { return "—"; }
    var parts = String(Number(Number(v).toFixed(d || 0))).split(".");
    return parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",") + (parts[1] ? "." + parts[1] : "");
  }
  function yes(v) { return v ? "是" : "否"; }
  function getJSON(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) { throw new Error(url + " → HTTP " + r.status); }
      return r.json();
    });
  }
  // A script loaded once, when first needed (CSP allows same-origin scripts).
  var loading = {};
  function loadScript(url) {
    if (!loading[url]) {
      loading[url] = new Promise(function (resolve, reject) {
        var s = document.createElement("script");
        s.src = url;
        s.onload = resolve;
        s.onerror = function () { delete loading[url]; reject(new Error(url + " 未能加载")); };
        document.head.appendChild(s);
      });
    }
    return loading[url];
  }
  function mark(key, value) { document.body.dataset[key] = String(value); }
  function showError(err) {
    var box = $("gs-error");
    if (!box) {
      box = document.createElement("p");
      box.id = "gs-error";
      box.className = "gs-error";
      $("gs-panel").appendChild(box);
    }
    box.textContent = "数据加载失败：" + err.message;
  }

  function start(map) {
    var cfg = JSON.parse($("gs-config").textContent);
    var layerCfg = {};
    cfg.layers.forEach(function (l) { layerCfg[l.id] = l; });
    var tileQuery = cfg.gcj02 ? "?crs=gcj02" : "";
    // Vector tiles: 256 << tileZoomOffset = 512-pixel tiles (a quarter of the requests and
    // canvases of 256-pixel ones) and none outside the district. A 512-pixel tile at map
    // zoom z is the standard tile of zoom z - 1: the URLs use {tz} for it (filled by
    // static/js/mvtlayer.js), since Leaflet's GridLayer puts the map zoom in {z}.
    var tileBounds = cfg.bounds ? L.latLngBounds([[cfg.bounds[1], cfg.bounds[0]], [cfg.bounds[3], cfg.bounds[2]]]).pad(0.05) : undefined;
    function tileOptions(extra) {
      return L.extend({
        tileSize: 256 << cfg.tileZoomOffset, tileZoomOffset: cfg.tileZoomOffset, maxZoom: 20, bounds: tileBounds
      }, extra);
    }
    var state = { metric: cfg.metrics[0], breaks: [], street: "", community: "", selected: null };

    // A view in the address (#zoom/lat/lon, kept up to date) can be shared or bookmarked;
    // otherwise the whole district. No animation: layers added next load their tiles for
    // the final zoom only.
    var hash = /^#(\d{1,2})\/(-?\d+(?:\.\d+)?)\/(-?\d+(?:\.\d+)?)$/.exec(location.hash);
    if (hash) {
      map.setView([Number(hash[2]), Number(hash[3])], Number(hash[1]), { animate: false });
    } else if (cfg.bounds) {
      map.fitBounds([[cfg.bounds[1], cfg.bounds[0]], [cfg.bounds[3], cfg.bounds[2]]], { animate: false });
    }
    map.on("moveend", function () {
      var c = map.getCenter();
      history.replaceState(null, "", "#" + map.getZoom() + "/" + c.lat.toFixed(5) + "/" + c.lng.toFixed(5));
    });
    map.createPane("gs-areas").style.zIndex = 450;
    map.getPane("gs-areas").style.pointerEvents = "none";

    var base = {};
    if (cfg.basemap) {
      base[cfg.basemap.name] = L.tileLayer(cfg.basemap.url, {
        subdomains: cfg.basemap.subdomains || "abc", attribution: cfg.basemap.attribution, maxZoom: 18, zIndex: 0
      }).addTo(map);
    }
    // Put on the map once every overlay is in it: each addOverlay on a shown control rebuilds
    // its list and forces a layout.
    // The tile layers' order is set here (zIndex: basemap 0, compounds and outlines 1,
    // buildings 2, the points above), not by the order they enter the control.
    var control = L.control.layers(base, {}, { collapsed: false, position: "topright", autoZIndex: false });
    var tileZ = 1;
    // expand() measures the list to fit it in the map (offsetTop, clientHeight): a forced
    // layout of the whole page in the middle of start(). It runs in the next frame instead,
    // where the frame's own layout serves it (Leaflet 1.9's Control.Layers, pinned).
    control._expandIfNotCollapsed = function () {
      var self = this;
      if (this._map && !this.options.collapsed && !this._expandQueued) {
        this._expandQueued = true;
        L.DomUtil.addClass(this._container, "leaflet-control-layers-expanded");
        L.Util.requestAnimFrame(function () {
          self._expandQueued = false;
          if (self._map) { self.expand(); }
        });
      }
      return this;
    };
    var legend = L.control({ position: "bottomright" });
    legend.onAdd = function () {
      var div = L.DomUtil.create("div", "gs-map-legend");
      div.id = "gs-map-legend";
      return div;
    };
    legend.addTo(map);

    // -- compounds: choropleth from vector tiles ----------------------------------------
    // The tiles carry each compound's figures; class breaks come from the server
    // (quintiles over all compounds), so the page never downloads every compound.
    function metricValue(p) { return p[state.metric.id]; }
    function colourFor(p) {
      var metric = state.metric;
      var v = metricValue(p);
      if (metric.kind === "category") {
        for (var i = 0; i < metric.categories.length; i++) {
          if (metric.categories[i][0] === v) { return metric.categories[i][2]; }
        }
        return "#cccccc";
      }
      if (v === null || v === undefined) { return "#cccccc"; }
      var palette = metric.high_is === "good" ? PALETTE_GOOD_HIGH : PALETTE_BAD_HIGH;
      var cls = 0;
      while (cls < state.breaks.length && v >= state.breaks[cls]) { cls++; }
      var scale = palette.length / (state.breaks.length + 1);
      return palette[Math.min(palette.length - 1, Math.floor(cls * scale))];
    }
    function heatOn() {
      return (typeof petitionHeat !== "undefined" && map.hasLayer(petitionHeat)) ||
        (typeof retrofitHeat !== "undefined" && map.hasLayer(retrofitHeat));
    }
    function inArea(p) {
      if (state.community) { return p.community_code === state.community; }
      if (state.street) { return p.street_code === state.street; }
      return true;
    }
    var seen = {};
    function compoundStyle(p) {
      seen[p.id] = true;
      var focus = inArea(p);
      var selected = state.selected === p.id;
      return {
        fill: true,
        color: selected ? "#000000" : "#2c3e50",
        weight: selected ? 3 : 0.6,
        fillColor: colourFor(p),
        fillOpacity: focus ? (heatOn() ? 0.25 : 0.72) : 0.12,
        opacity: focus ? 0.9 : 0.25
      };
    }
    function fmtBreak(v) { return state.metric.kind === "share" ? pct(v) : num(v, 2); }
    function renderChoroplethLegend() {
      var metric = state.metric;
      var html = "";
      if (metric.kind === "category") {
        metric.categories.forEach(function (c) {
          html += '<span class="gs-swatch" style="background:' + c[2] + '"></span>' + esc(c[1]) + " ";
        });
      } else {
        var palette = metric.high_is === "good" ? PALETTE_GOOD_HIGH : PALETTE_BAD_HIGH;
        var edges = [null].concat(state.breaks).concat([null]);
        var scale = palette.length / (state.breaks.length + 1);
        for (var i = 0; i < edges.length - 1; i++) {
          var label = edges[i] === null ? "< " + fmtBreak(edges[i + 1])
            : edges[i + 1] === null ? "≥ " + fmtBreak(edges[i])
              : fmtBreak(edges[i]) + " – " + fmtBreak(edges[i + 1]);
          html += '<div><span class="gs-swatch" style="background:' + palette[Math.min(palette.length - 1, Math.floor(i * scale))] +
            '"></span>' + esc(label) + "</div>";
        }
      }
      $("gs-choropleth-legend").innerHTML = html;
    }
    // The compounds and the community and street outlines come in one tile ("areas": three
    // MVT layers) drawn on one canvas, and from the buildings' zoom with the buildings too
    // ("areas_buildings"): at the street view, half the requests and canvases of a layer of
    // their own. Each has its own entry in the layer control, which shows or hides its
    // features (a restyle, no request; the buildings switched on fetch the tiles again
    // with them). Compounds and buildings take the pointer.
    var shown = { compounds: false, communities: false, streets: false, buildings: false };
    var buildingsFrom = layerCfg.buildings.minZoom;
    var streetsSeen = {};
    function outlineOf(id) { return L.extend({ fill: false }, layerCfg[id].style); }
    function outlineStyle(id) {
      var style = outlineOf(id);
      return function (p) {
        if (!shown[id]) { return null; }
        if (id === "streets") { streetsSeen[p.code] = true; }
        return style;
      };
    }
    var compounds = L.GS.vectorTiles("/tiles/{bundle}/{tz}/{x}/{y}.pbf" + tileQuery, tileOptions({
      bundle: function (t) { return shown.buildings && t.z >= buildingsFrom ? "areas_buildings" : "areas"; },
      interactive: ["compounds", "buildings"], zIndex: tileZ,
      // the opening view's tiles, fetched in one block while the scripts loaded (tilepreload.js)
      preloaded: function (url) { return window.gsTilePreload ? window.gsTilePreload.take(url) : null; },
      styles: {
        compounds: function (p) { return shown.compounds ? compoundStyle(p) : null; },
        communities: outlineStyle("communities"),
        streets: outlineStyle("streets"),
        buildings: function (p) { return shown.buildings ? buildingStyle(p) : null; }
      }
    }));
    var AreaToggle = L.Layer.extend({
      initialize: function (id) { this.id = id; },
      onAdd: function () { shown[this.id] = true; syncAreas(this.id); },
      onRemove: function () { shown[this.id] = false; syncAreas(this.id); }
    });
    function syncAreas(id) {
      var any = shown.compounds || shown.communities || shown.streets || shown.buildings;
      if (!any) { map.removeLayer(compounds); } else if (!map.hasLayer(compounds)) { compounds.addTo(map); }
      else { restyle(id === "buildings" && shown.buildings && map.getZoom() >= buildingsFrom); }
    }
    function areaToggle(id, label, on) {
      var t = new AreaToggle(id);
      control.addOverlay(t, label);
      if (on) { t.addTo(map); }
      return t;
    }
    var compoundsShown = new AreaToggle("compounds");
    var tip = L.tooltip({ sticky: true, className: "gs-tip", direction: "top", offset: [0, -6] });
    compounds.on("mouseover", function (e) {
      if (e.sourceLayer === "compounds") { tip.setLatLng(e.latlng).setContent(esc(e.layer.properties.name)).addTo(map); }
    });
    compounds.on("mouseout", function () { tip.remove(); });
    compounds.on("click", function (e) {
      if (e.sourceLayer === "buildings") { popupFor("buildings", e.layer.properties, e.latlng); } else { selectCompound(e.layer.properties.id, false); }
    });
    compounds.on("load", function () {
      mark("drawn_compounds", Object.keys(seen).length);
      mark("drawn_streets", Object.keys(streetsSeen).length);
      if (shown.compounds && performance.mark) { performance.mark("gs-compounds-drawn"); }
    });
    function restyle(refetch) {  // refetch: the tiles shown lack a layer now switched on
      seen = {};
      streetsSeen = {};
      if (refetch) { compounds.redraw(); } else { compounds.restyle(); }
    }
    function applyMetric() {
      var known = cfg.classes && cfg.classes.metric === state.metric.id ? cfg.classes : null;
      var go = state.metric.kind === "category" ? Promise.resolve({ breaks: [] })
        : known ? Promise.resolve(known)
          : getJSON("/api/compounds/classes?metric=" + encodeURIComponent(state.metric.id));
      return go.then(function (c) {
        state.breaks = c.breaks;
        renderChoroplethLegend();
        if (map.hasLayer(compoundsShown)) { restyle(); } else { compoundsShown.addTo(map); }
        mark("metric", state.metric.id);
      });
    }
    control.addOverlay(compoundsShown, "小区（专题着色）");

    // -- outlines -----------------------------------------------------------------
    function outlineTiles(id, label) {  // off until switched on in the control
      var l = layerCfg[id], style = outlineOf(id);
      var styles = {};
      styles[id] = function () { return style; };
      var vg = L.GS.vectorTiles("/tiles/" + id + "/{tz}/{x}/{y}.pbf" + tileQuery, tileOptions({
        interactive: false, pane: "gs-areas", minZoom: l.minZoom, styles: styles
      }));
      control.addOverlay(vg, label + (l.minZoom ? "（" + l.minZoom + "级以上）" : ""));
      return vg;
    }

    // -- heat overlays ------------------------------------------------------------------
    // Leaflet.heat is loaded when a heat overlay is first switched on, not with the page:
    // both are off when it opens. The overlay in the layer control stands in for the heat
    // layer: switched on, it loads the library (once) and then adds the heat layer.
    var HeatOverlay = L.Layer.extend({
      initialize: function (options) { this._options = options; this._cells = []; this._heat = null; },
      onAdd: function (map) {
        var self = this;
        loadScript(cfg.heatUrl).then(function () {
          if (self._map !== map) { return; }  // switched off meanwhile
          self._heat = self._heat || L.heatLayer(self._cells, self._options);
          map.addLayer(self._heat);
        }).catch(showError);
      },
      onRemove: function (map) { if (this._heat) { map.removeLayer(this._heat); } },
      setGrid: function (options, cells) {
        L.extend(this._options, options);
        this._cells = cells;
        if (this._heat) { this._heat.setOptions(options); this._heat.setLatLngs(cells); }
      }
    });
    function heatOverlay(id, label, params, gradient) {
      var heat = new HeatOverlay({ radius: 22, blur: 18, minOpacity: 0.25, gradient: gradient });
      var seq = 0;
      function refresh() {
        if (!map.hasLayer(heat)) { return; }
        var b = map.getBounds().pad(0.25);
        var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(5); });
        var url = "/api/heat/" + id + "?bbox=" + bbox.join(",") + "&zoom=" + map.getZoom() + "&" + params();
        var mine = ++seq;
        Promise.all([getJSON(url), loadScript(cfg.heatUrl)]).then(function (got) {
          var g = got[0];
          if (mine !== seq) { return; }
          heat.setGrid({ max: Math.max(1, g.max), maxZoom: map.getZoom() }, g.cells);
          mark("heat_" + id + "_cells", g.cells.length);
          mark("heat_" + id + "_sum", g.cells.reduce(function (s, c) { return s + c[2]; }, 0));
          mark("heat_" + id + "_window", g.from + "/" + g.to);
        }).catch(showError);
      }
      heat.refresh = refresh;
      heat.on("add", refresh);
      map.on("moveend", refresh);
      control.addOverlay(heat, label);
      return heat;
    }
    var petitionHeat = heatOverlay("petitions", "信访热力", function () {
      return "window=" + encodeURIComponent($("gs-window").value);
    }, { 0.2: "#4575b4", 0.45: "#ffffbf", 0.7: "#fdae61", 1.0: "#d7191c" });
    var retrofitHeat = heatOverlay("elevator_retrofits", "加装电梯热力", function () {
      return "stage=" + encodeURIComponent($("gs-stage").value);
    }, { 0.2: "#efedf5", 0.5: "#9e9ac8", 1.0: "#3f007d" });
    $("gs-window").addEventListener("change", function () { petitionHeat.refresh(); });
    $("gs-stage").addEventListener("change", function () { retrofitHeat.refresh(); });

    // -- vector tiles -------------------------------------------------------------------
    function circle(colour, n) {
      return { radius: Math.min(14, 3 + Math.sqrt(n || 1) * 1.6), fill: true, fillColor: colour, fillOpacity: 0.75, color: "#ffffff", weight: 1 };
    }
    function tiles(id, label, styleFn, on, extraQuery) {
      var l = layerCfg[id];
      var url = function () {
        var q = tileQuery;
        var extra = extraQuery ? extraQuery() : "";
        if (extra) { q += (q ? "&" : "?") + extra; }
        return "/tiles/" + id + "/{tz}/{x}/{y}.pbf" + q;
      };
      var styles = {};
      styles[id] = styleFn;
      var vg = L.GS.vectorTiles(url(), tileOptions({
        styles: styles, interactive: true, minZoom: l.minZoom, zIndex: ++tileZ
      }));
      vg.reload = function () { vg.setUrl(url()); };
      vg.on("click", function (e) { popupFor(id, e.layer.properties, e.latlng); });
      control.addOverlay(vg, label + "（" + l.minZoom + "级以上）");
      if (on) { vg.addTo(map); }
      return vg;
    }
    function buildingClass(p) {
      if (p.retrofit_stage === "completed") { return "completed"; }
      if (p.retrofit_stage) { return "pipeline"; }
      return p.has_elevator ? "original" : "none";
    }
    var buildingColour = {};
    BUILDING_COLOURS.forEach(function (c) { buildingColour[c[0]] = c[2]; });
    var buildingStyles = {};  // one object per class: mvtlayer.js groups the buildings by it
    function buildingStyle(p) {
      var k = buildingClass(p);
      return buildingStyles[k] || (buildingStyles[k] = { fill: true, fillColor: buildingColour[k], fillOpacity: 0.9, color: "#555555", weight: 0.6 });
    }
    areaToggle("buildings", "楼栋（电梯状态）（" + buildingsFrom + "级以上）", true);
    tiles("party_members", "党员", function (p) { return circle("#d7191c", p.n); }, false);
    tiles("building_captains", "楼栋长/楼道长", function (p) { return circle("#f39c12", p.n); }, false);
    var complaints = tiles("complaints", "投诉（近90天）", function (p) {
      return { radius: 4, fill: true, fillColor: p.open ? "#e31a1c" : "#969696", fillOpacity: 0.85, color: "#ffffff", weight: 0.8 };
    }, false, function () {
      return "status=" + $("gs-complaint-status").value + "&category=" + $("gs-complaint-category").value;
    });
    $("gs-complaint-status").addEventListener("change", function () { complaints.reload(); });
    $("gs-complaint-category").addEventListener("change", function () { complaints.reload(); });

    function popupFor(id, p, latlng) {
      var html = "";
      if (id === "buildings") {
        html = "<strong>" + esc(p.number) + "幢</strong><br>" + esc(p.floors) + "层 · " + esc(p.units) +
          "个单元<br>电梯：" + (p.has_elevator ? "有" : "无") + (p.retrofit_stage ? "（加装：" + esc(STAGE_LABELS[p.retrofit_stage]) + "）" : "");
      } else if (id === "party_members" || id === "building_captains") {
        html = "<strong>" + (id === "party_members" ? "党员 " : "楼栋长/楼道长 ") + esc(p.n) + " 名</strong>" +
          (p.n_reported !== undefined ? "<br>已报到 " + esc(p.n_reported) + " 名" : "");
      } else if (id === "complaints") {
        html = "<strong>投诉 #" + esc(p.id) + "</strong><br>" + esc(p.created) + " · " + (p.open ? "未办结" : "已办结");
      }
      L.popup().setLatLng(latlng).setContent(html).openOn(map);
    }

    // -- map legend for the other layers ---------------------------------------------------
    function renderMapLegend() {
      var html = "<strong>图例</strong>";
      html += '<div class="gs-leg-title">楼栋（15级以上）</div>';
      BUILDING_COLOURS.forEach(function (c) { html += '<div><span class="gs-swatch" style="background:' + c[2] + '"></span>' + c[1] + "</div>"; });
      if (map.hasLayer(complaints)) {
        html += '<div class="gs-leg-title">投诉</div><div><span class="gs-dot" style="background:#e31a1c"></span>未办结 ' +
          '<span class="gs-dot" style="background:#969696"></span>已办结</div>';
      }
      if (map.hasLayer(petitionHeat)) { html += '<div class="gs-leg-title">信访热力</div><div class="gs-ramp gs-ramp-pet"></div><div class="gs-ramp-lab"><span>少</span><span>多</span></div>'; }
      if (map.hasLayer(retrofitHeat)) { html += '<div class="gs-leg-title">加装电梯热力</div><div class="gs-ramp gs-ramp-ret"></div><div class="gs-ramp-lab"><span>少</span><span>多</span></div>'; }
      html += '<div class="gs-leg-title">党员 / 楼栋长</div><div><span class="gs-dot" style="background:#d7191c"></span>党员 ' +
        '<span class="gs-dot" style="background:#f39c12"></span>楼栋长（圆越大人数越多；15级以下按小区汇总）</div>';
      $("gs-map-legend").innerHTML = html;
    }
    map.on("overlayadd overlayremove", function (e) {
      renderMapLegend();
      if (e.layer === petitionHeat || e.layer === retrofitHeat) { restyle(); }
    });
    renderMapLegend();

    // -- compound detail panel ------------------------------------------------------------
    function row(label, value) { return "<tr><th>" + esc(label) + "</th><td>" + value + "</td></tr>"; }
    function renderDetail(m) {
      var html = "<h2>" + esc(m.name) + "</h2><p class=\"gs-where\">" + esc(m.street_name) + " · " + esc(m.community_name) +
        " · " + esc(KIND_LABELS[m.kind] || m.kind) + " · " + esc(m.year_built) + "年</p><table class=\"gs-figures\">";
      html += row("户数 / 楼栋", num(m.households) + " 户 / " + num(m.buildings) + " 幢");
      html += row("投诉（近12个月）", num(m.complaints_12m) + " 件，每百户 " + num(m.complaints_per_100hh, 1) + "，未办结 " + num(m.complaints_open));
      html += row("信访（近12个月）", num(m.petitions_12m) + " 件");
      html += row("楼道长覆盖单元", pct(m.captain_unit_share));
      html += row("党员 / 每幢楼", num(m.party_members_per_building, 2) + "，无党员楼栋 " + num(m.buildings_without_party_member) + " 幢");
      html += row("小区党组织", yes(m.has_party_branch));
      html += row("小区专员", m.has_commissioner ? "已配备" : "<span class=\"gs-bad\">未配备</span>");
      html += row("业委会", m.oc_formed ? "已组建，任期至 " + esc(m.oc_term_end) + "，党员占比 " + pct(m.oc_party_share) : "<span class=\"gs-bad\">未组建</span>");
      html += row("物业", esc(SERVICE_LABELS[m.property_service] || m.property_service) + (m.property_company ? "：" + esc(m.property_company) : "") +
        (m.star_rating ? "，" + m.star_rating + "星" : ""));
      html += row("物业费收缴率", pct(m.fee_collection_rate));
      html += row("经营收益公开 / 电子投票", yes(m.income_disclosed) + " / " + yes(m.e_voting));
      html += row("加装电梯", "完工 " + num(m.retrofits_completed) + "，推进中 " + num(m.retrofits_pipeline));
      html += "</table><p><a class=\"gs-link\" href=\"/compounds/" + encodeURIComponent(m.id) + "\">查看小区档案 →</a></p>";
      $("gs-detail-body").innerHTML = html;
      if (window.GeoIndex) { GeoIndex.panel(m.id, $("gs-detail-body")); }  // issue 8: radar, trend
      $("gs-detail").hidden = false;
      mark("panel", m.id);
    }
    function selectCompound(id, zoom) {
      state.selected = id;  // compoundStyle outlines it
      getJSON("/api/compounds/" + encodeURIComponent(id)).then(function (m) {
        restyle();
        if (zoom) { fit(m.bbox, 16); }
        renderDetail(m);
      }).catch(showError);
    }
    $("gs-detail-close").addEventListener("click", function () {
      $("gs-detail").hidden = true;
      state.selected = null;
      restyle();
      mark("panel", "");
    });

    // -- search (on the server: the page does not hold every compound) ------------------
    var results = $("gs-search-results");
    var searchSeq = 0;
    $("gs-search").addEventListener("input", function (e) {
      var q = e.target.value.trim();
      var mine = ++searchSeq;
      if (!q) { results.innerHTML = ""; return; }
      getJSON("/api/compounds/search?limit=8&q=" + encodeURIComponent(q)).then(function (r) {
        if (mine !== searchSeq) { return; }
        results.innerHTML = "";
        if (!r.compounds.length) { results.innerHTML = '<li class="gs-none">没有找到“' + esc(q) + '”</li>'; return; }
        r.compounds.forEach(function (m) {
          var li = document.createElement("li");
          li.setAttribute("role", "option");
          li.dataset.id = m.id;
          li.innerHTML = esc(m.name) + " <small>" + esc(m.community_name) + "</small>";
          li.addEventListener("click", function () {
            results.innerHTML = "";
            e.target.value = m.name;
            selectCompound(m.id, true);
          });
          results.appendChild(li);
        });
      }).catch(showError);
    });
    $("gs-search").addEventListener("keydown", function (e) {
      if (e.key === "Enter" && results.firstChild && results.firstChild.dataset.id) { results.firstChild.click(); }
    });

    // -- drill-down street → community → compound ---------------------------------------
    var areas = { streets: [], communities: [] };
    function fit(bbox, maxZoom) { map.fitBounds([[bbox[1], bbox[0]], [bbox[3], bbox[2]]], { maxZoom: maxZoom || 18 }); }
    function options(select, items, empty) {
      select.innerHTML = '<option value="">' + empty + "</option>" + items.map(function (i) {
        return '<option value="' + esc(i.code) + '">' + esc(i.name) + "</option>";
      }).join("");
    }
    $("gs-street").addEventListener("change", function (e) {
      state.street = e.target.value;
      state.community = "";
      var comms = areas.communities.filter(function (c) { return c.street_code === state.street; });
      options($("gs-community"), comms, "全部社区");
      $("gs-community").disabled = !state.street;
      options($("gs-compound"), [], "选择小区");
      $("gs-compound").disabled = true;
      restyle();
      var s = areas.streets.filter(function (x) { return x.code === state.street; })[0];
      if (s) { fit(s.bbox); } else if (cfg.bounds) { fit(cfg.bounds); }
      mark("area", state.street);
    });
    $("gs-community").addEventListener("change", function (e) {
      state.community = e.target.value;
      options($("gs-compound"), [], "选择小区");
      $("gs-compound").disabled = true;
      if (state.community) {
        getJSON("/api/compounds/search?limit=500&community=" + encodeURIComponent(state.community)).then(function (r) {
          options($("gs-compound"), r.compounds.map(function (m) { return { code: m.id, name: m.name }; }), "选择小区");
          $("gs-compound").disabled = false;
        }).catch(showError);
      }
      restyle();
      var c = areas.communities.filter(function (x) { return x.code === state.community; })[0];
      if (c) { fit(c.bbox); }
      mark("area", state.community || state.street);
    });
    $("gs-compound").addEventListener("change", function (e) {
      if (e.target.value) { selectCompound(Number(e.target.value), true); }
    });
    $("gs-metric").addEventListener("change", function (e) {
      state.metric = cfg.metrics.filter(function (m) { return m.id === e.target.value; })[0];
      applyMetric().catch(showError);
    });

    // -- KPIs ---------------------------------------------------------------------------------
    function renderKpis(k) {
      var tbody = $("gs-kpis").tBodies[0];
      tbody.innerHTML = k.kpis.map(function (x) {
        var ok = x.value !== null && (x.op === ">=" ? x.value >= x.target - 1e-9 : x.value <= x.target + 1e-9);
        var target = (x.op === ">=" ? "≥" : "≤") + pct(x.target).replace(".0%", "%");
        return '<tr class="' + (ok ? "gs-ok" : "gs-lag") + '" title="' + esc(x.detail || "") + '"><th>' + esc(x.label) +
          '</th><td class="num">' + pct(x.value) + '</td><td class="num gs-target">' + target + '</td><td class="gs-flag">' +
          (ok ? "达标" : "未达标") + "</td></tr>";
      }).join("");
      $("gs-asof").textContent = "（截至 " + k.as_of.slice(0, 10) + "）";
      mark("kpis", k.kpis.length);
      if (performance.mark) { performance.mark("gs-kpis-shown"); }
    }

    // -- load everything ------------------------------------------------------------------------
    applyMetric().catch(showError);
    getJSON("/api/areas").then(function (a) {
      areas = a;
      options($("gs-street"), areas.streets, "全部街道");
    }).catch(showError);
    areaToggle("streets", "街道边界", true);
    areaToggle("communities", "社区边界", true);
    outlineTiles("grids", "网格");
    getJSON("/api/kpis").then(renderKpis).catch(showError);
    if (window.GeoIndex) {  // issue 8: warning layers, index rankings
      GeoIndex.start(map, control, { chartUrl: cfg.chartUrl, loadScript: loadScript, getJSON: getJSON, showError: showError, mark: mark, esc: esc, selectCompound: selectCompound, compounds: compounds });
    }
    control.addTo(map);
  }

  window.GeoService = { start: start };
})();
