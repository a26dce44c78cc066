"""Offline front-end assets: no CDN URL in rendered maps, local files exist, and the
/static/vendor route serves allow-listed npm packages only.

Needs ``npm ci`` in static/ (scripts/setup); no database, no browser.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import folium
import pytest
from flask import Flask
from folium.elements import JSCSSMixin
from folium.plugins import Fullscreen, HeatMap, MarkerCluster

from geo_service import assets
from geo_service.assets import (
    CDN_PATH_TO_LOCAL,
    STATIC_DIR,
    VENDOR_DIR,
    UnmappedAssetError,
    bp,
    cdn_path,
    local_path,
    localize,
    missing_assets,
    offline_map,
)

CENTER = [30.30, 120.15]  # Hangzhou
PLUGINS = (HeatMap, MarkerCluster, Fullscreen)


class _LinkCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []  # (tag, attribute, value)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value is not None:
                self.urls.append((tag, name, value))


def _links(html: str) -> list[tuple[str, str, str]]:
    parser = _LinkCollector()
    parser.feed(html)
    parser.close()
    return parser.urls


def _demo_map() -> folium.Map:
    m = offline_map(location=CENTER, zoom_start=15)
    folium.Marker(CENTER, popup="compound").add_to(m)
    folium.Marker([30.302, 120.146], icon=folium.Icon()).add_to(m)
    points = [[30.30 + d, 120.15 + d, 1.0] for d in (-0.002, -0.001, 0.0, 0.001, 0.002)]
    localize(HeatMap(points)).add_to(m)
    cluster = localize(MarkerCluster()).add_to(m)
    for d in (0.0, 0.0002, 0.0004):
        folium.Marker([30.296 + d, 120.142 + d]).add_to(cluster)
    localize(Fullscreen()).add_to(m)
    return m


@pytest.fixture(scope="module")
def demo_html() -> str:
    return _demo_map().get_root().render()


@pytest.fixture()
def client():
    # The app factory serves static/ through Flask's own static route as well.
    app = Flask(__name__, static_folder=STATIC_DIR, static_url_path="/static")
    app.register_blueprint(bp)
    return app.test_client()


# ---------------------------------------------------------------- rendered HTML


def test_rendered_map_references_no_remote_url(demo_html: str) -> None:
    links = _links(demo_html)
    assert len(links) >= 16, links  # folium.Map's 10 + HeatMap 1 + MarkerCluster 3 + Fullscreen 2
    remote = [v for _, _, v in links if v.strip().lower().startswith(("http:", "https:", "//"))]
    assert remote == []
    # belt and braces, in case an attribute hides from the parser
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", demo_html, re.I)
    for cdn_host in ("cdn.jsdelivr.net", "cdnjs.cloudflare.com", "code.jquery.com", "unpkg.com"):
        assert cdn_host not in demo_html


def test_rendered_map_loads_each_library_locally(demo_html: str) -> None:
    urls = {v.split("?", 1)[0] for _, _, v in _links(demo_html)}
    for expected in (
        "/static/vendor/leaflet/dist/leaflet.js",
        "/static/vendor/leaflet/dist/leaflet.css",
        "/static/vendor/jquery/dist/jquery.min.js",
        "/static/vendor/bootstrap/dist/js/bootstrap.bundle.min.js",
        "/static/vendor/bootstrap/dist/css/bootstrap.min.css",
        "/static/vendor/@fortawesome/fontawesome-free/css/all.min.css",
        "/static/vendor/leaflet.awesome-markers/dist/leaflet.awesome-markers.js",
        "/static/vendor/leaflet.awesome-markers/dist/leaflet.awesome-markers.css",
        "/static/vendor/leaflet.heat/dist/leaflet-heat.js",
        "/static/vendor/leaflet.markercluster/dist/leaflet.markercluster.js",
        "/static/vendor/leaflet.markercluster/dist/MarkerCluster.css",
        "/static/vendor/leaflet.markercluster/dist/MarkerCluster.Default.css",
        "/static/vendor/leaflet.fullscreen/Control.FullScreen.js",
        "/static/vendor/leaflet.fullscreen/Control.FullScreen.css",
        "/static/css/glyphicons-fa-shim.css",
        "/static/css/leaflet.awesome.rotate.css",
    ):
        assert expected in urls, expected
    # the scripts that the page's code calls are really there
    assert "L.heatLayer(" in demo_html
    assert "L.markerClusterGroup(" in demo_html
    assert "L.control.fullscreen(" in demo_html


def test_every_local_url_exists_on_disk(demo_html: str) -> None:
    local = [v for _, _, v in _links(demo_html) if v.startswith("/static/")]
    assert local
    missing = [v for v in local if not local_path(v).is_file()]
    assert missing == [], f"missing (run `npm ci` in {STATIC_DIR}): {missing}"


def test_every_rendered_url_is_served(demo_html: str, client) -> None:
    """End to end through Flask: the blueprint and the app's static route together."""
    for _, _, url in _links(demo_html):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.data == local_path(url).read_bytes(), url
        response.close()


def test_vendor_urls_carry_the_pinned_version(demo_html: str) -> None:
    pinned = assets.pinned_packages()
    vendor = [v for _, _, v in _links(demo_html) if v.startswith("/static/vendor/")]
    assert vendor
    for url in vendor:
        path, _, query = url.partition("?")
        package, _ = assets._split_package(path.removeprefix("/static/vendor/"))
        assert query == f"v={pinned[package]}", url


def test_map_without_tiles_still_has_max_zoom(demo_html: str) -> None:
    # MarkerCluster throws "Map has no maxZoom specified" in the browser otherwise.
    assert offline_map().options["max_zoom"] == 18
    assert offline_map(max_zoom=20, min_zoom=3).options["max_zoom"] == 20
    assert '"maxZoom": 18' in demo_html
    assert "tile_layer" not in demo_html


def test_folium_itself_is_not_modified() -> None:
    before_map = list(folium.Map.default_js), list(folium.Map.default_css)
    before_plugins = [(list(p.default_js), list(p.default_css)) for p in PLUGINS]
    _demo_map().get_root().render()
    assert (folium.Map.default_js, folium.Map.default_css) == before_map
    assert [(p.default_js, p.default_css) for p in PLUGINS] == before_plugins
    assert folium.Map.default_js[0][1].startswith("https://")
    plain = folium.Map(tiles=None).get_root().render()
    assert "https://cdn.jsdelivr.net/npm/leaflet@" in plain


# ---------------------------------------------------------------- localize


class _UnknownCdnPlugin(JSCSSMixin):
    default_js = [("mystery-lib", "https://cdn.example.org/mystery@1.0/mystery.min.js")]


def test_localize_rewrites_plugin_links() -> None:
    heat = localize(HeatMap([CENTER]))
    assert heat.default_js == [
        ("leaflet-heat.js", "/static/vendor/leaflet.heat/dist/leaflet-heat.js?v=0.2.0")
    ]
    cluster = localize(MarkerCluster())
    assert [name for name, _ in cluster.default_css] == [
        "markerclustercss",
        "markerclusterdefaultcss",
    ]
    assert all(
        url.startswith("/static/vendor/leaflet.markercluster/") for _, url in cluster.default_css
    )
    assert localize(localize(Fullscreen())).default_js == localize(Fullscreen()).default_js


def test_localize_raises_naming_an_unmapped_resource() -> None:
    with pytest.raises(UnmappedAssetError) as excinfo:
        localize(_UnknownCdnPlugin())
    message = str(excinfo.value)
    assert "https://cdn.example.org/mystery@1.0/mystery.min.js" in message
    assert "mystery-lib" in message
    assert "_UnknownCdnPlugin" in message


def test_localize_walks_children() -> None:
    group = folium.FeatureGroup(name="layers")
    HeatMap([CENTER]).add_to(group)
    localize(group)
    heat = next(iter(group._children.values()))
    assert heat.default_js[0][1].startswith("/static/vendor/leaflet.heat/")

    bad = folium.FeatureGroup()
    _UnknownCdnPlugin().add_to(bad)
    with pytest.raises(UnmappedAssetError, match="mystery"):
        localize(bad)


def test_offline_map_catches_plugins_added_without_localize() -> None:
    m = offline_map(location=CENTER)
    MarkerCluster().add_to(m)  # forgot localize(): rewritten at render time
    html = m.get_root().render()
    assert "cdnjs.cloudflare.com" not in html
    assert "/static/vendor/leaflet.markercluster/dist/leaflet.markercluster.js" in html

    m = offline_map(location=CENTER)
    _UnknownCdnPlugin().add_to(m)
    with pytest.raises(UnmappedAssetError, match="cdn.example.org"):
        m.get_root().render()


def test_folium_defaults_all_have_a_local_copy() -> None:
    """Fails when a folium upgrade changes a CDN URL we rely on."""
    for owner in (folium.Map, *PLUGINS):
        for _, url in [*owner.default_js, *owner.default_css]:
            assert cdn_path(url) in CDN_PATH_TO_LOCAL, f"{owner.__name__}: {url}"


# ---------------------------------------------------------------- files on disk


def test_no_assets_missing() -> None:
    assert missing_assets() == []


def test_missing_assets_reports_files_not_on_disk(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(assets, "VENDOR_DIR", tmp_path / "node_modules")
    missing = missing_assets()
    assert str(tmp_path / "node_modules/leaflet/dist/leaflet.js") in missing
    assert str(tmp_path / "node_modules/leaflet.heat/dist/leaflet-heat.js") in missing
    assert not any("glyphicons-fa-shim.css" in path for path in missing)  # ours, still there
    with pytest.raises(assets.MissingAssetsError, match="scripts/setup"):
        assets.require_assets()


def test_missing_assets_checks_fonts_referenced_by_css(monkeypatch, tmp_path: Path) -> None:
    css = tmp_path / "node_modules/@fortawesome/fontawesome-free/css/all.min.css"
    css.parent.mkdir(parents=True)
    css.write_text("@font-face{src:url(../webfonts/fa-solid-900.woff2) format('woff2')}")
    monkeypatch.setattr(assets, "VENDOR_DIR", tmp_path / "node_modules")
    expected = str(
        tmp_path / "node_modules/@fortawesome/fontawesome-free/webfonts/fa-solid-900.woff2"
    )
    assert expected in missing_assets()


def test_mapping_uses_only_pinned_packages() -> None:
    package_json = json.loads((STATIC_DIR / "package.json").read_text())
    assert package_json["private"] is True
    assert package_json["name"] == "geo-service-static"
    deps = package_json["dependencies"]
    for package, version in deps.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{package} not pinned exactly: {version}"
    assert deps["leaflet"] == "1.9.4"
    assert deps["jquery"].startswith("3.")
    assert deps["bootstrap"].startswith("5.")
    assert deps["@fortawesome/fontawesome-free"].startswith("6.")
    assert deps["leaflet.awesome-markers"].startswith("2.0.")
    for url in CDN_PATH_TO_LOCAL.values():
        if url.startswith("/static/vendor/"):
            package, _ = assets._split_package(url.removeprefix("/static/vendor/"))
            assert package in deps, url


def test_installed_packages_match_lockfile_and_pins() -> None:
    deps = assets.pinned_packages()
    lock = json.loads((STATIC_DIR / "package-lock.json").read_text())
    for package, version in deps.items():
        assert lock["packages"][f"node_modules/{package}"]["version"] == version, package
        installed = json.loads((VENDOR_DIR / package / "package.json").read_text())["version"]
        assert installed == version, f"{package}: node_modules has {installed}; run npm ci"


def test_own_css_files_cover_what_folium_emits() -> None:
    shim = (STATIC_DIR / "css/glyphicons-fa-shim.css").read_text()
    assert folium.Icon().options["prefix"] == "glyphicon"
    assert f".glyphicon-{folium.Icon().options['icon']}::before" in shim
    assert '"Font Awesome 6 Free"' in shim
    rotate = (STATIC_DIR / "css/leaflet.awesome.rotate.css").read_text()
    for angle in (0, 1, 45, 90, 359):
        assert f".fa-rotate-{angle}{{" in rotate
        assert f"rotate({angle}deg)" in rotate
    assert "MIT" in rotate
    assert (STATIC_DIR / ".gitignore").read_text().split() == ["node_modules/"]


# ---------------------------------------------------------------- the blueprint


def test_vendor_route_wins_over_the_static_route(client) -> None:
    adapter = client.application.url_map.bind("localhost")
    endpoint, args = adapter.match("/static/vendor/leaflet/dist/leaflet.js")
    assert endpoint == "assets.vendor_file"
    assert args == {"filename": "leaflet/dist/leaflet.js"}
    assert adapter.match("/static/css/leaflet.awesome.rotate.css")[0] == "static"


def test_vendor_route_serves_leaflet_js(client) -> None:
    response = client.get("/static/vendor/leaflet/dist/leaflet.js")
    assert response.status_code == 200
    assert "javascript" in response.content_type
    assert response.data == (VENDOR_DIR / "leaflet/dist/leaflet.js").read_bytes()
    assert b"Leaflet 1.9.4" in response.data[:200]
    assert response.cache_control.max_age == assets.UNVERSIONED_MAX_AGE >= 3600

    versioned = client.get("/static/vendor/leaflet/dist/leaflet.js?v=1.9.4")
    assert versioned.status_code == 200
    assert versioned.cache_control.max_age == 365 * 24 * 3600
    assert versioned.cache_control.public
    assert "immutable" in versioned.headers["Cache-Control"]


def test_vendor_route_serves_scoped_package_fonts(client) -> None:
    response = client.get(
        "/static/vendor/@fortawesome/fontawesome-free/webfonts/fa-solid-900.woff2"
    )
    assert response.status_code == 200
    assert response.data[:4] == b"wOF2"
    css = client.get("/static/vendor/@fortawesome/fontawesome-free/css/all.min.css")
    assert css.status_code == 200
    assert "text/css" in css.content_type


@pytest.mark.parametrize(
    "url",
    [
        "/static/vendor/leaflet/../../package.json",
        "/static/vendor/leaflet/../../../pyproject.toml",
        "/static/vendor/leaflet/%2e%2e/%2e%2e/package.json",
        "/static/vendor/leaflet/..%2f..%2fpackage.json",
        "/static/vendor/leaflet/../jquery/dist/jquery.js",
        "/static/vendor/leaflet/../@popperjs/core/package.json",
        "/static/vendor/../package.json",
        "/static/vendor/%2e%2e/package-lock.json",
        "/static/vendor/leaflet//etc/passwd",
        "/static/vendor/leaflet/dist",
        "/static/vendor/leaflet/",
        "/static/vendor/leaflet/dist/no-such-file.js",
    ],
)
def test_vendor_route_rejects_traversal(client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 404, url
    assert b"geo-service-static" not in response.data
    assert b"[project]" not in response.data
    assert b"root:" not in response.data


@pytest.mark.parametrize(
    "url",
    [
        "/static/vendor/@popperjs/core/package.json",  # bootstrap's peer dependency
        "/static/vendor/vector-tile/package.json",  # leaflet.vectorgrid's dependency
        "/static/vendor/.package-lock.json",
        "/static/vendor/leaflet.heat.evil/package.json",
    ],
)
def test_vendor_route_serves_only_allow_listed_packages(client, url: str) -> None:
    on_disk = VENDOR_DIR / url.removeprefix("/static/vendor/")
    if "evil" not in url:
        assert on_disk.is_file(), f"test premise: {on_disk} exists (npm ci)"
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/static/node_modules/leaflet/dist/leaflet.js",
        "/static/node_modules/@popperjs/core/package.json",
        "/static/css/../node_modules/pbf/package.json",
        "/static/package.json",
        "/static/package-lock.json",
        "/static/.gitignore",
    ],
)
def test_static_route_does_not_expose_npm_tree(client, url: str) -> None:
    assert client.get(url).status_code == 404


def test_static_route_still_serves_our_css(client) -> None:
    response = client.get("/static/css/leaflet.awesome.rotate.css")
    assert response.status_code == 200
    assert b".fa-rotate-90{" in response.data


def test_static_files_are_gzipped_once_and_served_from_the_cache(app, monkeypatch) -> None:  # noqa: ANN001
    """A browser's Accept-Encoding (gzip, deflate, br, zstd) gets gzip, compressed once per
    process: /static files reach flask-compress whole, not as streams it would compress
    afresh (brotli or zstd) on every request."""
    import gzip

    from flask_compress import flask_compress

    calls: list[str] = []
    real = flask_compress._compress_data

    def counting(app, data, algorithm):  # noqa: ANN001, ANN202
        calls.append(algorithm)
        return real(app, data, algorithm)

    monkeypatch.setattr(flask_compress, "_compress_data", counting)
    path = "/static/js/gcj02.js"
    on_disk = (STATIC_DIR / "js" / "gcj02.js").read_bytes()
    bodies = []
    client = app.test_client()  # the service's own app, with flask-compress
    for _ in range(3):
        r = client.get(path, headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
        assert r.status_code == 200 and r.headers["Content-Encoding"] == "gzip"
        assert int(r.headers["Content-Length"]) == len(r.data)
        assert gzip.decompress(r.data) == on_disk
        bodies.append(r.data)
    assert bodies[0] == bodies[1] == bodies[2]
    assert len(calls) <= 1, calls


# ---------------------------------------------------------------- bundles
def _page_bundles(html: str) -> tuple[list[str], list[str]]:
    scripts = re.findall(r'<script[^>]*\ssrc="([^"]+)"', html)
    sheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    return scripts, sheets


def test_the_map_page_loads_one_script_and_one_stylesheet(app, leader, demo_engine) -> None:  # noqa: ANN001
    """The one-screen map's scripts (Leaflet, Pbf, ours) come in one bundle and its
    stylesheets in another: each holds every file whole, in order, without source-map
    comments; Leaflet's images resolve from the stylesheet's new place; the bundle is
    public (the login page's assets are too), immutable and answers 304 to its ETag."""
    import gzip

    from .conftest import logged_in

    client = logged_in(app, demo_engine, leader)
    scripts, sheets = _page_bundles(client.get("/").get_data(as_text=True))
    assert len(scripts) == 1 and len(sheets) == 1, (scripts, sheets)
    anon = app.test_client()
    js = anon.get(scripts[0], headers={"Accept-Encoding": "gzip"})
    assert js.status_code == 200 and js.mimetype == "text/javascript"
    assert (
        "immutable" in js.headers["Cache-Control"]
        and "max-age=31536000" in js.headers["Cache-Control"]
    )
    body = gzip.decompress(js.data).decode()
    parts = [
        local_path(assets.vendor_url("leaflet", "dist/leaflet.js")),
        local_path(assets.vendor_url("pbf", "dist/pbf.js")),
        *(STATIC_DIR / "js" / f for f in ("mvtlayer.js", "onescreen.js", "geoindex.js")),
    ]
    at = [
        body.index(p.read_text(encoding="utf-8").replace("//# sourceMappingURL=leaflet.js.map", ""))
        for p in parts
    ]
    assert at == sorted(at)
    assert "sourceMappingURL" not in body and "L.CRS.GCJ02" not in body
    again = {"If-None-Match": js.headers["ETag"], "Accept-Encoding": "gzip"}  # as a browser asks
    assert anon.get(scripts[0], headers=again).status_code == 304

    css = anon.get(sheets[0]).get_data(as_text=True)
    for name in ("onescreen.css", "geoindex.css"):
        assert (STATIC_DIR / "css" / name).read_text(encoding="utf-8") in css
    images = [u for u in re.findall(r"url\(([^)]+)\)", css) if not u.startswith("#")]
    assert len(images) >= 3 and all(
        u.startswith("/static/vendor/leaflet/dist/images/") for u in images
    ), images
    for url in images:
        assert anon.get(url).status_code == 200, url
    assert anon.get("/static/bundle/onescreen.0000000000000000.js").status_code == 404


def test_bundled_stylesheets_keep_their_references() -> None:
    """Relative url(...) become absolute to the stylesheet's own folder; absolute ones,
    data: URIs and fragments stay; @import (valid only at the top) is refused."""
    css = (
        ".a{background:url(images/a.png)} .b{background:url('../fonts/b.woff2')} "
        '.c{background:url("/static/img/c.svg")} .d{background:url(data:image/png;base64,AA==)} '
        ".e{filter:url(#f)}"
    )
    out = assets._bundled_css("/static/vendor/pkg/dist/x.css", css)
    assert "url(/static/vendor/pkg/dist/images/a.png)" in out
    assert "url('/static/vendor/pkg/fonts/b.woff2')" in out
    assert 'url("/static/img/c.svg")' in out
    assert "url(data:image/png;base64,AA==)" in out and "url(#f)" in out
    with pytest.raises(ValueError, match="@import"):
        assets._bundled_css("/static/css/y.css", '@import "z.css"; .a{}')
