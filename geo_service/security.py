"""HTTP security: the session cookie, CSRF protection and response headers.

- The session cookie is HttpOnly, SameSite=Lax, and Secure whenever the request came over
  HTTPS (directly, or through a proxy that says so in X-Forwarded-Proto when
  ``GEO_SERVICE_PROXIES`` counts the trusted proxies in front of the service).
- Every state-changing request made with the session cookie must carry a CSRF token
  (flask-wtf: form field ``csrf_token`` or header ``X-CSRFToken``); requests
  authenticated by a bearer token carry no cookie and need none.
- Content-Security-Policy allows scripts, styles, images, fonts and connections from the
  server's own origin only (inline scripts need the per-response nonce, which the pages
  put on their own script tags); frame-ancestors 'none', nosniff, a strict referrer
  policy. A configured tile basemap adds its tile host to img-src, nothing else.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, Request, Response, g, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from .errors import BadParameter
from .settings import Settings

csrf = CSRFProtect()
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
BASEMAP_HOSTS = {
    "tianditu": ["https://*.tianditu.gov.cn"],
    "amap": ["https://*.is.autonavi.com"],
    "osm": ["https://tile.openstreetmap.org"],
}


def secret_key(settings: Settings) -> str:
    """``GEO_SERVICE_SECRET_KEY``, else a random key kept in the service's home (0600),
    created on first use so sessions survive a restart."""
    if key := os.environ.get("GEO_SERVICE_SECRET_KEY"):
        return key
    path = Path(settings.home) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


class _SessionInterface(SecureCookieSessionInterface):
    """Marks the cookie Secure when the request itself came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def nonce() -> str:
    """This response's CSP nonce (for the page's own inline scripts)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


_SCRIPT_TAG = re.compile(r"<script(?=[\s>])")


def add_nonce(html: str) -> str:
    """Put this response's nonce on every ``<script>`` tag of a generated page."""
    return _SCRIPT_TAG.sub(f'<script nonce="{nonce()}"', html)


def content_security_policy(settings: Settings, script_nonce: str | None) -> str:
    img = ["'self'", "data:", "blob:"]
    img += BASEMAP_HOSTS.get(settings.basemap, [])
    if settings.basemap == "custom" and settings.basemap_url:
        parts = urlsplit(settings.basemap_url.replace("{s}", "a"))
        if parts.scheme and parts.netloc:  # a relative URL is the server's own
            img.append(f"{parts.scheme}://{parts.netloc}")
    script = ["'self'"] + ([f"'nonce-{script_nonce}'"] if script_nonce else [])
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {' '.join(script)}",
            # Leaflet and folium set style attributes on the elements they create.
            "style-src 'self' 'unsafe-inline'",
            f"img-src {' '.join(img)}",
            "font-src 'self' data:",
            "connect-src 'self'",
            "worker-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def _headers(response: Response) -> Response:
    from flask import current_app

    settings = current_app.config["GEO_SETTINGS"]
    h = response.headers
    h.setdefault("Content-Security-Policy", content_security_policy(settings, g.get("csp_nonce")))
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("X-Frame-Options", "DENY")
    h.setdefault("Referrer-Policy", "same-origin")
    h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:
        h.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def refuse_nul() -> None:
    """``before_request`` hook: no parameter may contain a NUL character (PostgreSQL text
    cannot hold one; it is never a legitimate value)."""
    for source in (request.args, request.form):
        for name, values in source.lists():
            if "\x00" in name or any("\x00" in v for v in values):
                raise BadParameter(name.replace("\x00", ""), "contains a NUL character")


def refuse_repeated() -> None:
    """``before_request`` hook: a query parameter of the JSON API or the tiles takes one
    value; a repeated one (``kind=a&kind=b``) is a 400 rather than silently its first."""
    if not request.path.startswith(("/api/", "/tiles/")):
        return
    for name, values in request.args.lists():
        if len(values) > 1:
            raise BadParameter(name, "given more than once")


def csrf_hook() -> None:
    """``before_request`` hook, registered after authentication (it needs to know whether
    a bearer token was used): unsafe methods need the session's CSRF token."""
    if request.method in SAFE_METHODS:
        return
    principal = g.get("principal")
    if principal is not None and principal.token_id is not None:
        return  # a bearer token: no cookie was used, nothing to forge
    try:
        csrf.protect()
    except CSRFError as e:
        raise BadParameter("csrf_token", e.description, 400) from None


def init_app(app: Flask, settings: Settings) -> None:
    app.config.update(
        SECRET_KEY=secret_key(settings),
        SESSION_COOKIE_NAME="geo_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
    )
    app.session_interface = _SessionInterface()
    proxies = int(os.environ.get("GEO_SERVICE_PROXIES", "0") or 0)
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    csrf.init_app(app)
    app.after_request(_headers)


def client_ip(req: Request | None = None) -> str | None:
    return (req or request).remote_addr
