"""Errors the API reports as JSON: status, the parameter at fault and the reason."""

from __future__ import annotations

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException


class BadParameter(Exception):
    """A request parameter failed validation (reported as 400)."""

    def __init__(self, parameter: str, reason: str, status: int = 400) -> None:
        super().__init__(f"{parameter}: {reason}")
        self.parameter = parameter
        self.reason = reason
        self.status = status


def init_app(app: Flask) -> None:
    @app.errorhandler(BadParameter)
    def _bad_parameter(e: BadParameter):  # noqa: ANN202
        body = {"error": "invalid parameter", "parameter": e.parameter, "reason": e.reason}
        return jsonify(body), e.status

    @app.errorhandler(HTTPException)
    def _http(e: HTTPException):  # noqa: ANN202
        if request.path.startswith("/api/"):
            return jsonify({"error": e.name.lower(), "reason": e.description}), e.code
        return e
