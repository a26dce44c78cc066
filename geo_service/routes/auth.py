"""Login and logout (a form for people; GIS clients use API tokens instead)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, g, redirect, render_template, request, session

from .. import accounts, audit
from ..errors import BadParameter
from ..security import client_ip

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only local paths: an open redirect would make the login page a phishing tool."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@bp.get("/login")
def login_form() -> str:
    return render_template("login.html", next=_safe_next(request.args.get("next")), error=None)


@bp.post("/login")
def login() -> Response | tuple[str, int]:
    username = request.form.get("username", "")
    password = request.form.get("password", "")
    target = _safe_next(request.form.get("next"))
    if not username.strip():
        raise BadParameter("username", "required")
    if not password:
        raise BadParameter("password", "required")
    engine = current_app.extensions["geo_engine"]
    try:
        principal, sid = accounts.login(engine, username, password, client_ip())
    except accounts.LoginRefused as e:
        audit.record("login", "/login", outcome="locked" if e.locked else "failed",
                     username=username.strip())  # fmt: skip
        message = "登录失败次数过多，请 15 分钟后再试" if e.locked else "用户名或密码错误"
        status = 429 if e.locked else 401
        return render_template("login.html", next=target, error=message), status
    session.clear()  # a new session id: no fixation
    session[accounts.SESSION_KEY] = sid
    session.permanent = False
    g.principal = principal
    audit.record("login", "/login")
    if target == "/" and principal.role in (
        "commissioner",
        "community_official",
        "street_official",
    ):
        target = "/patch"  # their own work page first; the map is one click away
    return redirect(target, code=303)


@bp.post("/logout")
def logout() -> Response:
    sid = session.get(accounts.SESSION_KEY)
    if isinstance(sid, str):
        with current_app.extensions["geo_engine"].begin() as conn:
            accounts.end_session(conn, sid)
        audit.record("logout", "/logout")
    session.clear()
    return redirect("/login", code=303)
