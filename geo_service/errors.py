"""Errors the API reports as JSON: status, the parameter at fault and the reason.

Under ``/ogc`` and ``/export`` the body is an OGC API exception
(``{"code": ..., "description": ..., "parameter": ...}``), as GIS clients expect.
"""

from __future__ import annotations

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

OGC_PREFIXES = ("/ogc", "/export")
OGC_CODES = {
    400: "InvalidParameterValue",
    401: "Unauthorized",
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


def init_app(app: Flask) -> None:
    @app.errorhandler(BadParameter)
    def _bad_parameter(e: BadParameter):  # noqa: ANN202
        if _ogc_path():
            return ogc_exception(e.status, f"{e.parameter}: {e.reason}", e.parameter)
        body = {"error": "invalid parameter", "parameter": e.parameter, "reason": e.reason}
        return jsonify(body), e.status

    @app.errorhandler(NotAuthenticated)
    def _not_authenticated(e: NotAuthenticated):  # noqa: ANN202
        resp = ogc_exception(401, e.reason)
        challenge = 'Bearer realm="geo-service"'
        if e.invalid_token:
            challenge += ', error="invalid_token"'
        resp.headers["WWW-Authenticate"] = challenge
        return resp

    @app.errorhandler(HTTPException)
    def _http(e: HTTPException):  # noqa: ANN202
        if _ogc_path():
            return ogc_exception(e.code or 500, e.description or e.name)
        if request.path.startswith("/api/"):
            return jsonify({"error": e.name.lower(), "reason": e.description}), e.code
        return e
