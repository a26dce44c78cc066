"""Accounts, their area scope and API tokens (the minimum the OGC API and exports need).

An account has a role and an area: the whole district, some streets, some communities or
a set of compounds. GIS clients cannot fill in a login form, so they send a per-user API
token (``Authorization: Bearer gst_…``); only the SHA-256 of the token is stored.

Issue 7 extends this module (sessions, passwords, row-level security, masking, audit):
``resolve_request`` is the one place a request becomes a ``Principal``, and the area scope
it carries is applied in SQL by ``feature_queries``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app, g, request

from . import enums
from .errors import NotAuthenticated
from .models import Account, ApiToken

TOKEN_PREFIX = "gst_"

_account = Account.__table__
_token = ApiToken.__table__


class AccountError(ValueError):
    """An account or token operation was refused; the message says why."""


@dataclass(frozen=True)
class Scope:
    """The area an account may see: ``kind`` district/street/community/compounds and the
    street codes, community codes or compound ids (as text) of that kind."""

    kind: str = "district"
    codes: tuple[str, ...] = ()
    district_code: str = "330105"

    def describe(self) -> str:
        if self.kind == "district":
            return f"district {self.district_code}"
        return f"{self.kind} {','.join(self.codes)}"


@dataclass(frozen=True)
class Principal:
    """Who is asking: the account, its role and its area scope."""

    account_id: int
    username: str
    role: str
    scope: Scope
    token_id: int | None = None


def hash_token(token: str) -> str:
    """SHA-256 (hex) of a token: what the database stores and looks tokens up by."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    """A fresh token: a prefix and 32 random bytes, URL-safe base64."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def _resolve_area(
    conn: sa.Connection, kind: str, codes: Sequence[str], district_code: str
) -> list[str]:
    """Check that the area exists; compounds may be given by id or 15-digit code."""
    if kind == "district":
        if codes:
            raise AccountError("a district-wide account takes no area codes")
        return []
    if not codes:
        raise AccountError(f"a {kind} account needs at least one {kind}")
    table, column = {
        "street": ("street", "street_code"),
        "community": ("community", "community_code"),
    }.get(kind, ("compound", "id"))
    out: list[str] = []
    for code in codes:
        if kind == "compounds":
            col = "code" if len(code) == 15 else "id"
            if not code.isdigit():
                raise AccountError(f"compound {code!r}: give a compound id or its 15-digit code")
            value: object = code if col == "code" else int(code)
            found = conn.execute(
                sa.text(f"SELECT id FROM compound WHERE {col} = :v AND district_code = :d"),
                {"v": value, "d": district_code},
            ).scalar()
        else:
            found = conn.execute(
                sa.text(f"SELECT {column} FROM {table} WHERE {column} = :v AND district_code = :d"),
                {"v": code, "d": district_code},
            ).scalar()
        if found is None:
            raise AccountError(f"no {kind.rstrip('s')} {code!r} in district {district_code}")
        if str(found) not in out:
            out.append(str(found))
    return out


def add_account(
    conn: sa.Connection,
    username: str,
    role: str,
    area_kind: str = "district",
    codes: Sequence[str] = (),
    district_code: str = "330105",
) -> int:
    """Create an account and return its id."""
    if role not in enums.ACCOUNT_ROLE:
        raise AccountError(f"unknown role {role!r}; one of {', '.join(enums.ACCOUNT_ROLE)}")
    if area_kind not in enums.AREA_KIND:
        raise AccountError(f"unknown area kind {area_kind!r}")
    area = _resolve_area(conn, area_kind, codes, district_code)
    exists = conn.execute(sa.select(_account.c.id).where(_account.c.username == username)).first()
    if exists:
        raise AccountError(f"user {username!r} already exists")
    try:
        with conn.begin_nested():
            return conn.execute(
                sa.insert(_account)
                .values(
                    district_code=district_code,
                    username=username,
                    role=role,
                    area_kind=area_kind,
                    area_codes=area,
                )
                .returning(_account.c.id)
            ).scalar_one()
    except sa.exc.IntegrityError as e:
        raise AccountError(f"user {username!r} refused: {e.orig}") from None


def list_accounts(conn: sa.Connection) -> list[dict]:
    """Every account with its area and the number of usable tokens."""
    active = (
        sa.select(sa.func.count())
        .where(
            _token.c.account_id == _account.c.id,
            _token.c.revoked_at.is_(None),
            sa.or_(_token.c.expires_at.is_(None), _token.c.expires_at > sa.func.now()),
        )
        .scalar_subquery()
    )
    rows = conn.execute(
        sa.select(
            _account.c.id,
            _account.c.username,
            _account.c.role,
            _account.c.area_kind,
            _account.c.area_codes,
            _account.c.disabled,
            _account.c.created_at,
            active.label("active_tokens"),
        ).order_by(_account.c.id)
    )
    return [dict(r._mapping) for r in rows]


def create_token(
    conn: sa.Connection, username: str, days: int | None = 90, label: str | None = None
) -> tuple[int, str, dt.datetime | None]:
    """Issue a token for ``username``: (token id, the token itself, expiry).

    The token is returned once and never stored; ``days=None`` means it does not expire.
    """
    acc = conn.execute(
        sa.select(_account.c.id, _account.c.district_code, _account.c.disabled).where(
            _account.c.username == username
        )
    ).first()
    if acc is None:
        raise AccountError(f"no user {username!r}")
    if acc.disabled:
        raise AccountError(f"user {username!r} is disabled")
    token = new_token()
    expires = None
    if days is not None:
        expires = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=days)
    token_id = conn.execute(
        sa.insert(_token)
        .values(
            district_code=acc.district_code,
            account_id=acc.id,
            token_hash=hash_token(token),
            label=label,
            expires_at=expires,
        )
        .returning(_token.c.id)
    ).scalar_one()
    return token_id, token, expires


def revoke_token(conn: sa.Connection, token_id: int) -> bool:
    """Revoke a token; False if there is no such token or it was already revoked."""
    n = conn.execute(
        sa.update(_token)
        .where(_token.c.id == token_id, _token.c.revoked_at.is_(None))
        .values(revoked_at=sa.func.now())
    ).rowcount
    return n == 1


def list_tokens(conn: sa.Connection, username: str | None = None) -> list[dict]:
    """Tokens (never their secrets) with owner, label and dates."""
    q = (
        sa.select(
            _token.c.id,
            _account.c.username,
            _token.c.label,
            _token.c.created_at,
            _token.c.expires_at,
            _token.c.revoked_at,
            _token.c.last_used_at,
        )
        .join(_account, _account.c.id == _token.c.account_id)
        .order_by(_token.c.id)
    )
    if username:
        q = q.where(_account.c.username == username)
    return [dict(r._mapping) for r in conn.execute(q)]


def principal_for_token(conn: sa.Connection, token: str) -> Principal | None:
    """The account a token belongs to, or None if it is unknown, expired, revoked or its
    account is disabled. Marks the token used (at most once a minute)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = conn.execute(
        sa.select(
            _token.c.id.label("token_id"),
            _account.c.id,
            _account.c.username,
            _account.c.role,
            _account.c.area_kind,
            _account.c.area_codes,
            _account.c.district_code,
        )
        .join(_account, _account.c.id == _token.c.account_id)
        .where(
            _token.c.token_hash == hash_token(token),
            _token.c.revoked_at.is_(None),
            sa.or_(_token.c.expires_at.is_(None), _token.c.expires_at > sa.func.now()),
            _account.c.disabled.is_(False),
        )
    ).first()
    if row is None:
        return None
    conn.execute(
        sa.update(_token)
        .where(
            _token.c.id == row.token_id,
            sa.or_(
                _token.c.last_used_at.is_(None),
                _token.c.last_used_at < sa.func.now() - sa.text("interval '1 minute'"),
            ),
        )
        .values(last_used_at=sa.func.now())
    )
    scope = Scope(row.area_kind, tuple(row.area_codes or ()), row.district_code)
    return Principal(row.id, row.username, row.role, scope, row.token_id)


def may_export(principal: Principal, layer: object) -> bool:
    """Whether the principal may export ``layer`` (public fields, within its area).

    Every role may, for now: exports carry public fields only and are scoped to the
    account's area. Issue 7 can narrow this per role.
    """
    return principal.role in enums.ACCOUNT_ROLE


# -- requests -----------------------------------------------------------------------------
def resolve_request() -> Principal | None:
    """The principal of the current request: a valid bearer token (sessions: issue 7)."""
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return None
    with current_app.extensions["geo_engine"].begin() as conn:
        return principal_for_token(conn, credentials.strip())


def require_principal() -> None:
    """``before_request`` hook: put the caller on ``g.principal`` or answer 401."""
    principal = resolve_request()
    if principal is None:
        given = bool(request.headers.get("Authorization"))
        raise NotAuthenticated(
            "a valid API token is required (Authorization: Bearer <token>; "
            "create one with: geo-service users token create USERNAME)",
            invalid_token=given,
        )
    g.principal = principal


def current_principal() -> Principal:
    """The principal ``require_principal`` resolved for this request."""
    return g.principal
