"""Compound boundaries (issue 3): drawn from housing, checked for topology problems,
imported from hand-drawn files; every version kept with its dates.

The current boundary stays in ``compound.geom`` (what the map, tiles and exports read);
``compound_boundary`` holds every version, the newest open (``valid_to`` NULL); a new
version closes the previous one on its first day. Version 1 (source ``initial``) is the
boundary a compound was loaded with (the demo loader and migration 0004 add it; for a
compound added otherwise it is recorded the first time its boundary changes).

Public API used by other modules (the dossier calls the first two):

- ``boundary_history(conn, compound_id)`` -> list of versions, newest first
- ``problems_for_compound(conn, compound_id)`` -> the latest check's problems of a compound
- ``draw``, ``check``, ``problems_geojson``, ``import_file`` (CLI and API)

All functions take a SQLAlchemy connection; the writers expect to run inside the caller's
transaction (``engine.begin()``), so a failure leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from . import boundary_queries as q
from . import enums
from .uploads import Limits, UploadRejected, check_counts, opened_dataset

__all__ = [
    "BoundaryError",
    "CheckSettings",
    "DrawSettings",
    "DrawResult",
    "ImportReport",
    "boundary_history",
    "check",
    "draw",
    "import_file",
    "problems",
    "problems_for_compound",
    "problems_geojson",
]

# Two geometries differing by less than this (m², symmetric difference) are the same
# boundary: re-drawing or re-importing them adds no version.
SAME_M2 = 0.01


class BoundaryError(Exception):
    """A boundary operation that cannot go ahead (bad option, file refused, strict
    import with rejects); nothing has been written. ``status`` is the HTTP answer for
    an upload (413 when a size limit is exceeded)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _source_label(source: str) -> str:
    return enums.BOUNDARY_SOURCE.get(source, source)


# -- read side (dossier, API) ----------------------------------------------------------
def boundary_history(conn: sa.Connection, compound_id: int) -> list[dict]:
    """Every boundary version of a compound, newest first: ``version``, ``valid_from``,
    ``valid_to`` (None for the current one), ``source``, ``source_label``, ``note``,
    ``area_m2`` and ``geometry`` (GeoJSON dict)."""
    rows = q.history(conn, compound_id)
    for r in rows:
        r["source_label"] = _source_label(r["source"])
        r["area_m2"] = float(r["area_m2"]) if r["area_m2"] is not None else None
    return rows


def _problem_row(r: dict) -> dict:
    r = dict(r)
    r["kind_label"] = enums.BOUNDARY_PROBLEM.get(r["kind"], r["kind"])
    return r


def problems(
    conn: sa.Connection,
    kind: str | None = None,
    compound_id: int | None = None,
    community_code: str | None = None,
    limit: int | None = None,
) -> list[dict]:
    """Problems of the latest check (see :func:`check`), optionally filtered."""
    return [_problem_row(r) for r in q.problems(conn, kind, compound_id, community_code, limit)]


def problems_for_compound(conn: sa.Connection, compound_id: int) -> list[dict]:
    """The latest boundary check's problems touching a compound (as compound or as the
    other compound of an overlap): ``id``, ``kind``, ``kind_label``, ``detail``,
    ``reason``, ``area_m2``, ``building_id``, ``other_compound_id``, ``checked_at`` and
    ``geometry`` (GeoJSON dict of the problem spot)."""
    return problems(conn, compound_id=compound_id)


def problems_geojson(
    conn: sa.Connection,
    kind: str | None = None,
    compound_id: int | None = None,
    community_code: str | None = None,
) -> dict:
    """The latest check's problem spots as a GeoJSON FeatureCollection."""
    feats = []
    for r in problems(conn, kind, compound_id, community_code):
        geometry = r.pop("geometry")
        checked = r.pop("checked_at")
        r["checked_at"] = checked.isoformat() if checked else None
        feats.append({"type": "Feature", "id": r["id"], "geometry": geometry, "properties": r})
    last = q.last_checked(conn)
    return {
        "type": "FeatureCollection",
        "checked_at": last.isoformat() if last else None,
        "numberReturned": len(feats),
        "kinds": enums.BOUNDARY_PROBLEM,
        "features": feats,
    }


# -- writing a version -----------------------------------------------------------------
def _apply(
    conn: sa.Connection, compound_id: int, wkb: bytes, valid_from: dt.date, source: str,
    note: str | None,
) -> int | None:  # fmt: skip
    """Add a version unless the geometry equals the current one; the new version number
    or None when unchanged."""
    q.ensure_history(conn, compound_id, valid_from)
    if q.differs_m2(conn, compound_id, wkb) < SAME_M2:
        return None
    cur = q.current_version(conn, compound_id)
    if cur is not None and valid_from < cur["valid_from"]:
        raise BoundaryError(
            f"compound {compound_id}: the new version would start on {valid_from}, before "
            f"the current version {cur['version']} ({cur['valid_from']})"
        )
    return q.add_version(conn, compound_id, wkb, valid_from, source, note)


# -- draw ------------------------------------------------------------------------------
@dataclass(frozen=True)
class DrawSettings:
    """How a boundary is drawn from footprints (metres, in EPSG:4549)."""

    buffer_m: float = 8.0  # around each footprint (yards, paths)
    close_m: float = 30.0  # footprints less than 2x this apart are joined with the space between
    neighbour_gap_m: float = 1.0  # kept clear around a neighbour's buildings
    min_part_m2: float = 10.0  # smaller pieces left after clipping are dropped


@dataclass
class DrawResult:
    compound_id: int
    code: str
    name: str
    status: str  # new | unchanged | skipped
    version: int | None = None
    area_m2: float | None = None
    note: str = ""


def draw(
    conn: sa.Connection,
    compound_id: int | None = None,
    community_code: str | None = None,
    valid_from: dt.date | None = None,
    settings: DrawSettings = DrawSettings(),
    progress: Callable[[int], object] | None = None,
) -> list[DrawResult]:
    """Draw compound boundaries from their buildings' footprints: buffered union closed
    over the space between buildings, clipped to the community, minus the neighbours'
    boundaries and buildings (no overlaps), made valid, multipolygon. One new version per
    changed compound, dated ``valid_from`` (default today); run inside a transaction.

    Compounds are drawn one after another in a stable order, each against the boundaries
    of neighbours already drawn in this run and the current boundaries of those outside
    it (neighbours still to be drawn only keep their buildings clear), so drawing the
    same compounds again gives the same boundaries."""
    valid_from = valid_from or dt.date.today()
    targets = q.compounds_to_draw(conn, compound_id, community_code)
    if compound_id is not None and not targets:
        raise BoundaryError(f"no compound with id {compound_id}")
    if community_code is not None and not targets:
        raise BoundaryError(f"no compound in community {community_code}")
    out = []
    pending = {t["id"] for t in targets}
    for t in targets:
        pending.discard(t["id"])
        res = DrawResult(t["id"], t["code"], t["name"], "skipped")
        if t["buildings"] == 0:
            res.note = "没有楼栋，边界保持不变"
        else:
            d = q.drawn_boundary(
                conn, t["id"], settings.buffer_m, settings.close_m,
                settings.neighbour_gap_m, settings.min_part_m2, sorted(pending),
            )  # fmt: skip
            if d["wkb"] is None:
                res.note = "裁剪到社区并扣除相邻小区后无剩余，边界保持不变"
            else:
                res.area_m2 = d["area_m2"]
                note = (
                    f"按 {t['buildings']} 栋楼轮廓生成（外扩 {settings.buffer_m:g} 米，"
                    f"闭合 {settings.close_m:g} 米）"
                )
                res.version = _apply(conn, t["id"], d["wkb"], valid_from, "draw", note)
                res.status = "unchanged" if res.version is None else "new"
        out.append(res)
        if progress:
            progress(1)
    return out


# -- check -----------------------------------------------------------------------------
@dataclass(frozen=True)
class CheckSettings:
    """Tolerances of the topology check (metres and m², in EPSG:4549)."""

    overlap_min_m2: float = 0.5
    crossing_min_m2: float = 0.5
    building_min_share: float = 0.05  # a compound holds a building if it covers >= 5% of it
    sliver_width_m: float = 2.0  # thinner than this is a sliver or a gap
    sliver_min_m2: float = 1.0  # smaller spots are numerical dust
    gap_max_m2: float = 50.0  # an uncovered hole smaller than this is a gap whatever its shape
    tolerance_m: float = 0.05  # spots nowhere wider than 2x this are numerical noise


def check(
    conn: sa.Connection,
    now: dt.datetime | None = None,
    settings: CheckSettings = CheckSettings(),
    progress: Callable[[int], object] | None = None,
) -> dict[str, int]:
    """Run the topology check over the district and replace the stored problems with its
    findings (run inside a transaction). Returns the count per problem kind."""
    now = now or dt.datetime.now(dt.UTC)
    params = {"now": now, **settings.__dict__}
    q.clear_problems(conn)
    for step in q.CHECK_STEPS:
        q.run_check_step(conn, step, params)
        if progress:
            progress(1)
    counts = {k: 0 for k in enums.BOUNDARY_PROBLEM}
    for r in q.problems(conn):
        counts[r["kind"]] += 1
    return counts


# -- import ----------------------------------------------------------------------------
CRS_OPTIONS = {
    "gcj02": "gcj02",
    "epsg:4326": "EPSG:4326",
    "wgs84": "EPSG:4326",
    "epsg:4490": "EPSG:4490",
    "cgcs2000": "EPSG:4490",
    "epsg:3857": "EPSG:3857",
}
CODE_FIELDS = ("code", "compound_code", "xqbm", "xq_code", "小区编码", "小区代码", "编码", "代码")
NAME_FIELDS = ("name", "compound_name", "xqmc", "xq_name", "小区名称", "小区名", "名称")


@dataclass
class FeatureOutcome:
    n: int  # 1-based position in the file
    code: str | None
    name: str | None
    status: str  # accepted | repaired | unchanged | rejected
    compound_id: int | None = None
    compound_name: str | None = None
    version: int | None = None
    reason: str = ""


@dataclass
class ImportReport:
    file: str
    crs: str
    encoding: str | None
    outcomes: list[FeatureOutcome] = field(default_factory=list)
    dry_run: bool = False

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def rejected(self) -> list[FeatureOutcome]:
        return [o for o in self.outcomes if o.status == "rejected"]

    def summary(self) -> str:
        return (
            f"{len(self.outcomes)} features: {self.count('accepted')} accepted, "
            f"{self.count('repaired')} repaired, {self.count('unchanged')} unchanged, "
            f"{self.count('rejected')} rejected"
            + (" (dry run: nothing written)" if self.dry_run else "")
        )

    def table(self) -> str:
        """The per-feature report printed by ``geo-service boundaries import``."""
        label = {"accepted": "接受", "repaired": "已修复", "unchanged": "未变", "rejected": "拒绝"}
        head = f"file {self.file} · CRS {self.crs}"
        lines = [head + (f" · encoding {self.encoding}" if self.encoding else "")]
        lines.append(
            f"{'#':>5}  {_pad('status', 18)}{_pad('code', 17)}{_pad('name', 16)}"
            f"{_pad('compound', 10)}{'ver':>4}  reason"
        )
        for o in self.outcomes:
            lines.append(
                f"{o.n:>5}  {_pad(o.status + '/' + label[o.status], 18)}{_pad(o.code or '-', 17)}"
                f"{_pad((o.name or '-')[:7], 16)}{_pad(str(o.compound_id or '-'), 10)}"
                f"{(o.version or ''):>4}  {o.reason}"
            )
        lines.append(self.summary())
        return "\n".join(lines)


def _pad(s: str, width: int) -> str:
    """``s`` left-aligned in ``width`` terminal columns (East Asian characters take two)."""
    wide = sum(1 for ch in s if unicodedata.east_asian_width(ch) in "WF")
    return s + " " * max(1, width - len(s) - wide)


def _missing(v: object) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v)) or str(v).strip() == ""


def _norm_name(v: object) -> str | None:
    """Full-width forms folded (NFKC), spaces removed; None when empty."""
    if _missing(v):
        return None
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(v))) or None


def _bare(name: str) -> str:
    """A name without the generic suffix: 信义坊小区 -> 信义坊."""
    return name.removesuffix("小区") or name


def _norm_code(v: object) -> str | None:
    if _missing(v):
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    s = unicodedata.normalize("NFKC", str(v)).strip()
    return s or None


def _pick_field(columns: list[str], wanted: str | None, candidates: tuple[str, ...]) -> str | None:
    if wanted:
        for c in columns:
            if c == wanted or c.lower() == wanted.lower():
                return c
        raise BoundaryError(f"no field {wanted!r} in the file; fields: {', '.join(columns)}")
    lower = {c.lower(): c for c in columns}
    for cand in candidates:
        if cand.lower() in lower:
            return lower[cand.lower()]
    return None


def _read(path: Path, limits: Limits):  # noqa: ANN202 - a GeoDataFrame
    """Read the dataset; shapefile attributes without a .cpg are decoded as UTF-8 when
    they are valid UTF-8, else as GB18030 (a superset of GBK and GB2312)."""
    import pyogrio

    info = pyogrio.read_info(path)
    check_counts(int(info.get("features") or 0), 0, limits)
    encoding = None
    if path.suffix.lower() == ".shp" and not any(
        p.suffix.lower() == ".cpg" and p.stem == path.stem for p in path.parent.iterdir()
    ):
        try:
            gdf = pyogrio.read_dataframe(path, encoding="utf-8")
            encoding = "utf-8 (detected)"
        except UnicodeDecodeError:
            gdf = pyogrio.read_dataframe(path, encoding="gb18030")
            encoding = "gb18030 (detected)"
    else:
        gdf = pyogrio.read_dataframe(path)
    return gdf, encoding


def _to_wgs84(gdf, crs: str | None) -> tuple[object, str]:  # noqa: ANN001
    """Reproject to EPSG:4326, honouring ``--crs``; returns (frame, description)."""
    import shapely

    from .coords import gcj02_to_wgs84

    declared = gdf.crs.to_string() if gdf.crs is not None else None
    if crs is None:
        if gdf.crs is None:
            raise BoundaryError(
                "the file has no coordinate system (e.g. a shapefile without .prj): "
                "give --crs EPSG:4326|EPSG:4490|EPSG:3857|gcj02"
            )
        return gdf.to_crs(4326), declared or "?"
    key = CRS_OPTIONS.get(crs.lower())
    if key is None:
        raise BoundaryError(f"--crs must be one of {', '.join(sorted(set(CRS_OPTIONS.values())))}")
    note = f" (file declares {declared})" if declared else ""
    if key != "gcj02":
        return gdf.set_crs(key, allow_override=True).to_crs(4326), f"{key} from --crs{note}"
    # GCJ-02 (Amap): longitude/latitude, or Web Mercator of them when the file is projected.
    if gdf.crs is not None and gdf.crs.is_projected:
        gdf = gdf.to_crs(4326)
    else:
        gdf = gdf.set_crs(4326, allow_override=True)

    def inverse(xy: np.ndarray) -> np.ndarray:
        return np.array([gcj02_to_wgs84(x, y) for x, y in xy]) if len(xy) else xy

    gdf = gdf.set_geometry(shapely.transform(gdf.geometry.values, inverse))
    return gdf, f"GCJ-02 from --crs, converted with the iterative inverse{note}"


class _Names:
    """Compounds by code, and by name: the name itself, else an alias (compound_alias),
    else either without the suffix 小区."""

    def __init__(self, rows: list[dict]) -> None:
        self.by_code = {r["code"]: (r["id"], r["name"]) for r in rows}
        self.exact: dict[str, set] = {}
        self.alias: dict[str, set] = {}
        self.bare: dict[str, set] = {}
        for r in rows:
            hit = (r["id"], r["name"])
            name = _norm_name(r["name"]) or ""
            self.exact.setdefault(name, set()).add(hit)
            self.bare.setdefault(_bare(name), set()).add(hit)
            for a in r["aliases"]:
                alias = _norm_name(a) or ""
                self.alias.setdefault(alias, set()).add(hit)
                self.bare.setdefault(_bare(alias), set()).add(hit)

    def named(self, name: str) -> list[tuple[int, str]]:
        for table, key in ((self.exact, name), (self.alias, name), (self.bare, _bare(name))):
            if key in table:
                return sorted(table[key])
        return []


def import_file(
    conn: sa.Connection,
    path: Path | str,
    crs: str | None = None,
    valid_from: dt.date | None = None,
    on_invalid: str = "repair",
    strict: bool = False,
    code_field: str | None = None,
    name_field: str | None = None,
    limits: Limits | None = None,
    dry_run: bool = False,
    progress: Callable[[int], object] | None = None,
) -> ImportReport:
    """Import hand-drawn compound boundaries from GeoJSON, a zipped shapefile or a
    GeoPackage, run inside the caller's transaction (all or nothing).

    Each feature is matched to a compound by code, else by name (unique in the district);
    invalid geometry is repaired with ST_MakeValid and flagged (``on_invalid='repair'``)
    or rejected with ST_IsValidReason (``'reject'``). Accepted features become a new
    version each, unless equal to the current boundary (re-importing changes nothing).
    With ``strict`` any rejected feature refuses the whole file (BoundaryError)."""
    import shapely

    if on_invalid not in ("repair", "reject"):
        raise BoundaryError("on_invalid must be 'repair' or 'reject'")
    path = Path(path)
    valid_from = valid_from or dt.date.today()
    limits = limits or Limits()
    try:
        with opened_dataset(path, limits) as ds:
            gdf, encoding = _read(ds, limits)
    except UploadRejected as e:
        raise BoundaryError(f"{path.name}: {e.reason}", e.status) from None
    except Exception as e:  # GDAL cannot read it
        if isinstance(e, BoundaryError):
            raise
        raise BoundaryError(f"{path.name}: cannot read the file: {e}") from None
    gdf, crs_desc = _to_wgs84(gdf, crs)
    geoms = shapely.force_2d(gdf.geometry.values)
    vertices = shapely.get_num_coordinates(geoms)
    try:
        check_counts(len(gdf), int(vertices.sum()), limits)
    except UploadRejected as e:
        raise BoundaryError(f"{path.name}: {e.reason}", e.status) from None
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    cf = _pick_field(columns, code_field, CODE_FIELDS)
    nf = _pick_field(columns, name_field, NAME_FIELDS)
    if cf is None and nf is None:
        raise BoundaryError(
            "no compound code or name field found; use --code-field/--name-field "
            f"(fields: {', '.join(columns) or 'none'})"
        )
    report = ImportReport(path.name, crs_desc, encoding, dry_run=dry_run)
    ns = list(range(1, len(gdf) + 1))
    wkbs = [None if g is None else shapely.to_wkb(g) for g in geoms]
    checked = {r.n: r for r in q.validate_geometries(conn, ns, wkbs)}
    names = _Names(q.compound_names(conn))
    seen: dict[int, int] = {}
    plans: list[tuple[FeatureOutcome, bytes]] = []
    for i, n in enumerate(ns):
        row = gdf.iloc[i]
        code = _norm_code(row[cf]) if cf else None
        name = _norm_name(row[nf]) if nf else None
        o = FeatureOutcome(n, code, name, "rejected")
        report.outcomes.append(o)
        # match: by code, else by name
        hit_code = names.by_code.get(code) if code else None
        hits_name = names.named(name) if name else []
        if hit_code and hits_name and hit_code[0] not in {h[0] for h in hits_name}:
            o.reason = f"编码 {code} 与名称 {name} 指向不同小区"
            continue
        if hit_code:
            o.compound_id, o.compound_name = hit_code
        elif len(hits_name) == 1:
            o.compound_id, o.compound_name = hits_name[0]
        elif len(hits_name) > 1:
            o.reason = (
                f"名称 {name} 对应多个小区（{', '.join(str(h[0]) for h in hits_name)}），请给出编码"
            )
            continue
        else:
            o.reason = (
                "未匹配："
                + "，".join(
                    x
                    for x in (f"无编码 {code}" if code else "", f"无名称 {name}" if name else "")
                    if x
                )
                if (code or name)
                else "未匹配：没有编码和名称"
            )
            continue
        if o.compound_id in seen:
            o.reason = f"重复：与第 {seen[o.compound_id]} 个要素指向同一小区"
            continue
        seen[o.compound_id] = n
        # geometry
        c = checked[n]
        if c.empty:
            o.reason = "没有几何"
            continue
        if c.gtype not in ("ST_Polygon", "ST_MultiPolygon"):
            o.reason = f"不是面：{c.gtype.removeprefix('ST_')}"
            continue
        if c.npoints > limits.max_feature_vertices:
            o.reason = f"顶点 {c.npoints:,} 个，超过上限 {limits.max_feature_vertices:,}"
            continue
        repaired = not c.valid
        if repaired and on_invalid == "reject":
            o.reason = f"几何无效：{c.reason}"
            continue
        if c.fixed_empty:
            o.reason = f"几何无效且无法修复：{c.reason}"
            continue
        if not c.in_district:
            o.reason = "不在本区范围内（坐标系是否正确？）"
            continue
        o.status = "repaired" if repaired else "accepted"
        if repaired:
            o.reason = f"几何无效已修复（ST_MakeValid）：{c.reason}"
        plans.append((o, bytes(c.wkb)))
    if strict and report.rejected:
        raise BoundaryError(
            f"{path.name}: {len(report.rejected)} feature(s) rejected and --strict given; "
            "nothing imported\n" + report.table()
        )
    for o, wkb in plans:
        note = f"导入自 {path.name} 第 {o.n} 个要素" + (
            "（几何已修复）" if o.status == "repaired" else ""
        )
        if dry_run:
            if q.differs_m2(conn, o.compound_id, wkb) < SAME_M2:
                o.status = "unchanged"
        else:
            o.version = _apply(conn, o.compound_id, wkb, valid_from, "import", note)
            if o.version is None:
                o.status = "unchanged"
        if progress:
            progress(1)
    return report
