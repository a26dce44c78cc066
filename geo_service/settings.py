"""Typed settings read from the environment (one place, read once per process)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DB_NAME = "geo_service"


@dataclass(frozen=True)
class Settings:
    """Service settings.

    ``database_url`` is an existing PostgreSQL/PostGIS server; when it is ``None`` the
    service uses its embedded cluster in ``home`` (``$GEO_SERVICE_HOME`` or ``var/``).
    """

    database_url: str | None = None
    home: Path = field(default_factory=lambda: PROJECT_DIR / "var")
    db_name: str = DEFAULT_DB_NAME
    host: str = "127.0.0.1"
    port: int = 5000
    district_code: str = "330105"

    @property
    def embedded(self) -> bool:
        return self.database_url is None

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        home = env.get("GEO_SERVICE_HOME")
        port = env.get("GEO_SERVICE_PORT", "5000")
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"GEO_SERVICE_PORT must be a TCP port number, got {port!r}")
        return cls(
            database_url=env.get("DATABASE_URL") or None,
            home=Path(home).resolve() if home else PROJECT_DIR / "var",
            host=env.get("GEO_SERVICE_HOST", "127.0.0.1"),
            port=int(port),
        )
