"""The one-screen map in real headless Chromium: draws, stays offline, heat overlays,
time window, search, compound panel, drill-down, GCJ-02 basemaps."""

from __future__ import annotations

import json
import math
import socket
import threading
from collections.abc import Iterator
from dataclasses import replace
from urllib.parse import parse_qsl, urlsplit

import pytest
from playwright.sync_api import Page
from waitress.server import create_server

import layers
from geo_service.coords import wgs84_to_gcj02
from geo_service.mapbuilder import PRELOAD

from .conftest import NOW, LoggedIn

MAP = "Object.values(window).find(v => v instanceof L.Map)"
ALL_TILES_LOADED = "() => !document.querySelector('canvas.leaflet-tile:not(.leaflet-tile-loaded)')"
# the compounds drawn and the nine KPIs shown (onescreen.js sets both on <body>)
MAP_READY = "() => document.body.dataset.drawn_compounds > 0 && document.body.dataset.kpis === '9'"


class Watch:
    """Console errors and requests to other hosts seen by a page."""

    def __init__(self, page: Page, base: str) -> None:
        self.errors: list[str] = []
        self.foreign: list[str] = []
        host = urlsplit(base).netloc
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on(
            "request",
            lambda r: (
                self.foreign.append(r.url)
                if urlsplit(r.url).netloc != host and not r.url.startswith("data:")
                else None
            ),
        )


def _open(browser: LoggedIn, base: str, size: tuple[int, int] = (1920, 1080)) -> tuple[Page, Watch]:
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    watch = Watch(page, base)
    page.goto(base + "/")
    page.wait_for_function(MAP_READY, timeout=20_000)
    return page, watch


@pytest.mark.parametrize("size", [(1920, 1080), (1366, 768)])
def test_one_screen_map(
    browser: LoggedIn, live_server: str, demo_conn, artifacts, size: tuple[int, int]
) -> None:
    page, watch = _open(browser, live_server, size)
    n = demo_conn.execute("SELECT count(*) FROM compound").fetchone()[0]
    assert page.evaluate("document.body.dataset.drawn_compounds") == str(n)
    page.wait_for_function("() => document.body.dataset.drawn_streets === '18'", timeout=20_000)
    # The compound polygons are really painted: vector-tile canvases with coloured pixels
    # (read by drawing each tile, an ImageBitmap in a "bitmaprenderer" canvas, on a 2D one).
    painted = page.evaluate(
        """() => [...document.querySelectorAll('canvas.leaflet-tile')].reduce((n, c) => {
                 const s = document.createElement('canvas'); s.width = c.width; s.height = c.height;
                 const x = s.getContext('2d'); x.drawImage(c, 0, 0);
                 const d = x.getImageData(0, 0, c.width, c.height).data;
                 for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }, 0)"""
    )
    assert painted > 60_000  # the district covers ~95,000 pixels at 1366x768
    # Every registered layer is offered in the layer control, under its Chinese title.
    control = page.locator(".leaflet-control-layers").inner_text()
    for layer in layers.REGISTRY.values():
        assert layer.title in control, layer.title
    # KPI panel: nine targets, each marked met or not.
    assert page.locator("#gs-kpis tbody tr").count() == 9
    assert page.locator("#gs-kpis .gs-flag").first.inner_text() in ("达标", "未达标")
    # One screen: the page does not scroll, the panel and map fill the viewport.
    assert page.evaluate("document.documentElement.scrollHeight <= window.innerHeight")
    box = page.locator(".folium-map").bounding_box()
    assert box["x"] + box["width"] == pytest.approx(size[0], abs=1) and box[
        "height"
    ] == pytest.approx(size[1], abs=1)
    legend = page.locator("#gs-choropleth-legend").inner_text()
    assert "≥" in legend
    page.screenshot(path=str(artifacts / f"onescreen-{size[0]}x{size[1]}.png"))
    assert watch.errors == []
    assert watch.foreign == []
    page.close()


def test_page_preloads_what_it_uses_and_defers_the_rest(
    browser: LoggedIn, live_server: str
) -> None:
    """The API calls made on every opening start from link rel=preload and are used, each
    fetched once (a preload the page does not take costs a second request and a console
    warning); the scripts come in one file and the stylesheets in one; Chart.js is not loaded until a compound panel needs it, Leaflet.heat not
    until a heat overlay is switched on (once, however often), and gcj02.js not at all on
    a Web Mercator map."""
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    paths: list[str] = []
    warnings: list[str] = []
    page.on("request", lambda r: paths.append(r.url.split("//", 1)[1].split("/", 1)[1]))
    page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
    page.goto(live_server + "/")
    page.wait_for_function(
        "() => document.body.dataset.kpis === '9' && document.body.dataset.ranking > 0"
        " && document.body.dataset.drawn_streets === '18' && document.body.dataset.spikes !== undefined",
        timeout=20_000,
    )
    page.wait_for_timeout(500)
    for url in PRELOAD:
        assert paths.count(url.lstrip("/")) == 1, (url, paths)
    assert not [p for p in paths if "chart.js" in p]
    assert not [p for p in paths if "leaflet-heat" in p or "gcj02" in p]
    assert not [w for w in warnings if "preload" in w]
    # Leaflet, Pbf and the page's scripts in one file, the stylesheets in another.
    for ext in (".js", ".css"):
        files = [p for p in paths if p.split("?")[0].endswith(ext)]
        assert len(files) == 1 and files[0].startswith("static/bundle/onescreen"), files
    control = page.locator(".leaflet-control-layers")
    for label, layer in (("信访热力", "petitions"), ("加装电梯热力", "elevator_retrofits")):
        control.get_by_text(label, exact=True).click()
        page.wait_for_function(
            f"() => Number(document.body.dataset.heat_{layer}_cells) > 0", timeout=15_000
        )
    assert page.locator("canvas.leaflet-heatmap-layer").count() == 2
    assert len([p for p in paths if "leaflet-heat" in p]) == 1
    page.close()


@pytest.mark.parametrize(
    ("size", "address", "layer_ids"),
    [
        ((1920, 1080), "/", {"areas"}),
        ((1366, 768), "/", {"areas"}),  # the narrower panel
        ((1920, 1080), "/#15/30.30000/120.16000", {"areas_buildings"}),
        ((1366, 768), "/#16/30.31000/120.14000", {"areas_buildings"}),
    ],
)
def test_opening_tiles_are_preloaded_exactly(
    browser: LoggedIn, live_server: str, size: tuple[int, int], address: str, layer_ids: set
) -> None:
    """tilepreload.js works out in <head> the tiles Leaflet will ask for once the view is
    set, and fetches them in one block: the map draws exactly those tiles and asks for none
    of them itself, for the district view and for a #zoom/lat/lon address."""
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    tiles: list[str] = []
    page.on("request", lambda r: tiles.append(r.url) if "/tiles/" in r.url else None)
    page.goto(live_server + address)
    page.wait_for_function(MAP_READY, timeout=20_000)
    page.wait_for_timeout(500)
    # The view it worked out is the map's: zoom, size and the pixel centre tiles are cut from.
    worked_out, drawn, shown = page.evaluate(
        f"""() => {{ const m = {MAP}, c = m.project(m.getCenter(), m.getZoom()).floor();
                     const l = Object.values(m._layers).find(l => l.options.preloaded);
                     const shown = Object.values(l._tiles).filter(t => t.el._gsTile).map(t =>
                       L.Util.template(l._url, L.extend({{}}, l.options, t.coords,
                                                      {{tz: t.coords.z - l.options.tileZoomOffset}})));
                     return [window.gsTilePreload, {{zoom: m.getZoom(), size: [m.getSize().x, m.getSize().y],
                             pixelCentre: [c.x, c.y]}}, shown]; }}"""
    )
    assert {k: worked_out[k] for k in drawn} == drawn
    preloaded = worked_out["urls"]
    assert preloaded, "no tile preloaded"
    assert sorted(shown) == sorted(preloaded)
    assert {p.split("/")[2] for p in preloaded} == layer_ids
    # one request, for the block of columns and rows around them
    (block,) = tiles
    url = urlsplit(block)
    args = {k: int(v) for k, v in parse_qsl(url.query)}
    bundle, tz = url.path.split("/")[2:4]
    assert url.path == f"/tiles/{bundle}/{tz}/block" and {bundle} == layer_ids
    xs = {int(p.split("/")[4]) for p in preloaded}
    ys = {int(p.split("/")[5].split(".")[0]) for p in preloaded}
    assert args["x0"] <= min(xs) and max(xs) <= args["x1"]
    assert args["y0"] <= min(ys) and max(ys) <= args["y1"]
    # each tile drawn from its own part of the block: as many features as its tile has
    counts = page.evaluate(
        f"""async () => {{ const m = {MAP}, l = Object.values(m._layers).find(l => l.options.preloaded);
                  const out = [];
                  for (const t of Object.values(l._tiles)) {{
                    const url = L.Util.template(l._url, L.extend({{}}, l.options, t.coords,
                                                              {{tz: t.coords.z - l.options.tileZoomOffset}}));
                    const own = L.GS.decodeTile(await (await fetch(url)).arrayBuffer(), 512);
                    out.push([t.el._gsTile.features.length,
                              Object.values(own).reduce((n, fs) => n + fs.length, 0)]);
                  }}
                  return out; }}"""
    )
    assert [a for a, _ in counts] == [b for _, b in counts] and sum(a for a, _ in counts) > 0
    assert len({a for a, _ in counts}) > 1  # tiles told apart by their counts
    page.close()


def test_tiles_are_fetched_one_by_one_if_the_block_fails(browser: LoggedIn, live_server: str) -> None:
    """A block that fails (here a 503) costs nothing but time: the map fetches each of its
    tiles itself and draws them all."""
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    tiles: list[str] = []
    page.on("request", lambda r: tiles.append(urlsplit(r.url).path) if "/tiles/" in r.url else None)
    page.route("**/block?*", lambda route: route.fulfill(status=503, body="busy"))
    page.goto(live_server + "/#15/30.30000/120.16000")
    page.wait_for_function(MAP_READY, timeout=20_000)
    page.wait_for_function(ALL_TILES_LOADED)
    preloaded = page.evaluate("() => window.gsTilePreload.urls")
    assert preloaded and tiles[0].endswith("/block")
    assert sorted(tiles[1:]) == sorted(preloaded)
    assert page.locator("canvas.leaflet-tile-loaded").count() >= len(preloaded)
    page.close()


def _street_view(browser: LoggedIn, base: str) -> Page:
    """A page on the street view (zoom 15 over the old city) with all its tiles drawn."""
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.goto(base + "/#15/30.30000/120.16000")
    page.wait_for_function(MAP_READY, timeout=20_000)
    page.wait_for_function(ALL_TILES_LOADED)
    return page


# Per tile drawn: features drawn, features left undrawn outside the map's view, and
# features in the view left undrawn (none may be); and tiles drawn in part.
DRAWN_IN_VIEW = f"""() => {{ const m = {MAP}, b = m.getPixelBounds(), out = [0, 0, 0, 0];
    for (const l of Object.values(m._layers)) if (l instanceof L.GS.VectorTiles)
      for (const t of Object.values(l._tiles)) {{
        const r = t.el._gsTile, s = l.getTileSize(); if (!r) continue; if (r.part) out[3]++;
        const x = t.coords.x * s.x, y = t.coords.y * s.y;
        for (const f of r.features) {{ if (!f.box) continue;
          const seen = !(f.box[2] + x < b.min.x || f.box[0] + x > b.max.x ||
                         f.box[3] + y < b.min.y || f.box[1] + y > b.max.y);
          out[f.style ? 0 : seen ? 2 : 1]++; }} }}
    return out; }}"""


def test_tiles_draw_what_the_view_shows_and_the_rest_once_shown(
    browser: LoggedIn, live_server: str
) -> None:
    """At the street view the tiles at its edges are mostly outside it: their features
    outside it are not drawn. A pan, and a zoom, draw them before they come into view.
    (At the street view every feature of the areas_buildings tiles has a style.)"""
    page = _street_view(browser, live_server)
    drawn, left, missing, partial = page.evaluate(DRAWN_IN_VIEW)
    assert drawn > 100 and left > 20 and missing == 0 and partial > 0, (drawn, left, missing, partial)
    page.evaluate(f"() => {MAP}.panBy([300, 200], {{animate: false}})")
    assert page.evaluate(DRAWN_IN_VIEW)[2] == 0  # before the frame that shows them
    page.evaluate(f"() => {MAP}.panBy([-250, -150], {{duration: 0.3}})")  # animated
    page.wait_for_timeout(600)
    page.wait_for_function(ALL_TILES_LOADED)
    assert page.evaluate(DRAWN_IN_VIEW)[2] == 0
    # a zoom out scales the tiles there are: every part of them is drawn as it starts
    page.evaluate(
        f"""() => {{ const m = {MAP}; window.zoomed = [];
                     m.once('zoomstart', () => setTimeout(() => {{ for (const l of Object.values(m._layers))
                       if (l instanceof L.GS.VectorTiles) for (const t of Object.values(l._tiles))
                         if (t.el._gsTile) window.zoomed.push(t.el._gsTile.part); }}, 0));
                     m.zoomOut(1); }}"""
    )
    page.wait_for_function("() => window.zoomed.length > 0")
    assert page.evaluate("() => window.zoomed.every(p => p === null)")
    page.close()


def test_a_pan_copies_no_tile(browser: LoggedIn, live_server: str) -> None:
    """Chromium compositing in software (no GPU: here, and on PCs whose GPU it blocks)
    copies every 2D canvas at every frame's commit, changed or not. The tiles are
    ImageBitmaps, handed to the compositor once, so the frames of a pan copy none of
    them. A 2D canvas of the test's own is the control: it is copied in every frame,
    which also shows the trace still names the copy as the test expects."""
    page = _street_view(browser, live_server)
    assert page.locator("canvas.leaflet-tile-loaded").count() >= 8
    page.evaluate(
        """() => { const c = document.createElement('canvas'); c.width = c.height = 64;
                   c.style.cssText = 'position:fixed;left:0;bottom:0;z-index:9999';
                   c.getContext('2d').fillRect(0, 0, 64, 64); document.body.appendChild(c); }"""
    )
    frames = 10
    browser.chromium.start_tracing(
        page=page, categories=["devtools.timeline", "disabled-by-default-devtools.timeline", "blink"]
    )
    page.evaluate(
        f"""() => new Promise(done => {{ const map = {MAP}; let n = 0;
              function step() {{ map.panBy([3, 0], {{animate: false}});
                                 if (++n < {frames}) requestAnimationFrame(step);
                                 else requestAnimationFrame(() => setTimeout(done, 0)); }}
              requestAnimationFrame(step); }})"""
    )
    events = json.loads(browser.chromium.stop_tracing())["traceEvents"]
    copies = sum(e.get("name") == "Canvas2DResourceProvider::ProduceCanvasResource" for e in events)
    # the control in each frame (a frame or two more than the steps at most); the tiles
    # as 2D canvases would add theirs to every one: 8 or more per frame
    assert frames - 2 <= copies <= frames + 2, copies
    page.close()


def test_petition_heat_and_time_window(browser: LoggedIn, live_server: str, artifacts) -> None:
    page, watch = _open(browser, live_server)
    assert page.locator("canvas.leaflet-heatmap-layer").count() == 0
    page.get_by_text("信访热力", exact=True).click()
    page.wait_for_function(
        "() => Number(document.body.dataset.heat_petitions_cells) > 0", timeout=15_000
    )
    assert page.locator("canvas.leaflet-heatmap-layer").count() == 1
    year_sum = page.evaluate("document.body.dataset.heat_petitions_sum")
    window = page.evaluate("document.body.dataset.heat_petitions_window")
    assert window.endswith(NOW.date().isoformat())
    page.select_option("#gs-window", "30")
    page.wait_for_function(
        f"() => document.body.dataset.heat_petitions_window !== '{window}'", timeout=15_000
    )
    assert int(page.evaluate("document.body.dataset.heat_petitions_sum")) < int(year_sum)
    # The heat canvas has coloured pixels.
    painted = page.evaluate(
        """() => { const c = document.querySelector('canvas.leaflet-heatmap-layer');
                   const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                   let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }"""
    )
    page.select_option("#gs-window", "365")
    page.wait_for_function(
        f"() => document.body.dataset.heat_petitions_window === '{window}'", timeout=15_000
    )
    page.get_by_text("加装电梯热力", exact=True).click()
    page.wait_for_function(
        "() => Number(document.body.dataset.heat_elevator_retrofits_cells) > 0", timeout=15_000
    )
    page.wait_for_timeout(300)
    page.screenshot(path=str(artifacts / "onescreen-heat-1920x1080.png"))
    assert painted > 100
    assert watch.errors == [] and watch.foreign == []
    page.close()


def test_search_opens_the_compound_panel(browser: LoggedIn, live_server: str, demo_conn) -> None:
    page, watch = _open(browser, live_server)
    cid, name = demo_conn.execute(
        "SELECT id, name FROM compound ORDER BY id DESC LIMIT 1"
    ).fetchone()
    page.fill("#gs-search", name[:3])
    page.locator("#gs-search-results li", has_text=name).first.click()
    page.wait_for_function(f"() => document.body.dataset.panel === '{cid}'", timeout=15_000)
    detail = page.locator("#gs-detail")
    assert detail.is_visible()
    assert name in detail.inner_text() and "业委会" in detail.inner_text()
    assert page.locator("#gs-detail a.gs-link").get_attribute("href") == f"/compounds/{cid}"
    page.click("#gs-detail-close")
    assert not detail.is_visible()
    page.fill("#gs-search", "不存在的小区名")
    page.locator("#gs-search-results li.gs-none").wait_for(timeout=10_000)
    assert "没有找到" in page.locator("#gs-search-results").inner_text()
    assert watch.errors == [] and watch.foreign == []
    page.close()


def test_clicking_a_compound_opens_its_panel(
    browser: LoggedIn, live_server: str, demo_conn
) -> None:
    page, watch = _open(browser, live_server)
    cid, lon, lat = demo_conn.execute(
        "SELECT id, ST_X(p), ST_Y(p) FROM (SELECT id, ST_PointOnSurface(geom) p, ST_Area(geom) a FROM compound) s ORDER BY a DESC LIMIT 1"
    ).fetchone()
    pt = page.evaluate(
        f"(() => {{ const m = {MAP}; const p = m.latLngToContainerPoint([{lat}, {lon}]); return [p.x, p.y]; }})()"
    )
    box = page.locator(".folium-map").bounding_box()
    page.mouse.click(box["x"] + pt[0], box["y"] + pt[1])
    page.wait_for_function(f"() => document.body.dataset.panel === '{cid}'", timeout=15_000)
    assert page.locator("#gs-detail").is_visible()
    assert watch.errors == [] and watch.foreign == []
    page.close()


def test_drill_down_street_community_compound(
    browser: LoggedIn, live_server: str, demo_conn
) -> None:
    page, watch = _open(browser, live_server)
    street, community, cid = demo_conn.execute(
        "SELECT street_code, community_code, id FROM compound ORDER BY id LIMIT 1"
    ).fetchone()
    zoom0 = page.evaluate(f"{MAP}.getZoom()")
    page.select_option("#gs-street", street)
    page.wait_for_function(f"() => document.body.dataset.area === '{street}'")
    page.wait_for_timeout(400)
    assert page.evaluate(f"{MAP}.getZoom()") > zoom0
    assert page.locator("#gs-community").is_enabled()
    page.select_option("#gs-community", community)
    page.wait_for_function(f"() => document.body.dataset.area === '{community}'")
    page.select_option("#gs-compound", str(cid))
    page.wait_for_function(f"() => document.body.dataset.panel === '{cid}'", timeout=15_000)
    assert watch.errors == [] and watch.foreign == []
    page.close()


@pytest.fixture(scope="module")
def gcj_server(app) -> Iterator[str]:  # noqa: ANN001
    """The same data served with a GCJ-02 basemap (tiles from the server itself)."""
    from geo_service.app import create_app

    settings = replace(
        app.config["GEO_SETTINGS"],
        basemap="custom",
        basemap_url="/static/img/favicon.svg?z={z}&x={x}&y={y}",
        basemap_crs="gcj02",
    )
    gcj_app = create_app(settings)
    gcj_app.config.update(TESTING=True, FIXED_NOW=NOW)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = create_server(gcj_app, host="127.0.0.1", port=port, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    yield f"http://127.0.0.1:{port}"
    server.close()


def test_overlays_sit_on_gcj02_basemap_tiles(browser: LoggedIn, gcj_server: str) -> None:
    page, watch = _open(browser, gcj_server)
    lon, lat = 120.158, 30.300
    glon, glat = wgs84_to_gcj02(lon, lat)
    # A WGS-84 overlay point projects exactly where Web Mercator puts its GCJ-02 position,
    # i.e. onto the GCJ-02 tiles, not ~500 m off.
    err, shift = page.evaluate(
        f"""(() => {{ const m = {MAP};
             const a = m.options.crs.latLngToPoint(L.latLng({lat}, {lon}), 18);
             const b = L.CRS.EPSG3857.latLngToPoint(L.latLng({glat}, {glon}), 18);
             const c = L.CRS.EPSG3857.latLngToPoint(L.latLng({lat}, {lon}), 18);
             return [a.distanceTo(b), a.distanceTo(c)]; }})()"""
    )
    assert page.evaluate(f"{MAP}.options.crs.code") == "GCJ02"  # gcj02.js is loaded
    assert err < 0.5  # pixels at zoom 18 (~0.3 m)
    assert shift > 500  # the GCJ-02 shift itself is hundreds of metres
    # The inverse round-trips too (clicks land on the right feature).
    back = page.evaluate(
        f"(() => {{ const m = {MAP}; const p = m.options.crs.latLngToPoint(L.latLng({lat}, {lon}), 18);"
        " const q = m.options.crs.pointToLatLng(p, 18); return [q.lat, q.lng]; })()"
    )
    assert back[0] == pytest.approx(lat, abs=1e-8) and back[1] == pytest.approx(lon, abs=1e-8)
    assert page.locator(".leaflet-tile-pane img").count() > 0
    # The compounds and outlines are drawn over the basemap, not hidden under it.
    z = page.evaluate(
        """() => ['img', 'canvas'].map(t => Number(document.querySelector(
                     '.leaflet-tile-pane ' + t + '.leaflet-tile').closest('.leaflet-layer').style.zIndex))"""
    )
    assert z[1] > z[0], z
    assert watch.errors == [] and watch.foreign == []
    page.close()


def test_view_in_the_address_is_restored_and_kept(
    browser: LoggedIn, live_server: str, demo_conn
) -> None:
    lon, lat = demo_conn.execute(
        "SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(geom) c FROM compound ORDER BY id LIMIT 1) s"
    ).fetchone()
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    watch = Watch(page, live_server)
    page.goto(f"{live_server}/#15/{lat:.5f}/{lon:.5f}")
    page.wait_for_function("() => document.body.dataset.kpis === '9'", timeout=20_000)
    assert page.evaluate(f"{MAP}.getZoom()") == 15
    centre = page.evaluate(f"(() => {{ const c = {MAP}.getCenter(); return [c.lat, c.lng]; }})()")
    assert centre[0] == pytest.approx(lat, abs=1e-4) and centre[1] == pytest.approx(lon, abs=1e-4)
    page.evaluate(f"{MAP}.setZoom(16, {{animate: false}})")
    page.wait_for_function("() => location.hash.startsWith('#16/')")
    assert watch.errors == [] and watch.foreign == []
    page.close()


# -- issue 8: index and early warning ------------------------------------------------------
INDEX_PAINTED = """(sel) => { const c = document.querySelector(sel);
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }"""


def test_index_layers_rankings_and_radar(
    browser: LoggedIn,
    live_server: str,
    demo_conn,  # noqa: ANN001
    artifacts,  # noqa: ANN001
) -> None:
    """Issue 8: the 三方强基指数 choropleth, ranking table, spike markers, the Gi* hot-spot
    layer with its legend, and the radar chart and trend in the compound panel."""
    page, watch = _open(browser, live_server)
    # Spike markers are on by default, one per flagged compound.
    page.wait_for_function("() => Number(document.body.dataset.spikes) >= 1", timeout=20_000)
    spikes = int(page.evaluate("document.body.dataset.spikes"))
    assert page.locator("path.gs-spike").count() == spikes
    assert "投诉突增预警" in page.locator("#gs-warn-legend").inner_text()
    # Ranking table: every street with an index, best first.
    page.wait_for_function("() => Number(document.body.dataset.ranking) > 0", timeout=20_000)
    n_streets = demo_conn.execute(
        "SELECT count(DISTINCT street_code) FROM compound_index WHERE quarter = '2026Q3'"
    ).fetchone()[0]
    assert page.locator("#gs-index-ranking tbody tr").count() == n_streets
    assert page.locator("#gs-index-quarter").inner_text() == "2026Q3"
    page.select_option("#gs-index-level", "community")
    page.wait_for_function("() => document.body.dataset.ranking_level === 'community'")
    n_communities = demo_conn.execute(
        "SELECT count(DISTINCT community_code) FROM compound_index WHERE quarter = '2026Q3'"
    ).fetchone()[0]
    assert page.locator("#gs-index-ranking tbody tr").count() == n_communities
    # Choropleth by the index total.
    page.select_option("#gs-metric", "index_total")
    page.wait_for_function("() => document.body.dataset.metric === 'index_total'", timeout=20_000)
    assert "≥" in page.locator("#gs-choropleth-legend").inner_text()
    # The Gi* hot-spot layer, from the layer control, with its significance classes.
    page.get_by_text("信访热点（Gi*，近12个月）", exact=True).click()
    page.wait_for_function("() => document.body.dataset.hotspots !== undefined", timeout=30_000)
    n_hot = int(page.evaluate("document.body.dataset.hotspots"))
    assert n_hot >= 1
    assert page.locator("path.gs-hot").count() == n_hot
    assert page.locator("path.gs-hot-hot_99, path.gs-hot-hot_95, path.gs-hot-hot_90").count() >= 1
    legend = page.locator("#gs-warn-legend").inner_text()
    assert "热点 99%" in legend and "冷点 95%" in legend and "不显著" in legend
    page.wait_for_timeout(300)
    page.screenshot(path=str(artifacts / "onescreen-warnings-1920x1080.png"))
    # The compound panel: radar chart of the five dimensions and the quarterly trend.
    cid, name = demo_conn.execute(
        "SELECT c.id, c.name FROM compound_index i JOIN compound c ON c.id = i.compound_id "
        "WHERE quarter = '2026Q3' ORDER BY total DESC LIMIT 1"
    ).fetchone()
    page.fill("#gs-search", name)
    page.locator("#gs-search-results li", has_text=name).first.click()
    page.wait_for_function(f"() => document.body.dataset.radar === '{cid}'", timeout=20_000)
    panel = page.locator("#gs-detail").inner_text()
    assert "三方强基指数" in panel and "全区第 1/" in panel
    assert page.evaluate(INDEX_PAINTED, "#gs-radar") > 2000
    assert page.evaluate(INDEX_PAINTED, "#gs-trend") > 500
    labels = page.evaluate(
        "Chart.getChart(document.getElementById('gs-radar')).data.labels.join(',')"
    )
    assert labels == "组织领导力,小区凝聚力,三方协同力,物业服务力,综合满意度"
    trend = page.evaluate("Chart.getChart(document.getElementById('gs-trend')).data.labels")
    assert trend == ["2025Q4", "2026Q1", "2026Q2", "2026Q3"]
    page.wait_for_timeout(300)
    page.screenshot(path=str(artifacts / "onescreen-index-1920x1080.png"))
    assert watch.errors == [] and watch.foreign == []
    page.close()


def _screen_point(page: Page, lat: float, lon: float) -> tuple[float, float]:
    pt = page.evaluate(
        f"(() => {{ const m = {MAP}; const p = m.latLngToContainerPoint([{lat}, {lon}]); return [p.x, p.y]; }})()"
    )
    box = page.locator(".folium-map").bounding_box()
    return box["x"] + pt[0], box["y"] + pt[1]


def _rings(geometry: dict) -> list[list[list[float]]]:
    """A decoded geometry as mvtlayer.js keeps it: a list of rings (a point is a ring of
    one), polygon rings without their closing point."""
    kind, coords = geometry["type"], geometry["coordinates"]
    if kind == "Point":
        return [[coords]]
    if kind == "MultiPoint":
        return [[c] for c in coords]
    if kind == "LineString":
        return [coords]
    if kind == "MultiLineString":
        return coords
    polygons = [coords] if kind == "Polygon" else coords
    return [ring[:-1] if ring[0] == ring[-1] else ring for poly in polygons for ring in poly]


def test_the_tile_decoder_agrees_with_the_reference_decoder(
    browser: LoggedIn, live_server: str, demo_conn
) -> None:
    """static/js/mvtlayer.js reads varints inline: every geometry and attribute it decodes,
    from a tile made to need long varints, negative and far-out coordinates, multi-part
    geometries and every attribute type, and from the map's own tiles, is what the
    mapbox-vector-tile package decodes (scaled from the tile's extent to 512 pixels)."""
    import mapbox_vector_tile
    from shapely.geometry import MultiLineString, MultiPoint, MultiPolygon, Point, Polygon

    made = mapbox_vector_tile.encode(
        [
            {"name": "points", "features": [
                {"geometry": MultiPoint([(10, 10), (4000, 4000), (-50, 300)]),
                 "properties": {"n": 1, "name": "长名称小区（第二期）东苑", "share": 0.35, "ok": True, "delta": -7}},
                {"geometry": Point(2048, 2048), "properties": {"n": 2**40, "name": "x"}},
            ]},
            {"name": "shapes", "features": [
                {"geometry": MultiPolygon([
                    Polygon([(0, 0), (4096, 0), (4096, 4096), (0, 4096)], [[(100, 100), (100, 200), (200, 200), (200, 100)]]),
                    Polygon([(5000, 5000), (90000, 5000), (90000, 60000)]),
                ]), "properties": {"id": 7, "name": "甲"}},
                {"geometry": MultiLineString([[(0, 0), (3000, 4000), (-200, -100)], [(1, 1), (2, 2)]]),
                 "properties": {"id": 8}},
            ]},
        ],
        default_options={"y_coord_down": True},
    )  # fmt: skip
    page, watch = _open(browser, live_server)
    tiles = {"made": made}
    lon, lat = demo_conn.execute(  # the middle of the compound with the most buildings
        "SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(ST_Collect(geom)) AS c, count(*) AS n "
        "FROM building GROUP BY compound_id ORDER BY n DESC, compound_id LIMIT 1) s"
    ).fetchone()
    z = 15
    x = int((lon + 180) / 360 * 2**z)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * 2**z)
    for name, url in (("areas", f"/tiles/areas/{z - 4}/{x >> 4}/{y >> 4}.pbf"),
                      ("buildings", f"/tiles/buildings/{z}/{x}/{y}.pbf")):  # fmt: skip
        body = page.request.get(live_server + url).body()
        tiles[name] = body
    checked = dict.fromkeys(tiles, 0)
    for name, body in tiles.items():
        got = page.evaluate(
            "bytes => L.GS.decodeTile(new Uint8Array(bytes).buffer, 512)", list(body)
        )
        want = mapbox_vector_tile.decode(body, default_options={"y_coord_down": True})
        assert sorted(got) == sorted(want), name
        for layer, w in want.items():
            scale = 512 / w["extent"]
            assert len(got[layer]) == len(w["features"]), (name, layer)
            for g, f in zip(got[layer], w["features"], strict=True):
                assert g["properties"] == f["properties"], (name, layer)
                assert g["layer"] == layer  # events name it as sourceLayer
                rings = [[c * scale for pt in ring for c in pt] for ring in _rings(f["geometry"])]
                where = (name, layer, f["properties"])
                assert [len(r) for r in g["rings"]] == [len(r) for r in rings], where
                assert sum(g["rings"], []) == pytest.approx(sum(rings, [])), where
                checked[name] += 1
    assert min(checked.values()) >= 4, checked  # every tile had features to compare
    assert watch.errors == []
    page.close()


# One call per vertex into the browser, as mvtlayer.js traced its paths before it made
# them from SVG path data: the reference its drawing is compared with.
_TRACE_BY_CALLS = """(feats, radius) => {
  const path = new Path2D();
  for (const f of feats) for (const ring of f.rings) {
    if (f.type === 1) {
      path.moveTo(ring[0] + radius, ring[1]); path.arc(ring[0], ring[1], radius, 0, 2 * Math.PI);
      continue;
    }
    path.moveTo(ring[0], ring[1]);
    for (let i = 2; i < ring.length; i += 2) path.lineTo(ring[i], ring[i + 1]);
    if (f.type === 3) path.closePath();
  }
  return path;
}"""


def test_tiles_are_drawn_as_traced_one_vertex_at_a_time(
    browser: LoggedIn, live_server: str
) -> None:
    """mvtlayer.js makes each style's path from SVG path data in one call: it draws the
    pixels that tracing the same features one call per vertex draws (circles for points,
    overlapping ones not cancelling out; polygons with holes; lines left open), for a tile
    of every geometry and a street-view tile of the map (compounds, outlines, buildings)."""
    import mapbox_vector_tile
    from shapely.geometry import LineString, MultiPoint, Point, Polygon

    made = mapbox_vector_tile.encode(
        [
            {"name": "points", "features": [
                {"geometry": MultiPoint([(400, 400), (420, 400), (3000, 1000)]), "properties": {}},
                {"geometry": Point(400, 400), "properties": {}},  # on top of the first
            ]},
            {"name": "shapes", "features": [
                {"geometry": Polygon([(800, 800), (3800, 800), (3800, 3800), (800, 3800)],
                                     [[(1500, 1500), (1500, 2500), (2500, 2500), (2500, 1500)]]),
                 "properties": {}},
            ]},
            {"name": "lines", "features": [
                {"geometry": LineString([(100, 4000), (2000, 3000), (4000, 3900)]), "properties": {}},
            ]},
        ],
        default_options={"y_coord_down": True},
    )  # fmt: skip
    page, watch = _open(browser, live_server)
    street = page.request.get(live_server + "/tiles/areas_buildings/14/13660/6743.pbf").body()
    style = {"fill": True, "fillColor": "#2a7fbf", "fillOpacity": 0.5, "color": "#8e2323",
             "weight": 1.5, "opacity": 0.9, "radius": 6}  # fmt: skip
    for name, body in (("made", made), ("street", street)):
        got = page.evaluate(
            """([bytes, style]) => {
              const layers = L.GS.decodeTile(new Uint8Array(bytes).buffer, 512), names = Object.keys(layers);
              const styles = {};
              for (const n of names) styles[n] = () => style;
              const layer = L.GS.vectorTiles("", {styles: styles});
              const tile = document.createElement("canvas"); tile.width = tile.height = 512;
              const features = [].concat(...names.map(n => layers[n]));
              layer._draw({canvas: tile, coords: {x: 0, y: 0, z: 0}, dpr: 1, features: features, part: null});
              const drawn = new OffscreenCanvas(512, 512), a = drawn.getContext("2d");
              a.drawImage(tile, 0, 0);
              const ref = new OffscreenCanvas(512, 512), b = ref.getContext("2d");
              // one path per geometry type (the style is the same), in the order they
              // come; every fill first (lines have none), then every outline
              const trace = """
            + _TRACE_BY_CALLS
            + """, byType = new Map();
              for (const f of features) (byType.get(f.type) || byType.set(f.type, []).get(f.type)).push(f);
              const paths = [...byType].map(([type, feats]) => [type, trace(feats, style.radius)]);
              b.globalAlpha = style.fillOpacity; b.fillStyle = style.fillColor;
              for (const [type, path] of paths) if (type !== 2) b.fill(path, "nonzero");
              b.globalAlpha = style.opacity; b.strokeStyle = style.color; b.lineWidth = style.weight;
              b.lineCap = b.lineJoin = "round";
              for (const [, path] of paths) b.stroke(path);
              const p = a.getImageData(0, 0, 512, 512).data, q = b.getImageData(0, 0, 512, 512).data;
              let painted = 0, differ = 0;
              for (let i = 3; i < p.length; i += 4) {
                if (p[i] > 0) painted++;
                if (Math.abs(p[i] - q[i]) > 24 || Math.abs(p[i - 1] - q[i - 1]) > 24) differ++;
              }
              return {painted, differ};
            }""",
            [list(body), style],
        )
        assert got["painted"] > 20_000, (name, got)  # most of the tile
        assert got["differ"] <= 20, (name, got)  # a point is ~110 pixels
    assert watch.errors == []
    page.close()


def test_buildings_come_in_the_areas_tiles_from_their_zoom_and_switch_off_and_on(
    browser: LoggedIn, live_server: str
) -> None:
    """From zoom 15 the map asks for the areas tiles with the buildings in them
    (areas_buildings), each building drawn in its legend colour; the buildings' entry in the layer control hides them without a
    request, and shows them again, fetching those tiles again if they came without."""
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    watch = Watch(page, live_server)
    tiles: list[str] = []
    page.on("request", lambda r: tiles.append(urlsplit(r.url).path) if "/tiles/" in r.url else None)
    page.goto(live_server + "/#15/30.30000/120.16000")
    page.wait_for_function(MAP_READY, timeout=20_000)
    drawn = f"""() => {{ let n = 0; for (const l of Object.values({MAP}._layers))
                  if (l instanceof L.GS.VectorTiles) for (const t of Object.values(l._tiles))
                    for (const f of (t.el._gsTile || {{features: []}}).features)
                      if (f.layer === 'buildings' && f.style) n++;
                  return n; }}"""
    assert tiles and all(p.startswith("/tiles/areas_buildings/14/") for p in tiles), tiles
    assert page.evaluate(drawn) > 100
    # Each building is drawn in its class's colour in the map's legend (elevator status).
    legend = page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('#gs-map-legend div')]
                 .filter(d => d.querySelector('.gs-swatch'))
                 .map(d => [d.textContent.trim(), d.querySelector('.gs-swatch').style.background]))"""
    )
    fills = page.evaluate(
        f"""() => {{ const out = [], c = document.createElement('canvas').getContext('2d');
                  for (const l of Object.values({MAP}._layers))
                    if (l instanceof L.GS.VectorTiles) for (const t of Object.values(l._tiles))
                      for (const f of (t.el._gsTile || {{features: []}}).features)
                        if (f.layer === 'buildings' && f.style) {{
                          c.fillStyle = f.style.fillColor;  // to the legend's rgb(...) form
                          const s = document.createElement('span'); s.style.background = c.fillStyle;
                          out.push([f.properties.retrofit_stage, f.properties.has_elevator, s.style.background]);
                        }}
                  return out; }}"""
    )
    def label(stage: str, lift: bool) -> str:
        if stage:
            return "加装完工" if stage == "completed" else "加装推进中"
        return "原有电梯" if lift else "无电梯"

    labels = [label(stage, lift) for stage, lift, _ in fills]
    assert len(set(labels)) >= 3, set(labels)
    assert [colour for *_, colour in fills] == [legend[x] for x in labels]
    entry = page.locator(".leaflet-control-layers").get_by_text("楼栋（电梯状态）（15级以上）", exact=True)
    tiles.clear()
    entry.click()  # off: the same tiles drawn again without them
    page.wait_for_function(f"() => ({drawn})() === 0", timeout=10_000)
    assert tiles == []
    page.evaluate(f"{MAP}.panBy([700, 0], {{animate: false}})")  # new tiles, without buildings
    page.wait_for_function(ALL_TILES_LOADED)
    assert tiles and all(p.startswith("/tiles/areas/14/") for p in tiles), tiles
    tiles.clear()
    entry.click()  # on: every tile shown fetched again with them
    # (~75 in view here: the parts of the tiles outside it are drawn once they are shown)
    page.wait_for_function(f"() => ({drawn})() > 50", timeout=10_000)
    assert tiles and all(p.startswith("/tiles/areas_buildings/14/") for p in tiles), tiles
    # Below their zoom the map asks for the areas alone.
    tiles.clear()
    page.evaluate(f"{MAP}.setZoom(14, {{animate: false}})")
    page.wait_for_function(ALL_TILES_LOADED)
    assert tiles and all(p.startswith("/tiles/areas/13/") for p in tiles), tiles
    assert watch.errors == [] and watch.foreign == []
    page.close()


def test_vector_tiles_hover_click_and_restyle_without_refetching(
    browser: LoggedIn, live_server: str, demo_conn
) -> None:
    """static/js/mvtlayer.js: the pointer is hit-tested against the decoded features
    (tooltip and pointer cursor over a compound, a building's popup at zoom 17), and a
    restyle (another metric, a selected compound) redraws from them without a request."""
    page, watch = _open(browser, live_server)
    name, lon, lat = demo_conn.execute(
        "SELECT name, ST_X(p), ST_Y(p) FROM (SELECT name, ST_PointOnSurface(geom) p, ST_Area(geom) a "
        "FROM compound) s ORDER BY a DESC LIMIT 1"
    ).fetchone()
    page.mouse.move(*_screen_point(page, lat, lon))
    page.locator(".gs-tip", has_text=name).wait_for(timeout=10_000)
    assert page.evaluate(f"{MAP}.getContainer().style.cursor") == "pointer"
    # Outside the district: no feature, no tooltip, the default cursor.
    page.mouse.move(*_screen_point(page, lat + 0.5, lon + 0.5))
    page.locator(".gs-tip").wait_for(state="detached", timeout=10_000)
    assert page.evaluate(f"{MAP}.getContainer().style.cursor") == ""

    tiles: list[str] = []
    page.on("request", lambda r: tiles.append(r.url) if "/tiles/" in r.url else None)
    page.select_option("#gs-metric", "oc_formed")
    page.wait_for_function("() => document.body.dataset.metric === 'oc_formed'", timeout=20_000)
    n = demo_conn.execute("SELECT count(*) FROM compound").fetchone()[0]
    assert page.evaluate("document.body.dataset.drawn_compounds") == str(n)
    assert tiles == []

    number, blon, blat = demo_conn.execute(
        "SELECT number, ST_X(p), ST_Y(p) FROM (SELECT number, ST_PointOnSurface(geom) p, "
        "ST_Area(geom) a FROM building) s ORDER BY a DESC LIMIT 1"
    ).fetchone()
    page.evaluate(f"{MAP}.setView([{blat}, {blon}], 17, {{animate: false}})")
    page.wait_for_function(
        "() => document.querySelectorAll('canvas.leaflet-tile-loaded').length > 0", timeout=20_000
    )
    page.wait_for_timeout(500)  # the zoom-17 tiles drawn
    page.mouse.click(*_screen_point(page, blat, blon))
    page.locator(".leaflet-popup-content", has_text=f"{number}幢").wait_for(timeout=10_000)
    assert watch.errors == [] and watch.foreign == []
    page.close()
