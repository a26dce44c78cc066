/* 三方强基指数 and early warning on the one-screen map (issue 8).
   onescreen.js calls GeoIndex.start(map, control, ctx) once the map exists, and
   GeoIndex.panel(compoundId, container) whenever the compound panel is drawn.
   Layers: complaint spikes (points, on by default) and petition hot spots (Gi* classes,
   compound polygons, fetched when first shown); a ranking table in the side panel; a radar
   chart of the five dimensions and the quarterly trend (Chart.js) in the compound panel. */
(function () {
  "use strict";

  var HOT_CLASSES = [
    ["hot_99", "热点 99%", "#d7191c"], ["hot_95", "热点 95%", "#fc8d59"], ["hot_90", "热点 90%", "#fee08b"],
    ["cold_90", "冷点 90%", "#d1e5f0"], ["cold_95", "冷点 95%", "#67a9cf"], ["cold_99", "冷点 99%", "#2166ac"]
  ];
  var HOT_COLOUR = {};
  HOT_CLASSES.forEach(function (c) { HOT_COLOUR[c[0]] = c[2]; });
  var SPIKE_LEVELS = [[3, "严重（p<0.001）", "#b10026"], [2, "较重（p<0.01）", "#fc4e2a"], [1, "一般（p<0.05）", "#feb24c"]];
  var SPIKE_COLOUR = { 3: "#b10026", 2: "#fc4e2a", 1: "#feb24c" };
  var DIM_COLOURS = ["#b71c1c", "#ef6c00", "#2e7d32", "#1565c0", "#6a1b9a"];

  var ctx = null;
  var charts = [];
  var panelSeq = 0;

  function fmt(v, d) { return v === null || v === undefined ? "—" : Number(v).toFixed(d === undefined ? 1 : d); }
  function esc(s) { return ctx ? ctx.esc(s) : String(s); }

  function start(map, control, c) {
    ctx = c;
    // The warning layers are few features: SVG, with classes to style and test, in panes
    // above the area outlines (450) so their own outlines show.
    map.createPane("gs-hot").style.zIndex = 455;
    map.createPane("gs-spikes").style.zIndex = 460;
    var svg = L.svg({ pane: "gs-spikes" });
    var hotSvg = L.svg({ pane: "gs-hot" });

    // -- complaint spikes ---------------------------------------------------------------
    var spikes = L.geoJSON(null, {
      pointToLayer: function (f, latlng) {
        var p = f.properties;
        return L.circleMarker(latlng, {
          pane: "gs-spikes", renderer: svg, radius: 6 + 2 * p.level, color: "#ffffff", weight: 2,
          fillColor: SPIKE_COLOUR[p.level], fillOpacity: 0.95, className: "gs-spike gs-spike-" + p.level
        });
      },
      onEachFeature: function (f, layer) {
        var p = f.properties;
        layer.bindPopup("<strong>" + esc(p.name) + "</strong> · " + esc(p.community_name) +
          "<br>投诉突增（" + esc(p.level_label) + "）：近7天 " + p.recent + " 件，基线期望 " + fmt(p.expected, 1) +
          " 件<br>p = " + Number(p.p_value).toPrecision(2) + "，FDR q = " + Number(p.q_value).toPrecision(2));
      }
    });
    var spikesLoaded = false;
    spikes.on("add", function () {
      if (spikesLoaded) { return; }
      spikesLoaded = true;
      ctx.getJSON("/api/warnings/spikes").then(function (fc) {
        spikes.addData(fc);
        ctx.mark("spikes", fc.features.length);
        renderLegend();
      }).catch(ctx.showError);
    });
    control.addOverlay(spikes, "投诉突增预警（近7天）");

    // -- petition hot spots (Gi*) -----------------------------------------------------------
    var hot = L.geoJSON(null, {
      pane: "gs-hot",
      renderer: hotSvg,
      style: function (f) {
        // Strong outlines and near-opaque fills, so the classes read above the choropleth.
        var isHot = f.properties["class"].indexOf("hot") === 0;
        return { color: isHot ? "#67000d" : "#08306b", weight: 2.2, dashArray: isHot ? null : "5 3",
          fillColor: HOT_COLOUR[f.properties["class"]], fillOpacity: 0.88 };
      },
      onEachFeature: function (f, layer) {
        var p = f.properties;
        layer.options.className = "gs-hot gs-hot-" + p["class"];  // before the path is created
        layer.bindTooltip(esc(p.name) + "：" + esc(p.class_label) + "（每千户信访 " + fmt(p.per_1000hh, 2) + "，Gi* z = " + fmt(p.z, 2) + "）",
          { sticky: true, className: "gs-tip" });
        layer.on("click", function () { if (ctx.selectCompound) { ctx.selectCompound(p.compound_id, false); } });
      }
    });
    var hotLoaded = false;
    var hotMeta = null;
    hot.on("add", function () {
      if (hotLoaded) { renderLegend(); return; }
      hotLoaded = true;
      ctx.getJSON("/api/warnings/hotspots").then(function (fc) {
        hot.addData(fc);
        hotMeta = fc;
        ctx.mark("hotspots", fc.features.length);
        renderLegend();
      }).catch(ctx.showError);
    });
    control.addOverlay(hot, "信访热点（Gi*，近12个月）");

    // -- legend for the warning layers ---------------------------------------------------------
    var legend = L.control({ position: "bottomright" });
    legend.onAdd = function () {
      var div = L.DomUtil.create("div", "gs-map-legend gs-warn-legend");
      div.id = "gs-warn-legend";
      return div;
    };
    legend.addTo(map);
    function renderLegend() {
      var html = "";
      if (map.hasLayer(spikes)) {
        html += '<div class="gs-leg-title">投诉突增预警（近7天 vs 前12周）</div>';
        SPIKE_LEVELS.forEach(function (l) { html += '<div><span class="gs-dot" style="background:' + l[2] + '"></span>' + l[1] + "</div>"; });
      }
      if (map.hasLayer(hot)) {
        html += '<div class="gs-leg-title">信访热点 Gi*' + (hotMeta ? "（" + esc(hotMeta.from) + " 至 " + esc(hotMeta.to) + "）" : "") + "</div>";
        HOT_CLASSES.forEach(function (c) {
          html += '<div><span class="gs-swatch" style="background:' + c[2] + ";box-sizing:border-box;border:2px " +
            (c[0].indexOf("hot") === 0 ? "solid #67000d" : "dashed #08306b") + '"></span>' + c[1] + "</div>";
        });
        html += '<div class="gs-leg-note">其余小区不显著</div>';
      }
      var box = document.getElementById("gs-warn-legend");
      box.innerHTML = html;
      box.style.display = html ? "" : "none";
    }
    map.on("overlayadd overlayremove", function () {
      // With the hot spots shown, the choropleth fades so the classes stand out.
      if (ctx.compounds) { ctx.compounds.setOpacity(map.hasLayer(hot) ? 0.3 : 1); }
      renderLegend();
    });
    spikes.addTo(map);
    renderLegend();

    // -- ranking table ---------------------------------------------------------------------------
    var level = document.getElementById("gs-index-level");
    if (level) {
      level.addEventListener("change", ranking);
      ranking();
    }
  }

  function ranking() {
    var level = document.getElementById("gs-index-level").value;
    ctx.getJSON("/api/index/rankings?level=" + encodeURIComponent(level)).then(function (r) {
      document.getElementById("gs-index-quarter").textContent = r.quarter ? r.quarter : "（尚未计算）";
      var tbody = document.getElementById("gs-index-ranking").tBodies[0];
      tbody.innerHTML = r.rows.map(function (x) {
        var ch = x.change === null || x.change === undefined ? "" :
          '<span class="' + (x.change >= 0 ? "gs-up" : "gs-down") + '">' + (x.change >= 0 ? "▲" : "▼") + Math.abs(x.change).toFixed(1) + "</span>";
        return '<tr data-code="' + esc(x.code) + '" data-street="' + esc(x.street_code) + '"><td class="num">' + x.rank + "</td><td>" + esc(x.name) +
          '</td><td class="num"><strong>' + fmt(x.total) + '</strong></td><td class="num">' + ch + "</td></tr>";
      }).join("");
      Array.prototype.forEach.call(tbody.rows, function (tr) {
        tr.addEventListener("click", function () { drill(level, tr.dataset.code, tr.dataset.street); });
      });
      ctx.mark("ranking", r.rows.length);
      ctx.mark("ranking_level", level);
    }).catch(ctx.showError);
  }

  function drill(level, code, street) {
    var s = document.getElementById("gs-street");
    s.value = street;
    s.dispatchEvent(new Event("change"));
    if (level === "community") {
      var c = document.getElementById("gs-community");
      c.value = code;
      c.dispatchEvent(new Event("change"));
    }
  }

  // -- compound panel: radar of the five dimensions and the quarterly trend --------------------
  // Chart.js (~200 kB) is only needed once a compound panel opens: loaded then, not with the
  // page, so it does not hold up the map's first view (onescreen.js's loadScript, once).
  function panel(compoundId, container) {
    charts.forEach(function (ch) { ch.destroy(); });
    charts = [];
    var mine = ++panelSeq;
    var box = document.createElement("section");
    box.className = "gs-index-panel";
    box.innerHTML = "<h3>三方强基指数</h3><p class=\"gs-index-wait\">加载中…</p>";
    container.appendChild(box);
    Promise.all([ctx.getJSON("/api/index/compounds/" + encodeURIComponent(compoundId)), ctx.loadScript(ctx.chartUrl)]).then(function (got) {
      var d = got[0];
      if (mine !== panelSeq) { return; }
      var l = d.latest;
      var dims = d.dimensions;
      var labels = dims.map(function (x) { return x.name; });
      box.innerHTML = "<h3>三方强基指数 <span class=\"gs-index-total\">" + fmt(l.total) + "</span> <small>" + esc(l.quarter) +
        " · 街道第 " + l.rank_street + "/" + l.n_street + " · 全区第 " + l.rank_district + "/" + l.n_district + "</small></h3>" +
        '<div class="gs-chart"><canvas id="gs-radar" aria-label="五个维度雷达图"></canvas></div>' +
        '<div class="gs-chart gs-chart-trend"><canvas id="gs-trend" aria-label="季度趋势"></canvas></div>' +
        "<details><summary>指标明细（" + l.indicators.length + " 项）</summary><table class=\"gs-figures gs-indicators\">" +
        l.indicators.map(function (i) {
          var v = i.value === true ? "是" : i.value === false ? "否" : i.value === null ? "—" : fmt(i.value, 3);
          return "<tr><th>" + esc(i.name) + "</th><td class=\"num\">" + esc(v) + "</td><td class=\"num\">" + (i.score === null ? "不计" : fmt(i.score, 0)) + "</td></tr>";
        }).join("") + "</table></details>";
      Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
      charts.push(new Chart(document.getElementById("gs-radar"), {
        type: "radar",
        data: {
          labels: labels,
          datasets: [
            { label: "本小区", data: dims.map(function (x) { return l[x.key]; }), borderColor: "#b71c1c", backgroundColor: "rgba(183,28,28,0.25)", pointRadius: 3 },
            { label: "全区平均", data: dims.map(function (x) { return l["mean_" + x.key]; }), borderColor: "#757575", backgroundColor: "rgba(117,117,117,0.08)", borderDash: [4, 3], pointRadius: 0 }
          ]
        },
        options: {
          animation: false, responsive: true, maintainAspectRatio: false,
          scales: { r: { min: 0, max: 100, ticks: { stepSize: 25, backdropColor: "transparent", font: { size: 9 } }, pointLabels: { font: { size: 11 } } } },
          plugins: { legend: { position: "bottom", labels: { boxWidth: 10, font: { size: 10 } } } }
        }
      }));
      var quarters = d.trend.map(function (t) { return t.quarter; });
      var sets = [{ label: "总分", data: d.trend.map(function (t) { return t.total; }), borderColor: "#212121", borderWidth: 2.5, pointRadius: 2, tension: 0.2 }];
      dims.forEach(function (x, k) {
        sets.push({ label: x.name, data: d.trend.map(function (t) { return t[x.key]; }), borderColor: DIM_COLOURS[k], borderWidth: 1, pointRadius: 0, tension: 0.2 });
      });
      charts.push(new Chart(document.getElementById("gs-trend"), {
        type: "line",
        data: { labels: quarters, datasets: sets },
        options: {
          animation: false, responsive: true, maintainAspectRatio: false,
          scales: { y: { min: 0, max: 100, ticks: { stepSize: 25, font: { size: 9 } } }, x: { ticks: { font: { size: 9 } } } },
          plugins: { legend: { position: "bottom", labels: { boxWidth: 8, font: { size: 9 } } } }
        }
      }));
      ctx.mark("radar", compoundId);
    }).catch(function (err) {
      if (mine !== panelSeq) { return; }
      box.innerHTML = "<h3>三方强基指数</h3><p class=\"gs-index-wait\">暂无指数（" + esc(err.message) + "）</p>";
      ctx.mark("radar", "none");
    });
  }

  window.GeoIndex = { start: start, panel: panel };
})();
