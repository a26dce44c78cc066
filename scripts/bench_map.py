#!/usr/bin/env python3
"""Benchmark the one-screen map against a naive folium page, at district (and city) scale.

For each scale: loads the demo into a throwaway embedded cluster (never the user's data),
serves the app on loopback as `geo-service serve` does (waitress, 8 threads, in a process of
its own), and measures in headless Chromium:

* our page ``/`` (data fetched from the API: vector tiles for compounds, outlines and
  dense layers, heat grids), and
* a naive folium page inlining the same default layers — the ones switched on when our
  page opens: the compound choropleth with its metric, street and community outlines,
  and the buildings (ours draws them from zoom 15 as tiles; a page without tiles has to
  carry them) — as GeoJSON in the HTML with folium's defaults, the common way to use
  folium. Its libraries are served from /static and both pages get the same gzip, so
  only the data path differs.

It prints bytes transferred (encoded) and time until the map is idle (median of runs;
idle = the last response has arrived and, for our page, the compounds are drawn and the
KPIs shown -- measured from the Navigation/Resource Timing entries, so Playwright's
500 ms network-idle window is not counted) for our page in two views -- the opening view
(no address: the whole district, as the naive page opens) and a street view (zoom 15
over the old city, 120.16E 30.30N, with the buildings: the #zoom/lat/lon address, the
same at every scale) -- and for the naive page opened on each of the two views. The
pages are loaded in turn, round by round, after a round that is not counted and with
1.5 s between loads, each in a fresh browser context (chromium started as the tests
start it, tests/chromium.py); each page's loads are printed, with the ratio of the
medians and the median of the per-round ratios, each with its 95% bootstrap interval
over the rounds: the time-to-idle target is "met" only if both intervals lie at or under
it, "MISSED" if one lies wholly over it, and "not shown" if it falls inside one (a load's
time on this VM varies by a third from load to load). Then vector-tile latency at z14
(every tile layer drawn at z14) and heat-grid latency (views at zooms 14-17, three time
windows), p50/p95 over --passes requests of each tile and grid view. Tiles and grid views
are sampled only where they lie wholly inside the real district's outline, so every scale
shows the same density of data in the same windows; the naive page carries everything.
For reference it also times a folium page with Leaflet and no data: the floor for any such
page on the machine. Targets: initial transfer <= 1.5 MB; time to idle <= 1/3 of the naive
page's; z14 tile p95 <= 50 ms; heat grid p95 <= 150 ms; city within 1.5x of district
(street view, tiles, grids; each city/district ratio with its 95% interval -- the same
tiles and grid views resampled as pairs, each with all its passes, and each scale's loads
on their own -- and judged the same way).

Usage: scripts/bench_map.py [--scales district[,city]] [--runs 9] [--passes 5] [--data-dir DIR]
                           [--cpus 0-1]
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import math
import multiprocessing
import os
import random
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import folium  # noqa: E402
import requests  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from waitress.server import create_server  # noqa: E402

import layers  # noqa: E402
from geo_service import accounts, db, queries, security  # noqa: E402
from geo_service.app import create_app  # noqa: E402
from geo_service.assets import offline_map  # noqa: E402
from geo_service.cluster import Cluster  # noqa: E402
from geo_service.demo.geography import district_outline  # noqa: E402
from geo_service.demo.load import load_demo  # noqa: E402
from geo_service.settings import Settings  # noqa: E402
from tests.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

AS_OF = dt.date(2026, 11, 22)
NOW = dt.datetime(2026, 11, 22, 21, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


STREET_VIEW = (15, 30.30, 120.16)  # zoom, lat, lon: ~8 x 2.5 km of the old city at 1920 px


def naive_data(engine: sa.Engine) -> tuple[dict, dict, list[float]]:
    """The default layers as GeoJSON, the compounds' figures, and the district's bbox."""
    with engine.connect() as conn:
        district = queries.district(conn)
        fcs = {
            lid: queries.features(conn, layers.REGISTRY[lid], limit=1_000_000)
            for lid in ("streets", "communities", "compounds", "buildings")
        }
        metrics = {m["id"]: m for m in queries.compound_metrics(conn, NOW)}
    for f in fcs["compounds"]["features"]:
        f["properties"].update(metrics[f["id"]])
    return fcs, metrics, district["bbox"]


def naive_page(data: tuple[dict, dict, list[float]], view: tuple[int, float, float] | None) -> str:
    """folium as commonly used: every default layer inlined into the HTML. It opens on the
    whole district (zoom 12), or on ``view`` (zoom, lat, lon)."""
    fcs, metrics, b = data
    if view is None:
        m = offline_map(location=[(b[1] + b[3]) / 2, (b[0] + b[2]) / 2], zoom_start=12)
    else:
        m = offline_map(location=[view[1], view[2]], zoom_start=view[0])
    values = sorted(v["complaints_per_100hh"] for v in metrics.values())
    breaks = [values[int(q * (len(values) - 1))] for q in (0.2, 0.4, 0.6, 0.8)]
    palette = ["#1a9641", "#a6d96a", "#ffffbf", "#fdae61", "#d7191c"]

    def colour(f: dict) -> dict:
        v = f["properties"]["complaints_per_100hh"]
        return {
            "fillColor": palette[sum(v >= b for b in breaks)],
            "color": "#2c3e50",
            "weight": 0.6,
            "fillOpacity": 0.72,
        }

    # folium.Choropleth would need d3 from a CDN for its legend; GeoJson with a style
    # function draws the same choropleth from the same inlined data.
    folium.GeoJson(
        fcs["compounds"], name="小区", style_function=colour,
        tooltip=folium.GeoJsonTooltip(fields=["name", "complaints_per_100hh"]),
    ).add_to(m)  # fmt: skip
    folium.GeoJson(
        fcs["communities"],
        name="社区",
        style_function=lambda f: {"color": "#777", "weight": 1, "fillOpacity": 0},
    ).add_to(m)
    folium.GeoJson(
        fcs["streets"],
        name="街道",
        style_function=lambda f: {"color": "#c0392b", "weight": 2, "fillOpacity": 0},
    ).add_to(m)
    folium.GeoJson(
        fcs["buildings"], name="楼栋",
        style_function=lambda f: {"color": "#555", "weight": 0.6, "fillColor": "#4575b4" if f["properties"]["has_elevator"] else "#bdbdbd", "fillOpacity": 0.9},
    ).add_to(m)  # fmt: skip
    folium.LayerControl().add_to(m)
    return m.get_root().render()


def empty_page() -> str:
    """For reference: a folium page with Leaflet only and no data -- what any such page
    costs on this machine before it shows anything."""
    m = offline_map(location=[30.3, 120.16], zoom_start=12)
    m.default_js = [js for js in m.default_js if js[0] == "leaflet"]
    m.default_css = [css for css in m.default_css if css[0] == "leaflet_css"]
    return m.get_root().render()


SETTLE_S = 1.5
AUTH: dict[str, str] = {}  # the Authorization header every request of the bench sends


def _serve_child(home: str, port: int, extra: dict[str, str], ready) -> None:  # noqa: ANN001
    app = create_app(Settings(home=Path(home)))  # the embedded default, as the app role
    app.config["FIXED_NOW"] = NOW
    for path, html in extra.items():
        app.add_url_rule(path, path, lambda html=html: security.add_nonce(html))
    server = create_server(app, host="127.0.0.1", port=port, threads=8)  # as geo-service serve
    ready.set()
    server.run()


def serve_process(home: Path, extra: dict[str, str]) -> tuple[str, multiprocessing.Process]:
    """The app served as `geo-service serve` serves it (waitress, 8 threads) in a process
    of its own: not sharing this one's interpreter with the Playwright client driving the
    browser, which would hold up the server's threads while it handles page events.
    ``extra`` adds pages: path -> HTML."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    proc = ctx.Process(target=_serve_child, args=(str(home), port, extra, ready), daemon=True)
    proc.start()
    if not ready.wait(120):  # set once create_server has bound and is listening
        proc.terminate()
        raise RuntimeError("the benchmark's server did not start")
    return f"http://127.0.0.1:{port}", proc


def load_once(browser, url: str, ready_js: str | None) -> tuple[int, float]:  # noqa: ANN001
    """One cold load (a fresh browser context: empty cache): bytes on the wire and time
    until the map is idle."""
    ctx = browser.new_context(viewport={"width": 1920, "height": 1080}, extra_http_headers=AUTH)
    page = ctx.new_page()
    page.goto(url, wait_until="networkidle", timeout=120_000)
    if ready_js:
        page.wait_for_function(ready_js, timeout=120_000)
    # Idle: the last response and, for our page, the User Timing marks it sets once
    # the compounds are drawn and the KPIs shown (Playwright's 500 ms quiet window
    # used to detect it is not counted).
    idle = page.evaluate(
        """() => { const nav = performance.getEntriesByType('navigation')[0];
                   const ends = performance.getEntriesByType('resource').map(e => e.responseEnd);
                   const marks = performance.getEntriesByType('mark').map(e => e.startTime);
                   return Math.max(nav.loadEventEnd, ...ends, ...marks); }"""
    )
    # Bytes on the wire (headers + encoded bodies) of the page and everything it fetched.
    sent = page.evaluate(
        """() => performance.getEntriesByType('navigation')[0].transferSize +
                   performance.getEntriesByType('resource').reduce((n, e) => n + e.transferSize, 0)"""
    )
    ctx.close()
    # Let the machine settle before the next load: closing a context tears its renderer
    # down in the background (the naive page's, holding every feature, for a while), which
    # would otherwise run during whichever page loads next.
    time.sleep(SETTLE_S)
    return sent, idle


def measure_pages(browser, pages: dict[str, tuple[str, str | None]], runs: int) -> dict:  # noqa: ANN001
    """Loads every page once per round, in turn, after a round that is not counted (the
    server's and the browser's first-use costs): the pages compared share the machine's
    state of the moment, so a slow spell (this VM's neighbours, a GC) does not land on one
    page only. Per page: the medians, and every load's figures by round."""
    for url, ready in pages.values():
        load_once(browser, url, ready)
    loads: dict[str, list[tuple[int, float]]] = {name: [] for name in pages}
    for _ in range(runs):
        for name, (url, ready) in pages.items():
            loads[name].append(load_once(browser, url, ready))
    return {
        name: {
            "bytes": statistics.median(b for b, _ in v),
            "ms": statistics.median(ms for _, ms in v),
            "loads_ms": [round(ms) for _, ms in v],
        }
        for name, v in loads.items()
    }


def paired_ratio(ours: Sequence[float], naive: Sequence[float]) -> float:
    """Median over rounds of ours / naive within the same round."""
    return statistics.median(a / b for a, b in zip(ours, naive, strict=True))


BOOTSTRAP = 2000  # resamples for the confidence intervals


def resample(rnd: random.Random, xs: Sequence) -> list:
    """As many items of ``xs`` drawn with replacement."""
    return [xs[rnd.randrange(len(xs))] for _ in xs]


def resample_pairs(
    rnd: random.Random, a: Sequence, b: Sequence, passes: int = 1
) -> tuple[list, list]:
    """As many pairs (a[i], b[i]) drawn with replacement, as two lists in step. With
    ``passes``, a and b hold each item's measurements pass by pass (item i of pass j at
    j * len(a) / passes + i), and an item is drawn with all its passes: the passes of one
    tile are not independent samples of the tiles."""
    items = len(a) // passes
    at = [j * items + i for i in resample(rnd, range(items)) for j in range(passes)]
    return [a[i] for i in at], [b[i] for i in at]


def interval(stat: Callable[[random.Random], float]) -> tuple[float, float]:
    """95% bootstrap interval (percentile method, a fixed seed) of a statistic:
    ``stat(rnd)`` computes it on samples it resamples with ``rnd``. On this VM a load's
    time varies by a third from one load to the next, so a ratio near its target is read
    against its interval, not its point value."""
    rnd = random.Random(1)
    values = sorted(stat(rnd) for _ in range(BOOTSTRAP))
    return values[int(0.025 * BOOTSTRAP)], values[int(0.975 * BOOTSTRAP) - 1]


def ratio_cis(ours: list[float], naive: list[float]) -> tuple[tuple[float, float], ...]:
    """Intervals of the ratio of the medians and of the median of the per-round ratios,
    rounds (ours and naive of one round together) resampled."""

    def of_medians(rnd: random.Random) -> float:
        o, n = resample_pairs(rnd, ours, naive)
        return statistics.median(o) / statistics.median(n)

    def paired(rnd: random.Random) -> float:
        return paired_ratio(*resample_pairs(rnd, ours, naive))

    return interval(of_medians), interval(paired)


def against(target: float, cis: tuple[tuple[float, float], ...]) -> str:
    """The verdict on intervals: "met" if every one lies at or under the target,
    "MISSED" if one lies wholly over it, else "not shown" (the target is inside an
    interval: more rounds, or a quieter machine, may decide it either way)."""
    if all(hi <= target for _, hi in cis):
        return "met"
    if any(lo > target for lo, _ in cis):
        return "MISSED"
    return "not shown"


def _tile_range(bbox: list[float], z: int) -> list[tuple[int, int]]:
    def xy(lon: float, lat: float) -> tuple[int, int]:
        n = 2**z
        return int((lon + 180) / 360 * n), int(
            (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
        )

    x0, y1 = xy(bbox[0], bbox[1])
    x1, y0 = xy(bbox[2], bbox[3])
    return [(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


def p(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def _inside(outline, box: tuple[float, float, float, float]) -> bool:  # noqa: ANN001
    import shapely

    return outline.contains(shapely.box(*box))


def measure_tiles(base: str, bbox: list[float], outline, passes: int) -> list[float]:  # noqa: ANN001
    """Times of every z14 tile of every layer drawn at z14 inside the district, ``passes``
    times over, pass by pass in the same order (see resample_pairs)."""
    sess = requests.Session()
    sess.headers.update({"Accept-Encoding": "gzip", **AUTH})
    z14 = [lid for lid in queries.TILE_LAYERS if layers.REGISTRY[lid].min_zoom <= 14]
    urls = []
    n = 2**14
    for x, y in _tile_range(bbox, 14):
        lon0, lon1 = x / n * 360 - 180, (x + 1) / n * 360 - 180
        lat1 = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / n))))
        lat0 = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * (y + 1) / n))))
        if not _inside(outline, (lon0, lat0, lon1, lat1)):
            continue  # only tiles inside the real district: the same content at every scale
        urls += [f"{base}/tiles/{lid}/14/{x}/{y}.pbf" for lid in z14]
    return _time_requests(sess, urls, passes)


def _time_requests(sess: requests.Session, urls: list[str], passes: int) -> list[float]:
    """Milliseconds of each GET of ``urls``, in order, ``passes`` times over."""
    times = []
    for _ in range(passes):
        for url in urls:
            t0 = time.perf_counter()
            r = sess.get(url)
            times.append((time.perf_counter() - t0) * 1000)
            r.raise_for_status()
    return times


def measure_heat(base: str, bbox: list[float], outline, passes: int) -> list[float]:  # noqa: ANN001
    """Times of the heat grids of 12 views per zoom 14-17 inside the district (the same
    views at every scale: a fixed seed), three windows each, ``passes`` times over, pass by
    pass in the same order (see resample_pairs)."""
    rnd = random.Random(3)
    sess = requests.Session()
    sess.headers.update({"Accept-Encoding": "gzip", **AUTH})
    urls = []
    for z in range(14, 18):
        span_x = 1560 / 256 * 360 / 2**z  # the map is 1560 px wide beside the panel
        span_y = span_x * 0.6
        views = tries = 0
        while views < 12 and tries < 5000:
            tries += 1
            cx = rnd.uniform(bbox[0], bbox[2])
            cy = rnd.uniform(bbox[1], bbox[3])
            if not _inside(
                outline, (cx - span_x / 2, cy - span_y / 2, cx + span_x / 2, cy + span_y / 2)
            ):
                continue  # views inside the real district only (see measure_tiles)
            views += 1
            box = f"{cx - span_x / 2:.5f},{cy - span_y / 2:.5f},{cx + span_x / 2:.5f},{cy + span_y / 2:.5f}"
            urls += [
                f"{base}/api/heat/{layer}?bbox={box}&zoom={z}&{extra}"
                for layer, extra in (
                    ("petitions", "window=365"),
                    ("petitions", "window=30"),
                    ("elevator_retrofits", "stage=completed"),
                )
            ]
    return _time_requests(sess, urls, passes)


def run_scale(scale: str, runs: int, passes: int, browser, data_dir: Path | None) -> dict:  # noqa: ANN001
    keep = data_dir is not None
    home = data_dir / scale if keep else Path(tempfile.mkdtemp(prefix="gsm-", dir="/tmp"))
    loaded = (home / "pgdata").exists()
    cluster = Cluster(home)
    try:
        if not cluster.start():
            print(f"[{scale}] the cluster in {home} was already running: it keeps the CPUs it "
                  "was started on (--cpus)", file=sys.stderr)  # fmt: skip
        db.upgrade(cluster.url())
        if loaded:
            print(f"[{scale}] reusing the demo in {home}", file=sys.stderr)
        else:
            t0 = time.perf_counter()
            load_demo(cluster.conninfo(), scale, 1, AS_OF, progress=False)
            print(f"[{scale}] demo loaded in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        engine = sa.create_engine(cluster.url(), pool_size=10)
        with engine.begin() as conn:  # a district leader's API token for every request
            if not loaded:
                accounts.add_account(conn, "bench", "district_leader")
            AUTH["Authorization"] = "Bearer " + accounts.create_token(conn, "bench", days=1)[1]
        data = naive_data(engine)
        base, server = serve_process(home, {
            "/naive": naive_page(data, None),
            "/naive-street": naive_page(data, STREET_VIEW),
            "/empty": empty_page(),
        })  # fmt: skip
        del data
        # Tile and grid windows inside the real district's extent (the city is that
        # outline stretched around its centre at the same density).
        outline = district_outline()
        bbox = list(outline.bounds)
        # warm-up (connections, caches) before measuring
        requests.get(base + "/api/compounds/metrics", headers=AUTH)
        ready = (
            "() => document.body.dataset.drawn_compounds > 0 && document.body.dataset.kpis === '9'"
        )
        # The opening view (no address: the whole district, or city, as the naive page
        # opens) and a street view: zoom 15 at 1920x1080 shows ~8 x 2.5 km of the old city,
        # inside the district, with the buildings -- the same view at every scale.
        z, lat, lon = STREET_VIEW
        pages = measure_pages(browser, {
            "ours": (base + "/", ready),
            "street": (base + f"/#{z}/{lat:.5f}/{lon:.5f}", ready),
            "naive": (base + "/naive", None),
            "naive_street": (base + "/naive-street", None),
            "empty": (base + "/empty", None),
        }, runs)  # fmt: skip
        tiles = measure_tiles(base, bbox, outline, passes)
        heat = measure_heat(base, bbox, outline, passes)
        server.terminate()
        server.join(30)
        engine.dispose()
        return {
            **pages,
            "tiles": tiles,
            "heat": heat,
            "passes": passes,
        }
    finally:
        if keep:
            cluster.stop()
        else:
            cluster.destroy()


def _scale_ratio(rnd: random.Random, dv: list, cv: list, f: Callable, draw: Callable) -> float:
    """f of the city's values over f of the district's, in a resample drawn by ``draw``."""
    dvs, cvs = draw(rnd, dv, cv)
    return f(cvs) / f(dvs)


def print_city_vs_district(d: dict, c: dict) -> None:
    """The city/district ratios of the street view's time to idle and of the tile and grid
    p95s, each with its 95% interval and verdict (run_scale's results of each scale)."""
    print("\n== city vs district (the same street view and tile/grid windows; 95% intervals: "
          "the same tiles and grid views resampled as pairs, loads each on their own) ==")  # fmt: skip

    def loads(rnd: random.Random, dv: list, cv: list) -> tuple[list, list]:
        return resample(rnd, dv), resample(rnd, cv)  # each scale's loads on their own

    # The same tiles and grid views, in the same order, at both scales (measure_tiles,
    # measure_heat): resampled as pairs, so that their own spread cancels out, each
    # with all its passes.
    same_items = functools.partial(resample_pairs, passes=d["passes"])
    for label, dv, cv, f, draw in (
        ("street view", d["street"]["loads_ms"], c["street"]["loads_ms"], statistics.median, loads),
        ("tile p95", d["tiles"], c["tiles"], lambda v: p(v, 0.95), same_items),
        ("heat p95", d["heat"], c["heat"], lambda v: p(v, 0.95), same_items),
    ):  # fmt: skip
        if draw is same_items and len(dv) != len(cv):
            print(f"{label:<14} not the same tiles or views at both scales: no ratio")
            continue
        ci = interval(functools.partial(_scale_ratio, dv=dv, cv=cv, f=f, draw=draw))
        print(
            f"{label:<14} district {f(dv):8.1f} ms   city {f(cv):8.1f} ms   ratio {f(cv) / f(dv):5.2f} "
            f"({ci[0]:.2f}-{ci[1]:.2f}) -> <= 1.5x {against(1.5, (ci,))}"
        )  # fmt: skip


def parse_cpus(text: str) -> set[int]:
    """``0``, ``0,2`` or ``0-1``: CPUs of this machine, for ``--cpus``."""
    cpus: set[int] = set()
    for part in text.split(","):
        lo, _, hi = part.strip().partition("-")
        try:
            first, last = int(lo), int(hi or lo)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a CPU list (like 0 or 0-1): {text!r}") from None
        cpus.update(range(first, last + 1))
    available = os.sched_getaffinity(0)
    if not cpus or not cpus <= available:
        raise argparse.ArgumentTypeError(
            f"CPUs {sorted(cpus - available) or text!r} are not among this machine's "
            f"{sorted(available)}"
        )
    return cpus


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--scales", default="district", help="comma-separated: district,city (city loads ~45M rows)"
    )
    ap.add_argument("--runs", type=int, default=9, help="rounds: loads per page (medians reported)")
    ap.add_argument(
        "--passes",
        type=int,
        default=5,
        help="times each z14 tile and heat grid view is requested (p50/p95 over all of them)",
    )
    ap.add_argument(
        "--data-dir",
        type=Path,
        help="keep each scale's demo cluster in DATA_DIR/<scale> and reuse it on later runs "
        "(the city takes ~17 min to load); default: a throwaway cluster per run",
    )
    ap.add_argument(
        "--cpus",
        type=parse_cpus,
        help="run the whole benchmark (cluster, server, chromium) on these CPUs only, e.g. 0 "
        "or 0-1: how the times depend on the cores (default: every CPU the machine has)",
    )
    args = ap.parse_args()
    if args.cpus:
        # Inherited by every process started from here on: the cluster, the server and
        # chromium with all its helpers.
        os.sched_setaffinity(0, args.cpus)
    cpus = ",".join(map(str, sorted(os.sched_getaffinity(0))))
    results = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for scale in args.scales.split(","):
            results[scale] = run_scale(scale, args.runs, args.passes, browser, args.data_dir)
        browser.close()

    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    for scale, r in results.items():
        print(
            f"\n== {scale} scale: one-screen map vs naive folium page (median of {args.runs} loads "
            f"each, pages in turn, 1920x1080, on CPUs {cpus}) =="
        )
        print(
            f"{'page':<36}{'transferred':>12}{'time to idle':>14}{'/ naive':>9}{'paired':>8}   loads (ms)"
        )
        cis = {}
        for label, key, ref in (
            ("ours, opening view (/)", "ours", "naive"),
            ("ours, street view (#15/30.3/120.16)", "street", "naive_street"),
            ("naive folium, opening view", "naive", None),
            ("naive folium, street view", "naive_street", None),
            ("(empty folium page, Leaflet only)", "empty", "naive"),
        ):
            o = r[key]
            rel = pair = ""
            if ref:
                rel = f"{o['ms'] / r[ref]['ms']:.2f}"
                pair = f"{paired_ratio(o['loads_ms'], r[ref]['loads_ms']):.2f}"
                cis[key] = ratio_cis(o["loads_ms"], r[ref]["loads_ms"])
            print(
                f"{label:<36}{o['bytes'] / 1e6:>9.2f} MB{o['ms']:>11.0f} ms{rel:>9}{pair:>8}   {o['loads_ms']}"
            )
        worst = max(r["ours"]["bytes"], r["street"]["bytes"])
        print("/ naive: ratio of the medians against the naive page in the same view; paired: "
              "median of the per-round ratios")  # fmt: skip
        for key, label in (("ours", "opening view"), ("street", "street view")):
            (a, b), (c, e) = cis[key]
            print(f"  {label:<13} 95% intervals (bootstrap over rounds): / naive {a:.2f}-{b:.2f}, "
                  f"paired {c:.2f}-{e:.2f}")  # fmt: skip
        # Met only if both ratios are, each with its whole interval (ratio_cis, against).
        print(f"target: initial transfer <= 1.5 MB -> {verdict(worst <= 1.5e6)}; time to idle "
              f"<= 1/3 of naive -> opening view {against(1 / 3, cis['ours'])}, street view "
              f"{against(1 / 3, cis['street'])}")  # fmt: skip
        t, h = r["tiles"], r["heat"]
        print(f"vector tiles z14: {len(t)} requests ({args.passes} per tile), p50 {p(t, .5):.1f} ms, p95 {p(t, .95):.1f} ms, max {max(t):.1f} ms "
              f"-> p95 <= 50 ms {verdict(p(t, .95) <= 50)}")  # fmt: skip
        print(f"heat grids: {len(h)} requests ({args.passes} per view), p50 {p(h, .5):.1f} ms, p95 {p(h, .95):.1f} ms, max {max(h):.1f} ms "
              f"-> p95 <= 150 ms {verdict(p(h, .95) <= 150)}")  # fmt: skip
    if "city" in results and "district" in results:
        print_city_vs_district(results["district"], results["city"])
    print(
        json.dumps(
            {
                s: {
                    k: [round(t, 1) for t in v] if k in ("tiles", "heat") else v
                    for k, v in r.items()
                }
                for s, r in results.items()
            }
        ),
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
