"""The audit trail: unmasked personal-data reads, exports and security events.

Rows go into ``audit_log`` in their own short transaction (so a failing request still
leaves its record); the table is append-only (see migration 0006). Details never carry
personal data: who asked, what (a path or layer), how many rows, the outcome.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import current_app, g, has_request_context, request

from .models import AuditLog

_audit = AuditLog.__table__


def record(
    action: str,
    target: str,
    rows: int | None = None,
    outcome: str = "ok",
    detail: str | None = None,
    username: str | None = None,
) -> None:
    """Append one row for the current request's principal (or ``username`` when there is
    none yet, e.g. a failed login)."""
    principal = g.get("principal") if has_request_context() else None
    values = {
        "district_code": principal.scope.district_code if principal else "330105",
        "account_id": principal.account_id if principal else None,
        "username": principal.username if principal else (username or "")[:64] or None,
        "role": principal.role if principal else None,
        "action": action,
        "target": target[:500],
        "rows": rows,
        "outcome": outcome,
        "client_ip": request.remote_addr if has_request_context() else None,
        "detail": detail,
    }
    with current_app.extensions["geo_engine"].begin() as conn:
        conn.execute(sa.insert(_audit).values(**values))


def entries(
    conn: sa.Connection,
    since: dt.datetime | None = None,
    username: str | None = None,
    action: str | None = None,
    limit: int = 100,
) -> list[dict]:
    """The newest ``limit`` entries, newest first, optionally filtered."""
    q = sa.select(_audit).order_by(_audit.c.id.desc()).limit(limit)
    if since is not None:
        q = q.where(_audit.c.at >= since)
    if username:
        q = q.where(_audit.c.username == username)
    if action:
        q = q.where(_audit.c.action == action)
    return [dict(r._mapping) for r in conn.execute(q)]
