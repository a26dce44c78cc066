"""Errors the API reports as JSON: status, the parameter at fault and the reason.

Under ``/ogc`` and ``/export`` the body is an OGC API exception
(``{"code": ..., "description": ..., "parameter": ...}``), as GIS clients expect.
"""

from __future__ import annotations

from urllib.parse import quote

import sqlalchemy as sa
from flask import Flask, Response, jsonify, redirect, request
from werkzeug.exceptions import HTTPException

OGC_PREFIXES = ("/ogc", "/export")
OGC_CODES = {
    400: "InvalidParameterValue",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
}


class BadParameter(Exception):
    """A request parameter failed validation (reported as 400)."""

    def __init__(self, parameter: str, reason: str, status: int = 400) -> None:
        super().__init__(f"{parameter}: {reason}")
        self.parameter = parameter
        self.reason = reason
        self.status = status


class NotAuthenticated(Exception):
    """No valid credentials (reported as 401 with ``WWW-Authenticate: Bearer``)."""

    def __init__(self, reason: str, invalid_token: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.invalid_token = invalid_token


def ogc_exception(status: int, description: str, parameter: str | None = None) -> Response:
    """An OGC API exception document with ``status``."""
    body: dict[str, object] = {
        "code": OGC_CODES.get(status, "NoApplicableCode"),
        "description": description,
    }
    if parameter is not None:
        body["parameter"] = parameter
    resp = jsonify(body)
    resp.status_code = status
    return resp


def _ogc_path() -> bool:
    return any(request.path == p or request.path.startswith(p + "/") for p in OGC_PREFIXES)


def _wants_page() -> bool:
    """A browser asking for a page (not the API, tiles or GIS endpoints)."""
    if request.method != "GET" or _ogc_path():
        return False
    if request.path.startswith(("/api/", "/tiles/", "/static/")):
        return False
    return "text/html" in request.headers.get("Accept", "")


def init_app(app: Flask) -> None:
    @app.errorhandler(BadParameter)
    def _bad_parameter(e: BadParameter):  # noqa: ANN202
        if _ogc_path():
            return ogc_exception(e.status, f"{e.parameter}: {e.reason}", e.parameter)
        body = {"error": "invalid parameter", "parameter": e.parameter, "reason": e.reason}
        return jsonify(body), e.status

    @app.errorhandler(NotAuthenticated)
    def _not_authenticated(e: NotAuthenticated):  # noqa: ANN202
        if _wants_page():
            return redirect("/login?next=" + quote(request.full_path.rstrip("?"), safe="/"))
        resp = ogc_exception(401, e.reason)
        challenge = 'Bearer realm="geo-service"'
        if e.invalid_token:
            challenge += ', error="invalid_token"'
        resp.headers["WWW-Authenticate"] = challenge
        return resp

    @app.errorhandler(sa.exc.OperationalError)
    @app.errorhandler(sa.exc.InterfaceError)
    def _database_down(e: Exception):  # noqa: ANN202
        # The database cannot be reached (restarting, network): fail fast, retry later.
        app.logger.warning("database unavailable: %s", type(e).__name__)
        resp = jsonify({"error": "service unavailable", "reason": "the database is unavailable"})
        resp.status_code = 503
        resp.headers["Retry-After"] = "5"
        return resp

    @app.errorhandler(413)
    def _too_large(e: HTTPException):  # noqa: ANN202
        limit = app.config.get("MAX_CONTENT_LENGTH")
        reason = f"the request body is larger than the limit of {limit:,} bytes"
        body = {"error": "request entity too large", "parameter": "file", "reason": reason}
        return jsonify(body), 413

    @app.errorhandler(HTTPException)
    def _http(e: HTTPException):  # noqa: ANN202
        if _ogc_path():
            return ogc_exception(e.code or 500, e.description or e.name)
        if request.path.startswith(("/api/", "/tiles/")):  # tiles are API too (_wants_page)
            return jsonify({"error": e.name.lower(), "reason": e.description}), e.code
        return e
