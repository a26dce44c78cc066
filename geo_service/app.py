"""The Flask application factory."""

from __future__ import annotations

from flask import Flask, Request, Response, request
from flask_compress import Compress

from . import accounts, assets, db, errors, security, uploads
from .routes import api, auth, maps, pages
from .routes import boundaries as boundary_routes
from .routes import dossier as dossier_routes
from .routes import export as export_routes
from .routes import index as index_routes
from .routes import ogc as ogc_routes
from .routes import patch as patch_routes
from .settings import Settings


class _StaticGzipCache:
    """flask-compress cache that keeps the gzipped bytes of /static files only (they do
    not change while the server runs); API responses are compressed afresh."""

    def __init__(self) -> None:
        self._data: dict[str, bytes] = {}

    def get(self, key: str) -> bytes | None:
        return self._data.get(key)

    def set(self, key: str, value: bytes) -> None:
        if not key.endswith(";") and len(self._data) < 1024:
            self._data[key] = value


def _static_key(request: Request) -> str:
    return request.full_path if request.path.startswith("/static/") else ""


def _whole_static_file(response: Response) -> Response:
    """Hand /static files to flask-compress as whole bodies, not file streams: it
    compresses a stream afresh on every request (brotli or zstd, ~5 ms for leaflet.js) and
    caches only whole bodies, which it gzips once per process (_StaticGzipCache)."""
    if request.path.startswith("/static/") and response.status_code == 200 and response.is_streamed:
        response.direct_passthrough = False
        response.set_data(response.get_data())
    return response


def create_app(settings: Settings | None = None) -> Flask:
    """Build the app on the configured (or embedded) database, connected as the
    application role (row-level security applies to every query it makes)."""
    settings = settings or Settings.from_env()
    assets.require_assets()
    app = Flask(__name__, static_folder=str(assets.STATIC_DIR), static_url_path="/static")
    app.config.update(
        GEO_SETTINGS=settings,
        DISTRICT_NAME="拱墅区",
        JSON_AS_ASCII=False,
        MAX_CONTENT_LENGTH=uploads.Limits().max_file_bytes,  # larger bodies: 413
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    db.init_app(app, db.app_engine(db.app_url(settings)))
    errors.init_app(app)
    security.init_app(app, settings)
    app.before_request(security.refuse_nul)
    app.before_request(security.refuse_repeated)
    app.before_request(accounts.authenticate)
    app.before_request(security.csrf_hook)
    app.config.update(
        COMPRESS_MIMETYPES=[
            "text/html", "text/css", "text/javascript", "application/javascript", "application/json",
            "application/geo+json", "application/vnd.mapbox-vector-tile", "image/svg+xml", "text/csv",
        ],
        COMPRESS_ALGORITHM=["gzip"],
        COMPRESS_MIN_SIZE=1024,
        COMPRESS_CACHE_BACKEND=_StaticGzipCache,
        COMPRESS_CACHE_KEY=_static_key,
    )  # fmt: skip
    Compress(app)
    app.after_request(_whole_static_file)  # runs before flask-compress's (reverse order)
    app.register_blueprint(assets.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(ogc_routes.bp)
    app.register_blueprint(export_routes.bp)
    app.register_blueprint(maps.bp)
    app.register_blueprint(index_routes.bp)
    app.register_blueprint(boundary_routes.bp)
    app.register_blueprint(dossier_routes.bp)
    app.register_blueprint(patch_routes.bp)
    return app
