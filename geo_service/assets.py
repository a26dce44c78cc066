"""The one place that knows where front-end files are.

The service must run on intranets without internet access, so no page may load
anything from a CDN.  folium hard-codes CDN URLs in ``default_js``/``default_css``
of ``folium.Map`` and of every plugin; this module maps each of those URLs to a
local file:

* npm packages pinned in ``static/package.json`` (installed by ``npm ci`` into
  ``static/node_modules``) are served by :data:`bp` under
  ``/static/vendor/<npm package>/<path inside package>``;
* our own small files under ``static/css`` are served by Flask's normal static
  folder (the app factory uses ``static_folder=STATIC_DIR``,
  ``static_url_path="/static"``).

Use :func:`offline_map` instead of ``folium.Map`` and pass every plugin through
:func:`localize`.  A CDN URL without a local copy raises
:class:`UnmappedAssetError`, so a new plugin cannot silently reach for a CDN.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import folium
from branca.element import Element, Link
from flask import Blueprint, Response, abort, request, send_from_directory

__all__ = [
    "CDN_PATH_TO_LOCAL",
    "STATIC_DIR",
    "VENDOR_DIR",
    "VENDOR_URL",
    "MissingAssetsError",
    "OfflineMap",
    "UnmappedAssetError",
    "bp",
    "bundle_url",
    "define_bundle",
    "local_path",
    "local_url",
    "localize",
    "missing_assets",
    "offline_map",
    "pinned_packages",
    "require_assets",
    "vendor_url",
]

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
VENDOR_DIR = STATIC_DIR / "node_modules"
PACKAGE_JSON = STATIC_DIR / "package.json"

STATIC_URL = "/static"
VENDOR_URL = f"{STATIC_URL}/vendor"

#: Cache lifetime of a vendor file requested with the pinned version (``?v=1.9.4``):
#: that URL changes whenever package.json is bumped, so browsers may keep it for a year.
VERSIONED_MAX_AGE = 365 * 24 * 3600
#: Cache lifetime of vendor files requested without (or with a stale) ``?v=``, e.g. the
#: fonts and images that CSS files reference relatively; after an upgrade these are
#: revalidated (ETag / Last-Modified) within a day.
UNVERSIONED_MAX_AGE = 24 * 3600

# Files directly in static/ that belong to the npm tooling, not to the pages.
_TOOLING_FILES = frozenset({"package.json", "package-lock.json", ".gitignore"})

#: maxZoom of a map without tile layer (folium's default for its tile layers).
DEFAULT_MAX_ZOOM = 18


class UnmappedAssetError(LookupError):
    """A folium element wants a remote JS/CSS resource that has no local copy."""


class MissingAssetsError(RuntimeError):
    """Local front-end files referenced by the asset mapping are not on disk."""


def _vendor(package: str, path: str) -> str:
    return f"{VENDOR_URL}/{package}/{path}"


def _own(path: str) -> str:
    return f"{STATIC_URL}/{path}"


#: The path (host left out) of every CDN URL folium (0.20) uses for the pieces this
#: service needs -> local URL path. Keyed by the exact path, version included, so a folium
#: upgrade that changes a URL fails loudly in :func:`localize` / the tests instead of
#: slipping through; no CDN host is named anywhere in the service.
CDN_PATH_TO_LOCAL: dict[str, str] = {
    # ---- folium.Map.default_js
    "/npm/leaflet@1.9.3/dist/leaflet.js": _vendor("leaflet", "dist/leaflet.js"),
    "/jquery-3.7.1.min.js": _vendor("jquery", "dist/jquery.min.js"),
    "/npm/bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js": _vendor(
        "bootstrap", "dist/js/bootstrap.bundle.min.js"
    ),
    "/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.js": _vendor(
        "leaflet.awesome-markers", "dist/leaflet.awesome-markers.js"
    ),
    # ---- folium.Map.default_css
    "/npm/leaflet@1.9.3/dist/leaflet.css": _vendor("leaflet", "dist/leaflet.css"),
    "/npm/bootstrap@5.2.2/dist/css/bootstrap.min.css": _vendor(
        "bootstrap", "dist/css/bootstrap.min.css"
    ),
    # Bootstrap 3 glyphicons (folium.Icon's default prefix) cannot ship next to
    # Bootstrap 5: a small shim draws the common names with Font Awesome's font.
    "/bootstrap/3.0.0/css/bootstrap-glyphicons.css": _own("css/glyphicons-fa-shim.css"),
    "/npm/@fortawesome/fontawesome-free@6.2.0/css/all.min.css": _vendor(
        "@fortawesome/fontawesome-free", "css/all.min.css"
    ),
    "/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.css": _vendor(
        "leaflet.awesome-markers", "dist/leaflet.awesome-markers.css"
    ),
    "/gh/python-visualization/folium/folium/templates/leaflet.awesome.rotate.min.css": _own(
        "css/leaflet.awesome.rotate.css"
    ),
    # ---- folium.plugins.HeatMap
    "/gh/python-visualization/folium@main/folium/templates/leaflet_heat.min.js": _vendor(
        "leaflet.heat", "dist/leaflet-heat.js"
    ),
    # ---- folium.plugins.MarkerCluster / FastMarkerCluster
    "/ajax/libs/leaflet.markercluster/1.1.0/leaflet.markercluster.js": _vendor(
        "leaflet.markercluster", "dist/leaflet.markercluster.js"
    ),
    "/ajax/libs/leaflet.markercluster/1.1.0/MarkerCluster.css": _vendor(
        "leaflet.markercluster", "dist/MarkerCluster.css"
    ),
    "/ajax/libs/leaflet.markercluster/1.1.0/MarkerCluster.Default.css": _vendor(
        "leaflet.markercluster", "dist/MarkerCluster.Default.css"
    ),
    # ---- folium.plugins.Fullscreen (leaflet.fullscreen 3.x: the last line whose
    # classic script still defines L.control.fullscreen, which folium's template calls)
    "/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.min.js": _vendor(
        "leaflet.fullscreen", "Control.FullScreen.js"
    ),
    "/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.css": _vendor(
        "leaflet.fullscreen", "Control.FullScreen.css"
    ),
    # ---- folium.plugins.VectorGridProtobuf
    "/leaflet.vectorgrid@latest/dist/Leaflet.VectorGrid.bundled.js": _vendor(
        "leaflet.vectorgrid", "dist/Leaflet.VectorGrid.bundled.js"
    ),
    # ---- jQuery as some plugins (TimestampedGeoJson, ...) spell it
    "/ajax/libs/jquery/3.7.1/jquery.min.js": _vendor("jquery", "dist/jquery.min.js"),
}


@cache
def pinned_packages() -> dict[str, str]:
    """The npm ``dependencies`` of static/package.json: package name -> exact version.

    These are the only packages :data:`bp` serves.
    """
    try:
        data = json.loads(PACKAGE_JSON.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise MissingAssetsError(
            f"{PACKAGE_JSON} is missing: the front-end package list ships with the source tree"
        ) from exc
    return dict(data.get("dependencies", {}))


def _split_package(path: str) -> tuple[str, str]:
    """``"@scope/pkg/a/b.css"`` -> ``("@scope/pkg", "a/b.css")``; ``"pkg/x"`` -> ``("pkg", "x")``."""
    parts = path.split("/")
    n = 2 if parts[0].startswith("@") else 1
    return "/".join(parts[:n]), "/".join(parts[n:])


def vendor_url(package: str, path: str) -> str:
    """URL of a file inside an allow-listed npm package, with its pinned version as
    cache-buster, e.g. ``/static/vendor/leaflet/dist/leaflet.js?v=1.9.4``."""
    versions = pinned_packages()
    if package not in versions:
        raise UnmappedAssetError(
            f"npm package {package!r} is not a dependency in {PACKAGE_JSON}; add it there first"
        )
    return f"{_vendor(package, path)}?v={versions[package]}"


def _is_local(url: str) -> bool:
    return url.startswith(f"{STATIC_URL}/")


def cdn_path(url: str) -> str:
    """The path of a remote URL, the key of :data:`CDN_PATH_TO_LOCAL`."""
    return urlsplit(url).path


def local_url(url: str, *, what: str = "") -> str:
    """The local URL to use instead of ``url`` (a CDN URL from folium).

    Already-local ``/static/...`` URLs are returned unchanged.  Raises
    :class:`UnmappedAssetError` naming the resource if there is no local copy.
    """
    if _is_local(url):
        return url
    try:
        local = CDN_PATH_TO_LOCAL[cdn_path(url)]
    except KeyError:
        label = f"{what} " if what else ""
        raise UnmappedAssetError(
            f"{label}resource {url} has no local copy: this service must work offline, so "
            "add the npm package to static/package.json (run `npm install` there) and map "
            "its path in geo_service.assets.CDN_PATH_TO_LOCAL"
        ) from None
    if local.startswith(f"{VENDOR_URL}/"):
        package, inner = _split_package(local[len(VENDOR_URL) + 1 :])
        return vendor_url(package, inner)
    return local


def local_path(url: str) -> Path:
    """The file on disk behind a local ``/static/...`` URL (query string ignored)."""
    path = urlsplit(url).path
    if path.startswith(f"{VENDOR_URL}/"):
        return VENDOR_DIR / path[len(VENDOR_URL) + 1 :]
    if path.startswith(f"{STATIC_URL}/"):
        return STATIC_DIR / path[len(STATIC_URL) + 1 :]
    raise ValueError(f"{url!r} is not a local {STATIC_URL}/ URL")


def _localize_links(
    links: Iterable[tuple[str, str]], owner: str, kind: str
) -> list[tuple[str, str]]:
    return [(name, local_url(url, what=f"{owner} {kind} {name!r}:")) for name, url in links]


_E = TypeVar("_E", bound=Element)


def localize(element: _E) -> _E:
    """Point ``default_js``/``default_css`` of ``element`` (a folium plugin such as
    HeatMap, MarkerCluster, Fullscreen, ...) and of all its children at local files.

    The lists are replaced on the instance, never on the class, so folium itself is
    not modified.  Returns ``element`` for chaining:
    ``localize(HeatMap(points)).add_to(m)``.

    Raises :class:`UnmappedAssetError` naming the resource if one has no local copy.
    """
    owner = type(element).__name__
    for attr, kind in (("default_js", "JS"), ("default_css", "CSS")):
        links = getattr(element, attr, None)
        if links:
            setattr(element, attr, _localize_links(links, owner, kind))
    for child in list(getattr(element, "_children", {}).values()):
        localize(child)
    return element


class OfflineMap(folium.Map):
    """A ``folium.Map`` whose page loads Leaflet & co. from ``/static/...`` only.

    As a safety net, rendering also rewrites any remaining CDN link that a child
    element put into the page header (for example a plugin added without
    :func:`localize`), and raises :class:`UnmappedAssetError` for one that has no
    local copy, so the rendered HTML never references a CDN.
    """

    def __init__(
        self,
        *args: Any,
        tiles: str | folium.TileLayer | None = None,
        min_zoom: int | None = None,
        max_zoom: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, tiles=tiles, min_zoom=min_zoom, max_zoom=max_zoom, **kwargs)
        if not tiles:
            # folium hands min/max_zoom only to the tile layer; without one the map
            # has no maxZoom and e.g. MarkerCluster throws "Map has no maxZoom specified".
            self.options["max_zoom"] = DEFAULT_MAX_ZOOM if max_zoom is None else max_zoom
            if min_zoom is not None:
                self.options["min_zoom"] = min_zoom
        self.default_js = _localize_links(folium.Map.default_js, "folium.Map", "JS")
        self.default_css = _localize_links(folium.Map.default_css, "folium.Map", "CSS")

    def render(self, **kwargs: Any) -> None:
        super().render(**kwargs)
        header = self.get_root().header
        for name, child in header._children.items():
            if isinstance(child, Link) and child.url and not _is_local(child.url):
                child.url = local_url(child.url, what=f"page header link {name!r}:")


def offline_map(**kwargs: Any) -> folium.Map:
    """A ``folium.Map`` (an :class:`OfflineMap`) whose rendered HTML references only
    local ``/static/...`` URLs.  ``tiles`` defaults to ``None`` (no tile server is
    reachable offline); the map then still gets ``maxZoom`` (``max_zoom``, default
    18), which MarkerCluster needs.  All keyword arguments go to ``folium.Map``."""
    kwargs.setdefault("tiles", None)
    return OfflineMap(**kwargs)


_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""")
# A url(...) starting with one of these is not relative to the stylesheet's folder.
_NOT_RELATIVE = ("data:", "#", "http:", "https:", "//", "/")


def _css_dependencies(css_file: Path) -> list[Path]:
    """Files (fonts, images) a CSS file references with relative ``url(...)``."""
    found = []
    for _, ref in _CSS_URL.findall(css_file.read_text(encoding="utf-8", errors="replace")):
        ref = ref.strip()
        if ref.startswith(_NOT_RELATIVE):
            continue
        ref = ref.split("?", 1)[0].split("#", 1)[0]
        found.append(Path(posixpath.normpath((css_file.parent / ref).as_posix())))
    return found


def missing_assets() -> list[str]:
    """Local files that :data:`CDN_PATH_TO_LOCAL` references (and the fonts/images those
    CSS files load) that are not on disk, e.g. because ``npm ci`` was not run."""
    missing: set[str] = set()
    for url in sorted(set(CDN_PATH_TO_LOCAL.values())):
        path = local_path(url)
        if not path.is_file():
            missing.add(str(path))
        elif path.suffix == ".css":
            missing.update(str(dep) for dep in _css_dependencies(path) if not dep.is_file())
    return sorted(missing)


def require_assets() -> None:
    """Raise :class:`MissingAssetsError` with a helpful message if files are missing."""
    missing = missing_assets()
    if missing:
        shown = "\n  ".join(missing[:10]) + ("\n  ..." if len(missing) > 10 else "")
        raise MissingAssetsError(
            f"{len(missing)} front-end file(s) are missing, e.g.\n  {shown}\n"
            f"run scripts/setup first (it runs `npm ci` in {STATIC_DIR})"
        )


bp = Blueprint("assets", __name__)


@bp.route(f"{VENDOR_URL}/<path:filename>")
def vendor_file(filename: str) -> Response:
    """Serve a file of an allow-listed npm package from static/node_modules."""
    package, inner = _split_package(filename)
    versions = pinned_packages()
    if package not in versions or not inner:
        abort(404)
    pinned = request.args.get("v") == versions[package]
    # send_from_directory rejects "..", absolute paths and non-files with 404, and
    # serving from the package's own folder keeps one package from reaching another.
    response = send_from_directory(
        VENDOR_DIR / package,
        inner,
        max_age=VERSIONED_MAX_AGE if pinned else UNVERSIONED_MAX_AGE,
    )
    if pinned:
        response.cache_control.immutable = True
    return response


@bp.before_app_request
def _hide_npm_tooling() -> None:
    """Keep the app's generic static route (``static_folder=STATIC_DIR``) from serving
    static/node_modules (all packages, not just the allow-listed ones) or the npm
    manifest files; those are only reachable through :func:`vendor_file`."""
    if request.endpoint != "static" or not request.view_args:
        return
    filename = posixpath.normpath(str(request.view_args.get("filename", "")).replace("\\", "/"))
    first = filename.lstrip("/").split("/", 1)[0]
    if first == VENDOR_DIR.name or filename.lstrip("/") in _TOOLING_FILES:
        abort(404)


# -- bundles -------------------------------------------------------------------------------
# A page's scripts (or stylesheets) joined into one file, named by its content's hash: one
# request instead of one per file, kept by browsers for a year and refetched only when a
# file in it changes. Built once per process from the files on disk (which do not change
# while the server runs) and served from memory. The one-screen map reached idle (as
# scripts/bench_map.py measures it) in a median 282 ms with one script and one stylesheet
# against 304 ms with five and three: an interleaved A/B of 24 loads each, 2-core VM.
BUNDLE_URL = f"{STATIC_URL}/bundle"
_BUNDLE_SPECS: dict[str, tuple[str, ...]] = {}  # name -> URLs of its files
_SOURCE_MAP = re.compile(
    r"^[ \t]*(?://# sourceMappingURL=.*|/\*# sourceMappingURL=.*?\*/)[ \t]*$", re.M
)


def _bundled_css(url: str, text: str) -> str:
    """A stylesheet's text for a bundle elsewhere: its relative ``url(...)`` made absolute
    (to the file's own folder), as they would resolve from where it is served."""
    if re.search(r"@(?:import|charset)\b", text):
        raise ValueError(f"{url}: @import and @charset only work at the top of a stylesheet")
    folder = posixpath.dirname(urlsplit(url).path)

    def absolute(m: re.Match[str]) -> str:
        quote, ref = m.group(1), m.group(2).strip()
        if ref.startswith(_NOT_RELATIVE):
            return m.group(0)
        return f"url({quote}{posixpath.normpath(posixpath.join(folder, ref))}{quote})"

    return _CSS_URL.sub(absolute, text)


def define_bundle(name: str, urls: Iterable[str]) -> None:
    """Declare a bundle: the local ``.js`` (or ``.css``) files at ``urls``, joined in that
    order. Declared when a module is imported, so every server process knows every bundle
    and can serve one a page made by another process asks for."""
    urls = tuple(urls)
    if _BUNDLE_SPECS.setdefault(name, urls) != urls:
        raise ValueError(f"bundle {name!r} is already declared with other files")


@cache
def _built(name: str) -> tuple[str, bytes, str]:
    """File name, body and mimetype of the bundle ``name``. Scripts are joined with ``;``
    on a line of its own, so one not ending in a newline or a semicolon cannot run into the
    next; source-map comments are dropped (the maps are not bundled)."""
    urls = _BUNDLE_SPECS[name]
    kinds = {posixpath.splitext(urlsplit(u).path)[1] for u in urls}
    if len(kinds) != 1 or not kinds <= {".js", ".css"}:
        raise ValueError(f"a bundle is all .js or all .css files: {urls}")
    ext = kinds.pop()
    parts = []
    for url in urls:
        text = _SOURCE_MAP.sub("", local_path(url).read_text(encoding="utf-8"))
        parts.append(_bundled_css(url, text) if ext == ".css" else text)
    body = ("\n;\n" if ext == ".js" else "\n").join(parts).encode("utf-8")
    filename = f"{name}.{hashlib.sha256(body).hexdigest()[:16]}{ext}"
    return filename, body, "text/javascript" if ext == ".js" else "text/css"


def bundle_url(name: str) -> str:
    """``/static/bundle/<name>.<hash of its content>.<js|css>``: the URL of a declared bundle."""
    return f"{BUNDLE_URL}/{_built(name)[0]}"


@bp.route(f"{BUNDLE_URL}/<filename>")
def bundle_file(filename: str) -> Response:
    """A declared bundle (its name changes with its content, so it may be kept for a year)."""
    found = [b for b in map(_built, _BUNDLE_SPECS) if b[0] == filename]
    if not found:
        abort(404)
    _, body, mimetype = found[0]
    response = Response(body, mimetype=mimetype)
    response.cache_control.public = True
    response.cache_control.max_age = VERSIONED_MAX_AGE
    response.cache_control.immutable = True
    response.set_etag(filename)
    return response.make_conditional(request)
