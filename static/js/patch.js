/* The commissioner's patch (小区专员工作台, issue 6): map of the compounds and buildings,
   today's work beside it. Every datum comes from /api/patch/... (scoped on the server). */
(function () {
  "use strict";
  const body = document.body;
  const compound = body.dataset.compound || "";
  const canMark = body.dataset.canMark === "1";
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const qs = compound ? "?compound=" + encodeURIComponent(compound) : "";
  const loadedAt = Date.now();
  let serverNow = Date.parse(body.dataset.now);

  function esc(v) {
    return String(v == null ? "" : v).replace(/[&<>"']/g, (c) => (
      { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  }
  function section(id) { return document.querySelector("#" + id + " .pt-body"); }
  function count(id, text) { document.getElementById(id).textContent = text; }
  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((r) => {
        if (!r.ok) throw new Error(url + ": " + r.status);
        return r.json();
      });
  }
  function failed(id) {
    return () => { section(id).innerHTML = '<p class="pt-err">数据加载失败，请刷新重试。</p>'; };
  }
  function compoundCell(row) {
    if (compound) return "";
    return '<a class="pt-cmp" href="/patch?compound=' + row.compound_id + '">' +
      esc(row.compound_name) + "</a> ";
  }
  function place(r) {
    return esc(r.building) + "幢" + esc(r.unit) + "单元" + esc(r.room) + "室";
  }

  // -- map ---------------------------------------------------------------------------------
  const map = L.map("pt-map", { zoomControl: true, attributionControl: false, maxZoom: 20 });
  map.setView([30.32, 120.15], 13);
  // Building markers only where they can be told apart.
  function markerZoom() {
    map.getContainer().classList.toggle("pt-far", map.getZoom() < 16);
    body.dataset.zoom = String(map.getZoom());
  }
  map.on("zoomend", markerZoom);
  markerZoom();
  const overlays = {};
  let fittedToBuildings = false;
  const control = L.control.layers(null, overlays, { collapsed: window.innerWidth < 700 }).addTo(map);

  function coverageColour(p) {
    if (p.coverage >= 0.999) return "#2e7d32";
    if (p.coverage > 0) return "#f9a825";
    return "#c62828";
  }

  function drawCompounds(fc) {
    const layer = L.geoJSON(fc, {
      style: () => ({ color: "#8d1b1b", weight: 2, fillColor: "#f3d9d0", fillOpacity: compound ? 0.15 : 0.35 }),
      onEachFeature: (f, l) => {
        l.bindTooltip(esc(f.properties.name), { sticky: true });
        if (!compound) l.on("click", () => { window.location.href = "/patch?compound=" + f.properties.id; });
      },
    }).addTo(map);
    layer.bringToBack();
    control.addOverlay(layer, "小区边界");
    // (the caller's own buildings, when they came first, keep their closer view)
    if (fc.features.length && !fittedToBuildings) map.fitBounds(layer.getBounds(), { padding: [12, 12], animate: false });
    body.dataset.drawnCompounds = String(fc.features.length);
  }

  function drawBuildings(fc) {
    const coverage = L.geoJSON(fc, {
      style: (f) => {
        const gap = f.properties.units_without_captain.length > 0;
        return {
          color: gap ? "#b71c1c" : "#37474f", weight: gap ? 2.5 : 1, dashArray: gap ? "4 3" : null,
          fillColor: coverageColour(f.properties), fillOpacity: 0.7,
        };
      },
      onEachFeature: (f, l) => {
        const p = f.properties;
        const missing = p.units_without_captain.length
          ? '<span class="pt-red">' + p.units_without_captain.map(esc).join("、") + " 单元无楼道长</span>"
          : "各单元均有楼道长";
        l.bindPopup(
          "<b>" + esc(p.number) + " 幢</b>（" + esc(p.floors) + " 层，" + esc(p.units) + " 个单元）<br>" +
          "楼栋长：" + (p.has_building_captain ? "有" : '<span class="pt-red">无</span>') + "<br>" + missing +
          "<br>党员：" + (p.party_members ? esc(p.party_members) + " 名" : '<span class="pt-red">无（一名党员一幢楼）</span>') +
          "<br>加装电梯：" + esc(p.retrofit_label || (p.has_elevator ? "原有电梯" : "—")));
      },
    }).addTo(map);
    const party = L.layerGroup(fc.features.map((f) => {
      const p = f.properties;
      const icon = p.party_members
        ? L.divIcon({ className: "pt-pm", html: '<i class="pm-dot">' + esc(p.party_members) + "</i>", iconSize: [18, 18] })
        : L.divIcon({ className: "pt-pm", html: '<i class="pm-none">×</i>', iconSize: [18, 18] });
      return L.marker([p.y, p.x], { icon, keyboard: false, title: p.number + "幢 党员 " + p.party_members });
    })).addTo(map);
    const retrofits = L.layerGroup(fc.features.filter((f) => f.properties.retrofit_stage).map((f) => {
      const p = f.properties;
      const cls = p.retrofit_stage === "completed" ? "rt-dot done" : "rt-dot";
      return L.marker([p.y, p.x], {
        icon: L.divIcon({ className: "pt-rt", html: '<i class="' + cls + '">梯</i><span>' + esc(p.retrofit_label) + "</span>", iconSize: [60, 16], iconAnchor: [-10, 8] }),
        keyboard: false,
      });
    })).addTo(map);
    coverage.bringToFront();
    const own = compound || body.dataset.scope === "compounds";
    if (own && fc.features.length) {
      map.fitBounds(coverage.getBounds(), { padding: [30, 30], maxZoom: 19, animate: false });
      fittedToBuildings = true;
    }
    control.addOverlay(coverage, "楼道长覆盖");
    control.addOverlay(party, "党员（一名党员一幢楼）");
    control.addOverlay(retrofits, "加装电梯进度");
    body.dataset.drawnBuildings = String(fc.features.length);
  }

  // -- lists -------------------------------------------------------------------------------
  function renderSummary(data) {
    const rows = data.compounds;
    count("pt-summary-count", compound ? "" : rows.length + " 个");
    const head = "<tr><th>小区</th><th>待办/超时投诉</th><th>楼道长覆盖</th><th>无党员楼栋</th><th>信访90天</th></tr>";
    const trs = rows.map((c) => {
      const share = c.captain_share == null ? "—" : Math.round(c.captain_share * 100) + "%";
      const name = compound ? esc(c.name) : '<a href="/patch?compound=' + c.id + '">' + esc(c.name) + "</a>";
      return "<tr" + (c.complaints_overdue ? ' class="pt-hot"' : "") + "><td>" + name +
        '<br><small>' + esc(c.community_name) + "</small></td><td>" + c.complaints_open + " / " +
        (c.complaints_overdue ? '<b class="pt-red">' + c.complaints_overdue + "</b>" : "0") +
        "</td><td>" + share + (c.units_without_unit_captain ? '<br><small>' + c.units_without_unit_captain + " 单元无楼道长</small>" : "") +
        "</td><td>" + (c.buildings_without_party_member ? '<span class="pt-red">' + c.buildings_without_party_member + "</span>" : "0") +
        " / " + c.buildings + "</td><td>" + c.petitions_90d + "</td></tr>";
    });
    section("pt-summary").innerHTML = rows.length
      ? '<div class="pt-scroll"><table class="pt-table">' + head + trs.join("") + "</table></div>"
      : '<p class="pt-empty">辖区内没有小区。</p>';
    renderCommittee(rows);
  }

  function renderCommittee(rows) {
    const shown = rows.length > 30 ? rows.filter((c) => c.flags.length) : rows;
    const items = shown.map((c) => {
      const oc = c.oc_formed ? "业委会任期至 " + esc(c.oc_term_end) + "（" + esc(c.oc_members) + " 人）" : '<span class="pt-red">未成立业委会</span>';
      const pm = c.property_service === "professional"
        ? "专业物业：" + esc(c.property_company)
        : '<span class="pt-red">' + esc(c.property_label) + "（无专业物业服务）</span>";
      const flags = c.flags.length ? '<div class="pt-flags">' + c.flags.map(esc).join("；") + "</div>" : "";
      return "<li" + (c.flags.length ? ' class="pt-flagged"' : "") + "><b>" + esc(c.name) + "</b><br>" + oc + "<br>" + pm + flags + "</li>";
    });
    const note = rows.length > 30 ? '<p class="pt-note">仅列出需关注的 ' + shown.length + " 个小区（共 " + rows.length + " 个）。</p>" : "";
    section("pt-committee").innerHTML = note + (items.length ? '<ul class="pt-list">' + items.join("") + "</ul>" : '<p class="pt-empty">无需关注的小区。</p>');
  }

  function nowMs() { return serverNow + (Date.now() - loadedAt); }

  function countdown(secondsLeft) {
    const s = Math.abs(secondsLeft);
    const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    const txt = d ? d + "天" + h + "小时" : h + "小时" + String(m).padStart(2, "0") + "分";
    return (secondsLeft >= 0 ? "剩余 " : "超时 ") + txt;
  }

  function tick() {
    document.querySelectorAll("#pt-complaints [data-deadline]").forEach((el) => {
      const left = Math.floor((Date.parse(el.dataset.deadline) - nowMs()) / 1000);
      el.textContent = countdown(left);
      el.closest("li").classList.toggle("pt-overdue", left < 0);
    });
  }

  function renderComplaints(data) {
    serverNow = Date.parse(data.now) - (Date.now() - loadedAt);
    count("pt-complaints-count", data.total + " 件" + (data.overdue ? "，超时 " + data.overdue : ""));
    const items = data.complaints.map((c) => {
      const timer = c.state === "responded"
        ? '<span class="pt-state">已于 ' + esc(c.first_response_at.slice(5, 16).replace("T", " ")) + " 响应，待办结</span>"
        : '<span class="pt-timer" data-deadline="' + esc(c.deadline) + '">' + esc(c.countdown) + "</span>";
      const buttons = !canMark ? "" : '<span class="pt-actions">' +
        (c.state !== "responded" ? '<button type="button" data-mark="first-response" data-id="' + c.id + '">首次响应</button>' : "") +
        '<button type="button" data-mark="resolution" data-id="' + c.id + '">办结</button></span>';
      return '<li class="pt-c-' + c.state + (c.state === "overdue" ? " pt-overdue" : "") + '" data-id="' + c.id + '">' +
        '<div class="pt-line"><b>' + esc(c.category_label) + "</b> " + compoundCell(c) +
        (c.building ? esc(c.building) + "幢 " : "") + '<small>#' + c.id + " · " + esc(c.channel_label) + "</small></div>" +
        '<div class="pt-line"><small>创建 ' + esc(c.created_text) + " · 时限 " + esc(c.deadline_text) + "</small> " + timer + "</div>" +
        buttons + "</li>";
    });
    const more = data.total > data.complaints.length ? '<p class="pt-note">仅列出最紧急的 ' + data.complaints.length + " 件。</p>" : "";
    section("pt-complaints").innerHTML = items.length ? '<ol class="pt-list pt-complaints">' + items.join("") + "</ol>" + more : '<p class="pt-empty">没有待办投诉。</p>';
    body.dataset.complaints = String(data.complaints.length);
    body.dataset.overdue = String(data.overdue);
    tick();
  }

  function loadComplaints() {
    return getJSON("/api/patch/complaints" + qs).then(renderComplaints, failed("pt-complaints"));
  }

  document.getElementById("pt-complaints").addEventListener("click", (ev) => {
    const btn = ev.target.closest("button[data-mark]");
    if (!btn) return;
    btn.disabled = true;
    fetch("/api/patch/complaints/" + btn.dataset.id + "/" + btn.dataset.mark, {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, Accept: "application/json" },
    }).then((r) => r.json().then((j) => ({ ok: r.ok, j })))
      .then(({ ok, j }) => {
        if (!ok) {
          btn.disabled = false;
          window.alert(j.reason || "操作失败");
          return null;
        }
        body.dataset.marked = String(Number(body.dataset.marked || 0) + 1);
        return Promise.all([loadComplaints(), loadSummary()]);
      });
  });

  function renderResidents(data) {
    const since = data.since.slice(0, 16).replace("T", " ");
    document.getElementById("pt-since").textContent = data.first_visit
      ? "首次打开：列出近 30 天的变动。" : "自上次打开（" + since + "）以来。";
    count("pt-owners-count", data.owner_changes.length + " 户");
    count("pt-floating-count", data.floating.length + " 人");
    const owners = data.owner_changes.map((c) => "<li>" + compoundCell(c) + place(c) +
      " <small>" + esc(c.changed_on) + " 过户</small><br>新业主：" + c.names.map(esc).join("、") +
      (c.phones.filter(Boolean).length ? " <small>" + c.phones.filter(Boolean).map(esc).join("、") + "</small>" : "") +
      " <small>（原业主 " + c.previous_owners + " 人）</small></li>");
    section("pt-owners").innerHTML = owners.length ? '<ul class="pt-list">' + owners.join("") + "</ul>" : '<p class="pt-empty">没有新的业主变动。</p>';
    const floating = data.floating.map((r) => "<li>" + compoundCell(r) + place(r) + " " + esc(r.name) +
      (r.phone ? " <small>" + esc(r.phone) + "</small>" : "") + " <small>" + esc(r.registered_on) + " 登记</small></li>");
    section("pt-floating").innerHTML = floating.length ? '<ul class="pt-list">' + floating.join("") + "</ul>" : '<p class="pt-empty">没有新登记的流动人口。</p>';
  }

  function renderPetitions(data) {
    count("pt-petitions-count", data.total + " 件");
    const items = data.petitions.map((p) => "<li>" + esc(p.petition_date) + " " + compoundCell(p) +
      esc(p.category_label) + " <small>" + esc(p.channel_label) + "</small></li>");
    const more = data.total > data.petitions.length ? '<p class="pt-note">仅列出最近 ' + data.petitions.length + " 件。</p>" : "";
    section("pt-petitions").innerHTML = items.length ? '<ul class="pt-list">' + items.join("") + "</ul>" + more : '<p class="pt-empty">近 90 天没有信访。</p>';
  }

  function loadSummary() {
    return getJSON("/api/patch/compounds" + qs).then((data) => {
      renderSummary(data);
      return data;
    }, failed("pt-summary"));
  }

  const work = [
    getJSON("/api/patch/map" + qs).then(drawCompounds),
    loadSummary().then((data) => {
      if (compound || (data && data.compounds.length <= 30)) {
        return getJSON("/api/patch/buildings" + qs).then(drawBuildings);
      }
      body.dataset.drawnBuildings = "0";
      return null;
    }),
    loadComplaints(),
    getJSON("/api/patch/residents" + qs).then(renderResidents, failed("pt-owners")),
    getJSON("/api/patch/petitions" + qs).then(renderPetitions, failed("pt-petitions")),
  ];
  Promise.all(work).then(() => { body.dataset.ready = "1"; }, () => { body.dataset.ready = "error"; });
  window.setInterval(tick, 30000);
  window.addEventListener("resize", () => map.invalidateSize());
})();
