"""Accounts, passwords, login sessions, API tokens and the area scope they carry.

An account has a role and an area: the whole district, some streets, some communities or
a set of compounds. People log in with a password (argon2id hashes) and get a session;
GIS clients cannot fill in a login form, so they send a per-user API token
(``Authorization: Bearer gst_…``). Only SHA-256 digests of session ids and tokens are
stored. Repeated failed logins lock the username (and a client address) for a while.

``resolve_request`` is the one place a request becomes a ``Principal``; the area scope it
carries, expanded to streets, communities and compounds by ``geo_scope_expand``, is set on
every transaction of the request (``geo_service.rls``) and enforced by PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, g, request, session

from . import enums, rls
from .errors import NotAuthenticated
from .models import Account, ApiToken, LoginAttempt, LoginSession

TOKEN_PREFIX = "gst_"
SESSION_HOURS = 12  # a session ends this long after login
SESSION_IDLE_MINUTES = 120  # or after this long without a request
LOCK_FAILURES = 5  # failed logins of one username within LOCK_MINUTES lock it
LOCK_FAILURES_PER_ADDRESS = 20  # failed logins from one client address lock that address
LOCK_MINUTES = 15
MIN_PASSWORD = 10

_account = Account.__table__
_token = ApiToken.__table__
_session = LoginSession.__table__
_attempt = LoginAttempt.__table__
_hasher = PasswordHasher()
# Verified against when the username does not exist, so both cases take as long.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


class AccountError(ValueError):
    """An account or token operation was refused; the message says why."""


@dataclass(frozen=True)
class Scope:
    """The area an account may see: ``kind`` district/street/community/compounds and the
    street codes, community codes or compound ids (as text) of that kind; ``streets``,
    ``communities`` and ``compounds`` are its expansion (see ``expand``)."""

    kind: str = "district"
    codes: tuple[str, ...] = ()
    district_code: str = "330105"
    streets: tuple[str, ...] = ()
    communities: tuple[str, ...] = ()
    compounds: tuple[int, ...] = ()

    def describe(self) -> str:
        if self.kind == "district":
            return f"district {self.district_code}"
        return f"{self.kind} {','.join(self.codes)}"

    def settings(self) -> dict[str, str]:
        """The ``geo.*`` settings the row-level security policies read."""
        return rls.scope_settings(
            self.district_code, self.kind, self.streets, self.communities, self.compounds
        )

    def key(self) -> tuple:
        """Identifies what this scope can see (for caches of scoped results)."""
        return (self.district_code, self.kind, self.compounds, self.communities, self.streets)


def expand(conn: sa.Connection, kind: str, codes: Sequence[str], district_code: str) -> Scope:
    """The scope of an area with its streets, communities and compounds filled in."""
    if kind == "district":
        return Scope("district", (), district_code)
    row = conn.execute(
        sa.text("SELECT * FROM geo_scope_expand(:k, CAST(:c AS text[]), :d)"),
        {"k": kind, "c": list(codes), "d": district_code},
    ).one()
    return Scope(
        kind, tuple(codes), district_code,
        tuple(sorted(row.streets)), tuple(sorted(row.communities)), tuple(row.compounds),
    )  # fmt: skip


@dataclass(frozen=True)
class Principal:
    """Who is asking: the account, its role and its area scope."""

    account_id: int
    username: str
    role: str
    scope: Scope
    token_id: int | None = None

    @property
    def sees_personal_data(self) -> bool:
        """Whether names, phones and ID numbers reach this principal unmasked: only a
        commissioner, for their own compounds (the only ones their scope shows)."""
        return self.role == "commissioner" and self.scope.kind == "compounds"

    @property
    def receives_personal_fields(self) -> bool:
        """Planners never receive personal fields, not even masked."""
        return self.role != "planner"


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
            sa.func.coalesce(
                _token.c.last_used_at < sa.func.now() - sa.text("interval '1 minute'"), True
            ).label("stale"),
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
    if row.stale:  # one statement per request, not two, for a token in use
        conn.execute(
            sa.update(_token).where(_token.c.id == row.token_id).values(last_used_at=sa.func.now())
        )
    scope = expand(conn, row.area_kind, tuple(row.area_codes or ()), row.district_code)
    return Principal(row.id, row.username, row.role, scope, row.token_id)


# -- passwords and sessions ----------------------------------------------------------------
class LoginRefused(Exception):
    """A login failed; ``locked`` says whether it was refused because of a lockout."""

    def __init__(self, message: str, locked: bool = False) -> None:
        super().__init__(message)
        self.locked = locked


def set_password(conn: sa.Connection, username: str, password: str) -> None:
    """Store an argon2id hash of ``password`` for the user (the owner's connection)."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password needs at least {MIN_PASSWORD} characters")
    n = conn.execute(
        sa.update(_account)
        .where(_account.c.username == username)
        .values(password_hash=_hasher.hash(password))
    ).rowcount
    if n != 1:
        raise AccountError(f"no user {username!r}")


def set_disabled(conn: sa.Connection, username: str, disabled: bool = True) -> None:
    """Disable (or enable) an account; a disabled account's sessions and tokens stop
    working at once."""
    n = conn.execute(
        sa.update(_account).where(_account.c.username == username).values(disabled=disabled)
    ).rowcount
    if n != 1:
        raise AccountError(f"no user {username!r}")
    if disabled:
        conn.execute(
            sa.update(_session)
            .where(_session.c.account_id.in_(
                sa.select(_account.c.id).where(_account.c.username == username)),
                _session.c.ended_at.is_(None))
            .values(ended_at=sa.func.now())
        )  # fmt: skip


def set_role(
    conn: sa.Connection, username: str, role: str, area_kind: str, codes: Sequence[str] = ()
) -> None:
    """Give an account a new role and area; its open sessions end (they carried the old
    scope)."""
    if role not in enums.ACCOUNT_ROLE:
        raise AccountError(f"unknown role {role!r}; one of {', '.join(enums.ACCOUNT_ROLE)}")
    if area_kind not in enums.AREA_KIND:
        raise AccountError(f"unknown area kind {area_kind!r}")
    acc = conn.execute(
        sa.select(_account.c.id, _account.c.district_code).where(_account.c.username == username)
    ).first()
    if acc is None:
        raise AccountError(f"no user {username!r}")
    area = _resolve_area(conn, area_kind, codes, acc.district_code)
    conn.execute(
        sa.update(_account)
        .where(_account.c.id == acc.id)
        .values(role=role, area_kind=area_kind, area_codes=area)
    )
    conn.execute(
        sa.update(_session)
        .where(_session.c.account_id == acc.id, _session.c.ended_at.is_(None))
        .values(ended_at=sa.func.now())
    )


def _failures_since(conn: sa.Connection, column: sa.Column, value: str) -> int:
    """Failed logins for ``value`` in the last LOCK_MINUTES, since its last success."""
    last_ok = (
        sa.select(sa.func.max(_attempt.c.at))
        .where(column == value, _attempt.c.ok.is_(True))
        .scalar_subquery()
    )
    return conn.execute(
        sa.select(sa.func.count()).where(
            column == value,
            _attempt.c.ok.is_(False),
            _attempt.c.at > sa.func.now() - sa.text(f"interval '{LOCK_MINUTES} minutes'"),
            _attempt.c.at > sa.func.coalesce(last_ok, sa.text("'-infinity'::timestamptz")),
        )
    ).scalar_one()


def login(
    engine: sa.Engine, username: str, password: str, client_ip: str | None,
    district_code: str = "330105",
) -> tuple[Principal, str]:  # fmt: skip
    """Check a password and open a session: (principal, session id for the cookie).

    Raises ``LoginRefused`` for a wrong username or password (the same message for both),
    a disabled account, or a lockout after repeated failures. Every attempt is recorded,
    failed ones too (in their own transaction)."""
    username = username.strip()[:64]
    with engine.begin() as conn:
        locked = _failures_since(conn, _attempt.c.username, username) >= LOCK_FAILURES or bool(
            client_ip
            and _failures_since(conn, _attempt.c.client_ip, client_ip) >= LOCK_FAILURES_PER_ADDRESS
        )
        if locked:
            raise LoginRefused(
                f"too many failed logins: try again in {LOCK_MINUTES} minutes", locked=True
            )
        acc = conn.execute(sa.select(_account).where(_account.c.username == username)).first()
        stored = acc.password_hash if acc is not None and acc.password_hash else _DUMMY_HASH
        try:
            ok = _hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            ok = False
        ok = ok and acc is not None and acc.password_hash is not None and not acc.disabled
        conn.execute(
            sa.insert(_attempt).values(
                district_code=acc.district_code if acc is not None else district_code,
                username=username, client_ip=client_ip, ok=ok,
            )
        )  # fmt: skip
        if ok:
            sid = secrets.token_urlsafe(32)
            conn.execute(
                sa.insert(_session).values(
                    district_code=acc.district_code,
                    account_id=acc.id,
                    session_hash=hash_token(sid),
                    expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=SESSION_HOURS),
                    client_ip=client_ip,
                )
            )
            scope = expand(conn, acc.area_kind, tuple(acc.area_codes or ()), acc.district_code)
    if not ok:
        raise LoginRefused("wrong username or password")
    return Principal(acc.id, acc.username, acc.role, scope), sid


def principal_for_session(conn: sa.Connection, sid: str) -> Principal | None:
    """The account of a live session (not ended, expired, idle too long or disabled);
    marks it seen (at most once a minute)."""
    if not sid or len(sid) > 100:
        return None
    row = conn.execute(
        sa.select(
            _session.c.id.label("session_id"),
            _account.c.id, _account.c.username, _account.c.role,
            _account.c.area_kind, _account.c.area_codes, _account.c.district_code,
            (_session.c.last_seen_at < sa.func.now() - sa.text("interval '1 minute'")).label("stale"),
        )
        .join(_account, _account.c.id == _session.c.account_id)
        .where(
            _session.c.session_hash == hash_token(sid),
            _session.c.ended_at.is_(None),
            _session.c.expires_at > sa.func.now(),
            _session.c.last_seen_at
            > sa.func.now() - sa.text(f"interval '{SESSION_IDLE_MINUTES} minutes'"),
            _account.c.disabled.is_(False),
        )
    ).first()  # fmt: skip
    if row is None:
        return None
    if row.stale:  # one statement per request, not two, for a session in use
        conn.execute(
            sa.update(_session)
            .where(_session.c.id == row.session_id)
            .values(last_seen_at=sa.func.now())
        )
    scope = expand(conn, row.area_kind, tuple(row.area_codes or ()), row.district_code)
    return Principal(row.id, row.username, row.role, scope)


def end_session(conn: sa.Connection, sid: str) -> None:
    conn.execute(
        sa.update(_session)
        .where(_session.c.session_hash == hash_token(sid), _session.c.ended_at.is_(None))
        .values(ended_at=sa.func.now())
    )


def may_export(principal: Principal, layer: object) -> bool:
    """Whether the principal may export ``layer`` (public fields, within its area).

    Every role may, for now: exports carry public fields only and are scoped to the
    account's area. Issue 7 can narrow this per role.
    """
    return principal.role in enums.ACCOUNT_ROLE


# -- demo accounts ---------------------------------------------------------------------------
DEMO_PASSWORD = "gongshu-demo-2026"


def demo_accounts(conn: sa.Connection, district_code: str = "330105") -> list[dict]:
    """One account per role for the demo district (password ``DEMO_PASSWORD``), created
    if missing and pointed at current areas (a reload renumbers compounds): the street,
    community and compounds of the first commissioner. Returns username, role, area."""
    first = conn.execute(
        sa.text(
            """SELECT c.street_code, c.community_code,
                      array_agg(c.id::text ORDER BY c.id) AS compounds
               FROM compound c WHERE c.district_code = :d AND c.commissioner_id = (
                   SELECT min(commissioner_id) FROM compound WHERE district_code = :d)
               GROUP BY c.street_code, c.community_code ORDER BY 1, 2 LIMIT 1"""
        ),
        {"d": district_code},
    ).first()
    if first is None:
        return []
    plan = [
        ("demo-leader", "district_leader", "district", ()),
        ("demo-street", "street_official", "street", (first.street_code,)),
        ("demo-community", "community_official", "community", (first.community_code,)),
        ("demo-commissioner", "commissioner", "compounds", tuple(first.compounds)),
        ("demo-planner", "planner", "district", ()),
        ("demo-admin", "admin", "district", ()),
    ]
    out = []
    for username, role, kind, codes in plan:
        exists = conn.execute(
            sa.select(_account.c.id).where(_account.c.username == username)
        ).first()
        if exists:
            set_role(conn, username, role, kind, codes)
        else:
            add_account(conn, username, role, kind, codes, district_code)
            set_password(conn, username, DEMO_PASSWORD)
        out.append(
            {"username": username, "role": role, "area": f"{kind} {','.join(codes)}".strip()}
        )
    return out


# -- requests -----------------------------------------------------------------------------
SESSION_KEY = "sid"


def resolve_request() -> Principal | None:
    """The principal of the current request: a valid bearer token, else a live session."""
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.partition(" ")
    engine = current_app.extensions["geo_engine"]
    # Autocommit: a lookup and, at most once a minute, one UPDATE -- no BEGIN/COMMIT round
    # trips on every request.
    if scheme.lower() == "bearer" and credentials.strip():
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            return principal_for_token(conn, credentials.strip())
    sid = session.get(SESSION_KEY)
    if isinstance(sid, str):
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            return principal_for_session(conn, sid)
    return None


def authenticate() -> None:
    """``before_request`` hook: put the caller on ``g.principal`` and its scope on
    ``g.db_scope`` (which ``db.get_db`` sets on the request's transactions); answer 401
    if there is none. Endpoints in ``PUBLIC_ENDPOINTS`` need no login."""
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
        return
    principal = resolve_request()
    if principal is None:
        given = bool(request.headers.get("Authorization"))
        raise NotAuthenticated(
            "login required, or an API token (Authorization: Bearer <token>; "
            "create one with: geo-service users token create USERNAME)",
            invalid_token=given,
        )
    g.principal = principal
    g.db_scope = principal.scope.settings()


PUBLIC_ENDPOINTS = {
    "static",
    "assets.vendor_file",
    "assets.bundle_file",
    "auth.login",
    "auth.login_form",
    "api.health",
}


def current_principal() -> Principal:
    """The principal ``authenticate`` resolved for this request."""
    return g.principal
