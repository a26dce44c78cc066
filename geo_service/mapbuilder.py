"""The one-screen map page (一屏掌握): folium builds the Leaflet page from layer metadata
and settings; it never queries. The page fetches its data from the API after loading:
small polygon layers as GeoJSON, dense layers as vector tiles, heat overlays as grids."""

from __future__ import annotations

import json
from html import escape
from urllib.parse import quote

import folium
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from jinja2 import Template

from layers import Layer

from .assets import STATIC_DIR, bundle_url, define_bundle, offline_map, vendor_url
from .queries import TILE_ZOOM_OFFSET
from .settings import Settings
from .validation import MAX_BLOCK_TILES

# Choropleth metrics of the compound layer: id, Chinese label, kind, and for numbers
# whether high values are bad (red) or good (green).
CHOROPLETH_METRICS = [
    {
        "id": "complaints_per_100hh",
        "label": "投诉（每百户，近12个月）",
        "kind": "number",
        "high_is": "bad",
    },
    {"id": "petitions_12m", "label": "信访件数（近12个月）", "kind": "number", "high_is": "bad"},
    {"id": "captain_unit_share", "label": "楼道长覆盖单元比例", "kind": "share", "high_is": "good"},
    {
        "id": "party_members_per_building",
        "label": "每幢楼党员数（一名党员一幢楼）",
        "kind": "number",
        "high_is": "good",
    },
    {
        "id": "buildings_without_party_member",
        "label": "无党员楼栋数",
        "kind": "number",
        "high_is": "bad",
    },
    {
        "id": "oc_formed",
        "label": "业委会组建",
        "kind": "category",
        "categories": [[True, "已组建", "#1a9850"], [False, "未组建", "#d73027"]],
    },
    {
        "id": "property_service",
        "label": "物业服务类型",
        "kind": "category",
        "categories": [
            ["professional", "专业物业", "#4575b4"],
            ["self_managed", "自管会", "#fdae61"],
            ["none", "无物业", "#d73027"],
        ],
    },
]

# issue 8: the 三方强基指数 (latest stored quarter), total and its five dimensions, 0-100.
CHOROPLETH_METRICS += [
    {"id": f"index_{k}", "label": label, "kind": "number", "high_is": "good"}
    for k, label in (
        ("total", "三方强基指数（总分）"),
        ("leadership", "强基指数·组织领导力"),
        ("cohesion", "强基指数·小区凝聚力"),
        ("coordination", "强基指数·三方协同力"),
        ("property", "强基指数·物业服务力"),
        ("satisfaction", "强基指数·综合满意度"),
    )
]

BASEMAP_TILES = {
    "osm": ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "© OpenStreetMap contributors", ""),
    "amap": (
        "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
        "© 高德地图",
        "1234",
    ),
    "tianditu": (
        "https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec&STYLE=default"
        "&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}",
        "© 天地图",
        "01234567",
    ),
}

PAGE = """
<aside id="gs-panel" class="gs-panel" aria-label="控制面板">
  <header>
    <h1 class="gs-title">{title}</h1>
    <p class="gs-sub">党建引领 · 三方协同 · 以房管人 <span id="gs-asof"></span></p>
    {user}
  </header>
  <section class="gs-box">
    <h2>年度目标</h2>
    <table id="gs-kpis" class="gs-kpis"><tbody></tbody></table>
  </section>
  <section class="gs-box">
    <h2>查找与下钻</h2>
    <div class="gs-search">
      <input id="gs-search" type="search" placeholder="输入小区名称…" autocomplete="off" aria-label="按小区名称查找">
      <ul id="gs-search-results" class="gs-results" role="listbox"></ul>
    </div>
    <div class="gs-drill">
      <select id="gs-street" aria-label="街道"><option value="">全部街道</option></select>
      <select id="gs-community" aria-label="社区" disabled><option value="">全部社区</option></select>
      <select id="gs-compound" aria-label="小区" disabled><option value="">选择小区</option></select>
    </div>
  </section>
  <section class="gs-box">
    <h2>专题与时间</h2>
    <label>小区着色 <select id="gs-metric" aria-label="小区着色指标">{metric_options}</select></label>
    <div id="gs-choropleth-legend" class="gs-legend"></div>
    <label>信访时间 <select id="gs-window" aria-label="信访热力时间范围">
      <option value="30">近30天</option><option value="90">近90天</option>
      <option value="365" selected>近365天</option>{year_options}
    </select></label>
    <label>加装电梯 <select id="gs-stage" aria-label="加装电梯阶段">
      <option value="completed">已完工</option><option value="pipeline">推进中</option><option value="all">全部</option>
    </select></label>
    <label>投诉 <select id="gs-complaint-status" aria-label="投诉状态">
      <option value="all">全部</option><option value="open">未办结</option><option value="closed">已办结</option>
    </select><select id="gs-complaint-category" aria-label="投诉类别"><option value="all">全部类别</option>{category_options}</select></label>
  </section>
  <section class="gs-box" id="gs-index-box">
    <h2>三方强基指数排名 <span id="gs-index-quarter" class="gs-sub"></span></h2>
    <select id="gs-index-level" aria-label="排名层级"><option value="street">按街道</option><option value="community">按社区</option></select>
    <div class="gs-index-scroll"><table id="gs-index-ranking" class="gs-index-ranking"><tbody></tbody></table></div>
  </section>
  <p class="gs-foot">{district} · WGS-84 · <a href="/api/layers">图层接口</a></p>
</aside>
<aside id="gs-detail" class="gs-detail" hidden aria-label="小区详情">
  <button type="button" id="gs-detail-close" class="gs-close" aria-label="关闭">×</button>
  <div id="gs-detail-body"></div>
</aside>
"""


# What the page asks the API for as soon as it opens, whatever the view: requested by
# link rel=preload while the scripts download and run, instead of after they have run.
# The URLs must be exactly the ones the scripts fetch, or the browser fetches twice.
PRELOAD = (
    "/api/kpis",
    "/api/areas",
    "/api/warnings/spikes",
    "/api/index/rankings?level=street",
)

# The tiles the page opens with -- the "areas" bundle of compounds and community and
# street outlines, "areas_buildings" from the buildings' zoom on (onescreen.js) -- whose
# tiles for the opening view static/js/tilepreload.js asks for from <head>, before the
# scripts run. The map starts at ZOOM_START and lies right of the PANEL_PX-wide panel,
# NARROW_PANEL_PX in windows up to NARROW_PX wide (static/css/onescreen.css).
ZOOM_START, MIN_ZOOM, MAX_ZOOM = 12, 9, 19
PANEL_PX, NARROW_PX, NARROW_PANEL_PX = 360, 1400, 320
_TILE_PRELOAD_JS = (STATIC_DIR / "js" / "tilepreload.js").read_text(encoding="utf-8")
# The icon inline (a data: URI, 0.3 kB): a request the browser would otherwise make once
# the page has loaded.
_FAVICON = "data:image/svg+xml," + quote(
    (STATIC_DIR / "img" / "favicon.svg").read_text(encoding="utf-8").strip(), safe="=:/"
)


def _tile_preload(
    layer_list: list[Layer], bounds: list[float] | None, location: list[float], gcj02: bool
) -> str:
    """The inline script of tilepreload.js with this page's configuration."""
    buildings_from = next(lyr.min_zoom for lyr in layer_list if lyr.id == "buildings")
    config = {
        "bounds": bounds,
        "location": location,
        "gcj02": gcj02,
        "zoomStart": ZOOM_START,
        "minZoom": MIN_ZOOM,
        "maxZoom": MAX_ZOOM,
        "panel": PANEL_PX,
        "narrow": [NARROW_PX, NARROW_PANEL_PX],
        "tileZoomOffset": TILE_ZOOM_OFFSET,
        "maxBlock": MAX_BLOCK_TILES,
        # [bundle, from zoom, to zoom]
        "layers": [["areas", MIN_ZOOM, buildings_from - 1], ["areas_buildings", buildings_from, MAX_ZOOM]],
    }
    body = _TILE_PRELOAD_JS.replace("})(CONFIG);", f"}})({json.dumps(config)});")
    return f"<script>{body}</script>"


# The page's scripts and stylesheets, each set one file (assets.define_bundle): Leaflet,
# Pbf and ours; gcj02.js (L.CRS.GCJ02) only in GCJ-02 pages.
_SCRIPTS = (
    vendor_url("leaflet", "dist/leaflet.js"),
    vendor_url("pbf", "dist/pbf.js"),
    "/static/js/mvtlayer.js",
    "/static/js/onescreen.js",
    "/static/js/geoindex.js",  # issue 8
)
define_bundle("onescreen", _SCRIPTS)
define_bundle("onescreen-gcj02", (*_SCRIPTS[:3], "/static/js/gcj02.js", *_SCRIPTS[3:]))
define_bundle(
    "onescreen-styles",
    (
        vendor_url("leaflet", "dist/leaflet.css"),
        "/static/css/onescreen.css",
        "/static/css/geoindex.css",
    ),
)


class _OneScreen(JSCSSMixin, MacroElement):
    """Loads the page's scripts and calls GeoService.start(map) once folium has created the
    map. Leaflet.heat is loaded by onescreen.js when a heat overlay is first switched on
    (``heatUrl``)."""

    _template = Template(
        "{% macro script(this, kwargs) %}GeoService.start({{ this._parent.get_name() }});{% endmacro %}"
    )

    def __init__(self, gcj02: bool) -> None:
        super().__init__()
        self._name = "OneScreen"
        self.default_js = [("onescreen", bundle_url("onescreen-gcj02" if gcj02 else "onescreen"))]
        self.default_css = [("onescreen_css", bundle_url("onescreen-styles"))]


def _basemap(settings: Settings) -> dict | None:
    if settings.basemap == "none":
        return None
    if settings.basemap == "custom":
        return {"url": settings.basemap_url, "attribution": "", "subdomains": "abc", "name": "底图"}
    url, attribution, subdomains = BASEMAP_TILES[settings.basemap]
    return {
        "url": url.replace("{key}", settings.tianditu_key or ""),
        "attribution": attribution,
        "subdomains": subdomains,
        "name": {"osm": "OpenStreetMap", "amap": "高德地图", "tianditu": "天地图"}[
            settings.basemap
        ],
    }


# Where the user's box goes: the rest of the page is the same for everyone with the same
# scope, so it is built once (see routes.pages) and only this is filled in per request.
USER_SLOT = "<!--gs-user-->"


def with_user(html: str, user: dict) -> str:
    """The page ``build_page`` made with the logged-in user's box in it: name, role, a link
    to the commissioner's page, and logout (a POST with the session's CSRF token)."""
    return html.replace(USER_SLOT, _user_box(user), 1)


def _user_box(user: dict) -> str:
    return (
        f'<form class="gs-user" method="post" action="/logout">'
        f"<span>{escape(user['username'])} · {escape(user['role'])}</span> "
        + ('<a href="/patch">工作台</a> ' if user.get("patch") else "")
        + f'<input type="hidden" name="csrf_token" value="{escape(user["csrf_token"])}">'
        f'<button type="submit">退出</button></form>'
    )


def build_page(
    layer_list: list[Layer],
    settings: Settings,
    district_name: str,
    bounds: list[float] | None,
    years: list[int],
    categories: dict[str, str],
    classes: dict | None = None,
) -> str:
    """HTML of the one-screen map, with ``USER_SLOT`` where the user's box goes
    (``with_user``). ``layer_list`` comes from the registry; nothing here queries the
    database, and no data is inlined beyond this small configuration (and the class breaks
    of the first choropleth metric, ``classes``, so the compounds can be drawn without
    waiting for another request)."""
    center = (
        [30.33, 120.15]
        if bounds is None
        else [(bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2]
    )
    m = offline_map(
        location=center,
        zoom_start=ZOOM_START,
        # Explicit bounds: otherwise Leaflet derives the map's zoom range from the layers'
        # own (buildings start at 15) and the district could not be seen whole.
        min_zoom=MIN_ZOOM,
        max_zoom=MAX_ZOOM,
        control_scale=True,
        prefer_canvas=True,
        crs="GCJ02" if settings.gcj02 else "EPSG3857",
        zoom_control=True,
        # Tiles appear at once: fading each in repaints the map every frame for a while after
        # it has loaded, which on a busy office PC is most of the time the page takes.
        fade_animation=False,
    )
    # None of folium's defaults: Leaflet comes in the page's bundle (_OneScreen), and the
    # page uses none of the others (jQuery, Bootstrap, Font Awesome, awesome-markers), which
    # would cost ~130 kB and parse time.
    m.default_js = []
    m.default_css = []
    root = m.get_root()
    title = f"{district_name}小区治理一张图"
    root.title = title
    header = root.header
    header.add_child(
        folium.Element(f'<link rel="icon" href="{_FAVICON}" type="image/svg+xml">'),
        name="favicon",
    )
    # First in <head>: the opening view's tiles are asked for before the scripts load.
    header.add_child(
        folium.Element(_tile_preload(layer_list, bounds, center, settings.gcj02)),
        name="tilepreload",
    )
    # After the scripts in <head>, so these go out once the scripts have (the browser's
    # preload scanner finds them while the scripts still load).
    root.html.add_child(
        folium.Element(
            "".join(
                f'<link rel="preload" href="{escape(url)}" as="fetch" crossorigin>'
                for url in PRELOAD
            )
        ),
        name="preload",
    )
    root.html.add_child(
        folium.Element(
            PAGE.format(
                title=escape(title),
                user=USER_SLOT,
                district=escape(district_name),
                metric_options="".join(
                    f'<option value="{c["id"]}">{escape(c["label"])}</option>'
                    for c in CHOROPLETH_METRICS
                ),
                year_options="".join(
                    f'<option value="year:{y}">{y}年</option>' for y in sorted(years, reverse=True)
                ),
                category_options="".join(
                    f'<option value="{k}">{escape(v)}</option>' for k, v in categories.items()
                ),
            )
        )
    )
    config = {
        "bounds": bounds,
        "gcj02": settings.gcj02,
        "basemap": _basemap(settings),
        "metrics": CHOROPLETH_METRICS,
        "classes": classes,
        "tileZoomOffset": TILE_ZOOM_OFFSET,
        # issue 8's radar and trend charts: loaded when a compound panel first opens
        "chartUrl": vendor_url("chart.js", "dist/chart.umd.js"),
        # the heat overlays' library: loaded when one is first switched on
        "heatUrl": vendor_url("leaflet.heat", "dist/leaflet-heat.js"),
        "layers": [
            {
                "id": layer.id,
                "title": layer.title,
                "kind": layer.kind,
                "geometry": layer.geometry_type,
                "minZoom": layer.min_zoom,
                "style": layer.style,
            }
            for layer in layer_list
        ],
    }
    root.html.add_child(
        folium.Element(
            f'<script id="gs-config" type="application/json">{escape(json.dumps(config, ensure_ascii=False), quote=False)}</script>'
        )
    )
    m.add_child(_OneScreen(settings.gcj02))
    return root.render()
