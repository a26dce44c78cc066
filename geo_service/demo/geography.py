"""Demo geography: streets, communities, compounds, grids and building footprints.

The district outline is the real one (Gongshu, adcode 330105, in WGS-84). Streets are
Voronoi cells of seeds placed at each real street's approximate location, clipped to the
outline; communities, compounds and grids partition their parent the same way after a
few Lloyd iterations (even sizes, no gaps, no overlaps). Geometry is built in a local
metric frame that is an affine map of longitude/latitude, so straight edges stay
straight and shared edges stay shared when mapped back to EPSG:4326.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from importlib import resources

import numpy as np
import shapely
import shapely.affinity
import shapely.ops
from shapely.geometry import MultiPolygon, Polygon, box
from shapely.geometry.base import BaseGeometry

DISTRICT_CODE = "330105"
DISTRICT_NAME = "拱墅区"

# (name, approximate WGS-84 location of the street, relative number of communities)
STREETS: list[tuple[str, float, float, int]] = [
    ("米市巷街道", 120.158, 30.297, 10),
    ("湖墅街道", 120.146, 30.289, 9),
    ("小河街道", 120.139, 30.302, 9),
    ("拱宸桥街道", 120.144, 30.320, 11),
    ("大关街道", 120.155, 30.309, 10),
    ("上塘街道", 120.164, 30.323, 12),
    ("和睦街道", 120.127, 30.312, 8),
    ("康桥街道", 120.150, 30.372, 9),
    ("半山街道", 120.190, 30.360, 8),
    ("祥符街道", 120.113, 30.331, 14),
    ("天水街道", 120.171, 30.279, 7),
    ("武林街道", 120.164, 30.272, 9),
    ("长庆街道", 120.157, 30.281, 7),
    ("朝晖街道", 120.168, 30.291, 10),
    ("潮鸣街道", 120.181, 30.281, 10),
    ("文晖街道", 120.183, 30.296, 7),
    ("东新街道", 120.178, 30.311, 10),
    ("石桥街道", 120.196, 30.331, 10),
]
# The old city (mostly pre-2000 walk-ups) versus the newer north.
OLD_CITY = {
    "米市巷街道", "湖墅街道", "小河街道", "大关街道", "和睦街道", "天水街道",
    "武林街道", "长庆街道", "朝晖街道", "潮鸣街道", "文晖街道",
}  # fmt: skip


def district_outline() -> MultiPolygon:
    """The committed Gongshu outline (EPSG:4326)."""
    text = (resources.files("geo_service") / "data" / f"gongshu_{DISTRICT_CODE}.geojson").read_text(
        "utf-8"
    )
    geom = shapely.geometry.shape(json.loads(text)["features"][0]["geometry"])
    return geom if isinstance(geom, MultiPolygon) else MultiPolygon([geom])


@dataclass(frozen=True)
class LocalFrame:
    """Affine lon/lat <-> metres frame centred on the district (error < 0.1% here)."""

    lon0: float
    lat0: float

    @property
    def kx(self) -> float:
        return 111_320.0 * math.cos(math.radians(self.lat0))

    @property
    def ky(self) -> float:
        return 110_574.0 + 1_110.0 * math.sin(math.radians(self.lat0)) ** 2

    def to_local(self, g):  # noqa: ANN001, ANN201
        return shapely.transform(g, lambda c: (c - [self.lon0, self.lat0]) * [self.kx, self.ky])

    def to_lonlat(self, g):  # noqa: ANN001, ANN201
        return shapely.transform(g, lambda c: c / [self.kx, self.ky] + [self.lon0, self.lat0])


def polygonal(g: BaseGeometry) -> MultiPolygon:
    """The polygonal part of ``g`` as a MultiPolygon (drops stray lines and points)."""
    return MultiPolygon([p for p in shapely.get_parts(g) if isinstance(p, Polygon) and not p.is_empty])


def sample_in(poly: BaseGeometry, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` uniform random points inside ``poly`` (rejection sampling), shape (n, 2)."""
    minx, miny, maxx, maxy = poly.bounds
    shapely.prepare(poly)
    prepared = poly
    got: list[np.ndarray] = []
    have = 0
    while have < n:
        k = max(64, 3 * (n - have))
        pts = np.column_stack([rng.uniform(minx, maxx, k), rng.uniform(miny, maxy, k)])
        inside = shapely.contains_xy(prepared, pts[:, 0], pts[:, 1])
        got.append(pts[inside])
        have += int(inside.sum())
    return np.concatenate(got)[:n]


def voronoi_cells(points: np.ndarray, within: BaseGeometry) -> list[MultiPolygon]:
    """Voronoi cells of ``points`` clipped to ``within``, in the order of the points."""
    if len(points) == 1:
        return [polygonal(within)]
    pad = within.envelope.buffer(1_000)
    vor = shapely.voronoi_polygons(shapely.multipoints(points), extend_to=pad, ordered=True)
    cells = shapely.intersection(shapely.get_parts(vor), within)
    return [polygonal(c) for c in cells]


def partition(
    poly: BaseGeometry,
    n: int,
    rng: np.random.Generator,
    lloyd: int = 4,
    seeds: np.ndarray | None = None,
) -> list[MultiPolygon]:
    """Split ``poly`` into ``n`` cells of similar size without gaps or overlaps."""
    pts = sample_in(poly, n, rng) if seeds is None else seeds
    for _ in range(lloyd if seeds is None else 0):
        cells = voronoi_cells(pts, poly)
        nxt = []
        for cell, p in zip(cells, pts, strict=True):
            c = cell.centroid if not cell.is_empty else shapely.Point(p)
            if not poly.contains(c):
                c = cell.point_on_surface() if not cell.is_empty else shapely.Point(p)
            nxt.append((c.x, c.y))
        pts = np.array(nxt)
    cells = voronoi_cells(pts, poly)
    if any(c.is_empty for c in cells):  # coincident seeds: resample
        return partition(poly, n, rng, lloyd)
    return cells


def allocate(total: int, weights: np.ndarray, minimum: int, rng: np.random.Generator) -> np.ndarray:
    """Split ``total`` into integer shares proportional to ``weights``, each >= ``minimum``."""
    n = len(weights)
    rest = total - minimum * n
    if rest < 0:
        raise ValueError(f"cannot give {n} parts at least {minimum} out of {total}")
    p = np.asarray(weights, dtype=float)
    p = p / p.sum()
    return minimum + rng.multinomial(rest, p)


@dataclass
class Geography:
    """Areas and buildings in EPSG:4326, as parallel column lists per table."""

    frame: LocalFrame
    district: MultiPolygon
    streets: dict[str, list] = field(default_factory=dict)
    communities: dict[str, list] = field(default_factory=dict)
    compounds: dict[str, list] = field(default_factory=dict)
    grids: dict[str, list] = field(default_factory=dict)
    buildings: dict[str, list] = field(default_factory=dict)


# Building templates: floors range, units choices, households per floor per unit,
# unit width (m), depth (m), gap between rows as a multiple of height, gap in a row (m).
TEMPLATES = {
    "walkup": dict(
        floors=(5, 7), units=(2, 3, 3, 4), hh=(2,), width=13.0, depth=11.0, row_gap=1.0, col_gap=8.0
    ),
    "tower": dict(
        floors=(18, 33), units=(1, 2), hh=(2, 3), width=22.0, depth=19.0, row_gap=0.55, col_gap=18.0
    ),
    "slab": dict(
        floors=(11, 18), units=(2, 3), hh=(2,), width=16.0, depth=14.0, row_gap=0.8, col_gap=12.0
    ),
}
KIND_TEMPLATES = {"old": ("walkup",), "commodity": ("tower", "slab"), "resettlement": ("slab",)}
KIND_BUILDINGS = {"old": 20.0, "commodity": 14.0, "resettlement": 17.0}


def layout_buildings(
    compound: BaseGeometry, n: int, kind: str, rng: np.random.Generator
) -> tuple[list[Polygon], list[dict]]:
    """Place ``n`` footprints in rows inside ``compound`` (local metres)."""
    tname = KIND_TEMPLATES[kind][rng.integers(len(KIND_TEMPLATES[kind]))]
    t = TEMPLATES[tname]
    specs = []
    for _ in range(n):
        floors = int(rng.integers(t["floors"][0], t["floors"][1] + 1))
        if tname == "walkup" and rng.random() < 0.15:
            floors = int(rng.choice([4, 8]))
        units = int(rng.choice(t["units"]))
        specs.append(
            {
                "floors": floors,
                "units": units,
                "hh_per_floor": int(rng.choice(t["hh"])),
                "template": tname,
            }
        )
    max_len = max(s["units"] for s in specs) * t["width"]
    max_h = max(s["floors"] for s in specs) * 3.0
    angle = float(np.clip(rng.normal(0, 9), -25, 25))
    inner = compound.buffer(-6.0)
    if inner.is_empty:
        inner = compound
    anchor = shapely.Point(compound.centroid.x, compound.centroid.y)
    rot_inner = shapely.affinity.rotate(inner, -angle, origin=anchor)
    shapely.prepare(rot_inner)
    ref = shapely.ops.polylabel(max(shapely.get_parts(rot_inner), key=lambda p: p.area), 2.0)
    for shrink in (1.0, 0.85, 0.7, 0.55, 0.45, 0.35, 0.28, 0.22, 0.17, 0.13):
        cw = (max_len + t["col_gap"]) * shrink
        ch = (t["depth"] + max(8.0, t["row_gap"] * max_h)) * shrink
        minx, miny, maxx, maxy = rot_inner.bounds
        xs = np.arange(minx + cw / 2, maxx, cw)
        ys = np.arange(miny + ch / 2, maxy, ch)
        if len(xs) == 0 or len(ys) == 0:
            continue
        gx, gy = np.meshgrid(xs, ys)
        cx, cy = gx.ravel(), gy.ravel()
        half_l = max_len * shrink / 2
        half_d = t["depth"] * shrink / 2
        cells = shapely.box(cx - half_l, cy - half_d, cx + half_l, cy + half_d)
        ok = shapely.contains_properly(rot_inner, cells)
        if ok.sum() >= n:
            cx, cy = cx[ok], cy[ok]
            d = np.hypot(cx - ref.x, cy - ref.y)
            pick = np.argsort(d, kind="stable")[:n]
            cx, cy = cx[pick], cy[pick]
            order = np.lexsort((cx, -cy))  # rows north to south, west to east
            foot = []
            for i, k in enumerate(order):
                s = specs[i]
                hl = s["units"] * t["width"] * shrink / 2
                b = box(cx[k] - hl, cy[k] - half_d, cx[k] + hl, cy[k] + half_d)
                foot.append(shapely.affinity.rotate(b, angle, origin=anchor))
            return foot, specs
    raise ValueError(f"could not place {n} buildings in a compound of {compound.area:.0f} m2")


def build_geography(scale, rng: np.random.Generator) -> Geography:  # noqa: ANN001
    """Streets, communities, compounds (with kinds), grids and building footprints."""

    outline = district_outline()
    c = outline.centroid
    frame = LocalFrame(round(c.x, 3), round(c.y, 3))
    stretch = math.sqrt(scale.area_factor)
    local = shapely.affinity.scale(frame.to_local(outline), stretch, stretch, origin=(0, 0))
    if stretch != 1.0:
        outline = frame.to_lonlat(local)
    geo = Geography(frame=frame, district=outline)

    # Streets: Voronoi of the real locations, each seed moved inside the outline.
    seeds = []
    for _, lon, lat, _w in STREETS:
        p = shapely.affinity.scale(
            frame.to_local(shapely.Point(lon, lat)), stretch, stretch, origin=(0, 0)
        )
        if not local.contains(p):
            p = shapely.ops.nearest_points(local.buffer(-150), p)[0]
        seeds.append((p.x, p.y))
    street_cells = partition(local, len(STREETS), rng, seeds=np.array(seeds))
    street_codes = [f"{DISTRICT_CODE}{i + 1:03d}" for i in range(len(STREETS))]
    geo.streets = {
        "street_code": street_codes,
        "name": [s[0] for s in STREETS],
        "geom": [frame.to_lonlat(g) for g in street_cells],
    }

    # Communities per street: the street's weight, at least one each.
    n_comm = allocate(scale.communities, np.array([s[3] for s in STREETS], float), 1, rng)
    comm: dict[str, list] = {
        "community_code": [],
        "street_code": [],
        "geom": [],
        "local": [],
        "old_city": [],
    }
    for sc, cell, k, s in zip(street_codes, street_cells, n_comm, STREETS, strict=True):
        for j, g in enumerate(partition(cell, int(k), rng)):
            comm["community_code"].append(f"{sc}{j + 1:03d}")
            comm["street_code"].append(sc)
            comm["local"].append(g)
            comm["old_city"].append(s[0] in OLD_CITY)
    # Denser old city: more compounds per community there.
    w = np.array([1.3 if o else 1.0 for o in comm["old_city"]]) * rng.lognormal(
        0, 0.25, len(comm["local"])
    )
    n_cmp = allocate(scale.compounds, w, 1, rng)

    cmp: dict[str, list] = {
        k: [] for k in ("code", "community_code", "street_code", "kind", "local")
    }
    for cc, sc, cell, k, old in zip(
        comm["community_code"],
        comm["street_code"],
        comm["local"],
        n_cmp,
        comm["old_city"],
        strict=True,
    ):
        p_kind = [0.65, 0.30, 0.05] if old else [0.25, 0.55, 0.20]
        for j, g in enumerate(partition(cell, int(k), rng)):
            cmp["code"].append(f"{cc}{j + 1:03d}")
            cmp["community_code"].append(cc)
            cmp["street_code"].append(sc)
            cmp["kind"].append(str(rng.choice(["old", "commodity", "resettlement"], p=p_kind)))
            cmp["local"].append(g)

    # Grids: each community is split into 2-5 grid cells.
    grids: dict[str, list] = {k: [] for k in ("code", "community_code", "street_code", "geom")}
    for cc, sc, cell in zip(
        comm["community_code"], comm["street_code"], comm["local"], strict=True
    ):
        k = int(rng.integers(2, 6))
        for j, g in enumerate(partition(cell, k, rng, lloyd=2)):
            grids["code"].append(f"{cc}G{j + 1:02d}")
            grids["community_code"].append(cc)
            grids["street_code"].append(sc)
            grids["geom"].append(frame.to_lonlat(g))
    geo.grids = grids

    # Buildings per compound, by kind, at least two.
    kinds = np.array(cmp["kind"])
    bw = np.array([KIND_BUILDINGS[k] for k in kinds]) * rng.lognormal(0, 0.3, len(kinds))
    n_bld = allocate(scale.buildings, bw, 2, rng)
    bld: dict[str, list] = {
        k: []
        for k in ("compound_index", "number", "floors", "units", "hh_per_floor", "template", "geom")
    }
    for ci, (g, kind, k) in enumerate(zip(cmp["local"], kinds, n_bld, strict=True)):
        feet, specs = layout_buildings(g, int(k), str(kind), rng)
        for num, (f, s) in enumerate(zip(feet, specs, strict=True), start=1):
            bld["compound_index"].append(ci)
            bld["number"].append(num)
            bld["floors"].append(s["floors"])
            bld["units"].append(s["units"])
            bld["hh_per_floor"].append(s["hh_per_floor"])
            bld["template"].append(s["template"])
            bld["geom"].append(f)
    bld["geom"] = list(frame.to_lonlat(np.array(bld["geom"], dtype=object)))
    geo.buildings = bld

    comm["geom"] = [frame.to_lonlat(g) for g in comm["local"]]
    del comm["local"]
    geo.communities = comm
    cmp["geom"] = [frame.to_lonlat(g) for g in cmp["local"]]
    cmp["area_m2"] = [g.area for g in cmp["local"]]
    del cmp["local"]
    geo.compounds = cmp
    return geo
