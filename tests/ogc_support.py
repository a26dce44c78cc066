"""Fixtures and helpers shared by the OGC API, export, account and GDAL tests.

Import the fixtures into a test module (``from .ogc_support import planner_token``);
accounts get unique names, so modules never collide.
"""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from geo_service import accounts

PERSONAL = {"name", "phone", "id_number"}


def make_token(
    engine: sa.Engine, role: str = "planner", kind: str = "district", codes: tuple = ()
) -> str:
    """A fresh account with this role and area, and a token for it."""
    username = f"{role[:8]}-{uuid.uuid4().hex[:8]}"
    with engine.begin() as conn:
        accounts.add_account(conn, username, role, kind, codes)
        return accounts.create_token(conn, username, days=1)[1]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="session")
def planner_token(demo_engine: sa.Engine) -> str:
    return make_token(demo_engine)


@pytest.fixture(scope="session")
def planner(planner_token: str) -> dict[str, str]:
    """Headers of a district-wide planner."""
    return bearer(planner_token)
