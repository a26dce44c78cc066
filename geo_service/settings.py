"""Typed settings read from the environment (one place, read once per process)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DB_NAME = "geo_service"
BASEMAPS = ("none", "tianditu", "amap", "osm", "custom")


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
    basemap: str = "none"  # none | tianditu | amap | osm | custom
    tianditu_key: str | None = None
    basemap_url: str | None = None  # tile URL template for basemap=custom
    basemap_crs: str = "wgs84"  # wgs84 | gcj02: the custom basemap's datum

    @property
    def embedded(self) -> bool:
        return self.database_url is None

    @property
    def gcj02(self) -> bool:
        """Whether the basemap is in GCJ-02 (Amap), so overlays must be shifted onto it."""
        return self.basemap == "amap" or (self.basemap == "custom" and self.basemap_crs == "gcj02")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        home = env.get("GEO_SERVICE_HOME")
        port = env.get("GEO_SERVICE_PORT", "5000")
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"GEO_SERVICE_PORT must be a TCP port number, got {port!r}")
        basemap = env.get("GEO_SERVICE_BASEMAP", "none")
        if basemap not in BASEMAPS:
            raise ValueError(
                f"GEO_SERVICE_BASEMAP must be one of {', '.join(BASEMAPS)}, got {basemap!r}"
            )
        if basemap == "tianditu" and not env.get("GEO_SERVICE_TIANDITU_KEY"):
            raise ValueError(
                "GEO_SERVICE_BASEMAP=tianditu needs GEO_SERVICE_TIANDITU_KEY (a 天地图 key)"
            )
        if basemap == "custom" and not env.get("GEO_SERVICE_BASEMAP_URL"):
            raise ValueError(
                "GEO_SERVICE_BASEMAP=custom needs GEO_SERVICE_BASEMAP_URL (a {z}/{x}/{y} template)"
            )
        basemap_crs = env.get("GEO_SERVICE_BASEMAP_CRS", "wgs84")
        if basemap_crs not in ("wgs84", "gcj02"):
            raise ValueError(f"GEO_SERVICE_BASEMAP_CRS must be wgs84 or gcj02, got {basemap_crs!r}")
        return cls(
            basemap=basemap,
            tianditu_key=env.get("GEO_SERVICE_TIANDITU_KEY") or None,
            basemap_url=env.get("GEO_SERVICE_BASEMAP_URL") or None,
            basemap_crs=basemap_crs,
            database_url=env.get("DATABASE_URL") or None,
            home=Path(home).resolve() if home else PROJECT_DIR / "var",
            host=env.get("GEO_SERVICE_HOST", "127.0.0.1"),
            port=int(port),
        )
