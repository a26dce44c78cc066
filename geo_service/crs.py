"""The coordinate reference systems the OGC API and the exports offer.

Geometry is stored in EPSG:4326. CGCS2000 (EPSG:4490) is treated as equal to WGS 84 at
the precision of these data (their difference is a few centimetres), so it is accepted
and reported but not transformed. EPSG:3857 is computed by PostGIS (``ST_Transform``).

Axis order: CRS84 is longitude, latitude. EPSG:4326 and EPSG:4490 are latitude, longitude
as their EPSG definitions say; OGC API Features Part 2 requires that order for ``crs``
output coordinates and for ``bbox-crs``/``filter-crs`` input. File exports (GeoPackage,
CSV, GeoJSON files) keep the traditional GIS order (x = longitude) that those formats use.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Crs:
    uri: str
    srid: int  # the EPSG code the coordinates are in
    latlon: bool  # authority axis order is latitude first
    precision: int  # decimal places written
    title: str

    @property
    def projected(self) -> bool:
        return self.srid == 3857


CRS84 = Crs("http://www.opengis.net/def/crs/OGC/1.3/CRS84", 4326, False, 7, "WGS 84 (lon/lat)")
EPSG4326 = Crs("http://www.opengis.net/def/crs/EPSG/0/4326", 4326, True, 7, "WGS 84 (lat/lon)")
EPSG4490 = Crs("http://www.opengis.net/def/crs/EPSG/0/4490", 4490, True, 7, "CGCS2000 (lat/lon)")
EPSG3857 = Crs("http://www.opengis.net/def/crs/EPSG/0/3857", 3857, False, 2, "Web Mercator")
SUPPORTED: tuple[Crs, ...] = (CRS84, EPSG4326, EPSG4490, EPSG3857)
STORAGE = CRS84

_ALIASES: dict[str, Crs] = {}
for _c in SUPPORTED:
    _ALIASES[_c.uri.lower()] = _c
    _ALIASES[_c.uri.lower().replace("http://", "https://")] = _c
for _code, _c in ((4326, EPSG4326), (4490, EPSG4490), (3857, EPSG3857)):
    for _form in (f"epsg:{_code}", f"[epsg:{_code}]", f"urn:ogc:def:crs:epsg::{_code}"):
        _ALIASES[_form] = _c
for _form in ("ogc:crs84", "[ogc:crs84]", "crs84", "urn:ogc:def:crs:ogc:1.3:crs84"):
    _ALIASES[_form] = CRS84


def lookup(value: str) -> Crs | None:
    """The supported CRS a URI (or EPSG:n / OGC:CRS84 CURIE) names, else None."""
    return _ALIASES.get(value.strip().strip("<>").lower())
