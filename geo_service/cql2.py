"""CQL2-text filters: parsed by pygeofilter, checked against a layer's queryables and
turned into a small neutral expression tree that ``feature_queries`` compiles to SQL
with bound parameters. No SQL here.

Implemented: comparisons (``= <> < <= > >=``), ``AND``/``OR``/``NOT``, parentheses,
``IS [NOT] NULL``, ``[NOT] LIKE``, ``[NOT] BETWEEN``, ``[NOT] IN``, and ``S_INTERSECTS``
of the geometry with a geometry literal (WKT) or ``BBOX(minx, miny, maxx, maxy)``.
A comparison names a queryable and a literal (either side). Anything else is refused with
a message saying what is supported.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass

from layers import Field

GEOMETRY_NAMES = ("geometry", "geom")
OPERATORS = {
    "Equal": "=",
    "NotEqual": "<>",
    "LessThan": "<",
    "LessEqual": "<=",
    "GreaterThan": ">",
    "GreaterEqual": ">=",
}
_FLIPPED = {"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
MAX_LENGTH = 20_000


class CQLError(ValueError):
    """The filter cannot be parsed or uses something not implemented."""


# -- the tree --------------------------------------------------------------------------
@dataclass(frozen=True)
class Compare:
    field: str
    op: str
    value: object


@dataclass(frozen=True)
class Between:
    field: str
    low: object
    high: object
    negate: bool = False


@dataclass(frozen=True)
class In:
    field: str
    values: tuple
    negate: bool = False


@dataclass(frozen=True)
class Like:
    field: str
    pattern: str
    negate: bool = False


@dataclass(frozen=True)
class IsNull:
    field: str
    negate: bool = False


@dataclass(frozen=True)
class Intersects:
    """The feature geometry intersects ``geojson`` (a GeoJSON geometry, in the filter CRS)
    or, when ``bbox`` is set, that box (minx, miny, maxx, maxy)."""

    geojson: str | None = None
    bbox: tuple[float, float, float, float] | None = None


@dataclass(frozen=True)
class And:
    items: tuple


@dataclass(frozen=True)
class Or:
    items: tuple


@dataclass(frozen=True)
class Not:
    item: object


Expr = Compare | Between | In | Like | IsNull | Intersects | And | Or | Not


# -- parsing ---------------------------------------------------------------------------
def parse(text: str, queryables: Mapping[str, Field]) -> Expr:
    """Parse CQL2 text into the tree, checking names and literal types."""
    from lark.exceptions import LarkError
    from pygeofilter.parsers.cql2_text import parse as cql2_parse

    if not text.strip():
        raise CQLError("empty filter")
    if len(text) > MAX_LENGTH:
        raise CQLError(f"filter longer than {MAX_LENGTH} characters")
    try:
        node = cql2_parse(text)
    except LarkError as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CQLError(f"cannot parse CQL2 text: {first}") from None
    except (ValueError, TypeError) as e:
        raise CQLError(f"cannot parse CQL2 text: {e}") from None
    return _convert(node, queryables)


def _attr_name(node: object) -> str | None:
    from pygeofilter import ast

    return node.name if isinstance(node, ast.Attribute) else None


def _field(name: str, queryables: Mapping[str, Field]) -> Field:
    if name not in queryables:
        raise CQLError(f"unknown property {name!r}; queryables: {', '.join(queryables)}")
    return queryables[name]


def coerce(field: Field, value: object) -> object:
    """A literal as the Python value for ``field``'s type, or CQLError."""
    if value is None:
        raise CQLError(f"{field.name}: use IS NULL to test for null")
    t = field.type
    if t == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
    elif t == "integer":
        if isinstance(value, bool):
            pass
        elif isinstance(value, int):
            return value
        elif isinstance(value, float) and value.is_integer():
            return int(value)
        elif isinstance(value, str):
            try:
                return int(value, 10)
            except ValueError:
                pass
    elif t == "number":
        if isinstance(value, int | float) and not isinstance(value, bool):
            if math.isfinite(value):
                return value
        elif isinstance(value, str):
            try:
                v = float(value)
                if math.isfinite(v):
                    return v
            except ValueError:
                pass
    elif t == "date":
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
    elif t == "datetime":
        if isinstance(value, dt.datetime):
            if value.tzinfo is None:
                raise CQLError(f"{field.name}: a timestamp needs a time zone (Z or +08:00)")
            return value
        if isinstance(value, dt.date):
            return dt.datetime.combine(value, dt.time(), tzinfo=SHANGHAI)
        if isinstance(value, str):
            try:
                parsed = dt.datetime.fromisoformat(value)
            except ValueError:
                pass
            else:
                return coerce(field, parsed)
    else:  # string
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
    raise CQLError(f"{field.name} is a {t}; {value!r} is not")


def _literal(node: object) -> object:
    from pygeofilter import ast, values

    if isinstance(node, ast.Node | values.Geometry | values.Envelope):
        raise CQLError("a comparison needs a property on one side and a literal on the other")
    return node


def _convert(node: object, q: Mapping[str, Field]) -> Expr:  # noqa: C901
    from pygeofilter import ast

    name = type(node).__name__
    if isinstance(node, ast.And | ast.Or):
        items = []
        for sub in (node.lhs, node.rhs):
            converted = _convert(sub, q)
            same = isinstance(converted, And if isinstance(node, ast.And) else Or)
            items.extend(converted.items if same else (converted,))
        return And(tuple(items)) if isinstance(node, ast.And) else Or(tuple(items))
    if isinstance(node, ast.Not):
        return Not(_convert(node.sub_node, q))
    if name in OPERATORS:
        op = OPERATORS[name]
        lhs, rhs = _attr_name(node.lhs), _attr_name(node.rhs)
        if lhs is not None and rhs is None:
            f = _field(lhs, q)
            return Compare(f.name, op, coerce(f, _literal(node.rhs)))
        if rhs is not None and lhs is None:
            f = _field(rhs, q)
            return Compare(f.name, _FLIPPED[op], coerce(f, _literal(node.lhs)))
        raise CQLError("a comparison needs a property on one side and a literal on the other")
    if isinstance(node, ast.Between):
        f = _field(_need_attr(node.lhs), q)
        return Between(f.name, coerce(f, node.low), coerce(f, node.high), node.not_)
    if isinstance(node, ast.In):
        f = _field(_need_attr(node.lhs), q)
        vals = tuple(coerce(f, _literal(v)) for v in node.sub_nodes)
        if not vals:
            raise CQLError("IN needs at least one value")
        return In(f.name, vals, node.not_)
    if isinstance(node, ast.Like):
        f = _field(_need_attr(node.lhs), q)
        if f.type != "string":
            raise CQLError(f"LIKE needs a string property; {f.name} is a {f.type}")
        return Like(f.name, str(node.pattern), node.not_)
    if isinstance(node, ast.IsNull):
        f = _field(_need_attr(node.lhs), q)
        return IsNull(f.name, node.not_)
    if isinstance(node, ast.GeometryIntersects):
        return _intersects(node)
    if isinstance(node, ast.SpatialComparisonPredicate):
        raise CQLError(f"{node.op.value.upper()} is not implemented; use S_INTERSECTS")
    raise CQLError(
        f"{name} is not implemented; supported: comparisons, AND, OR, NOT, IS NULL, LIKE, "
        "BETWEEN, IN and S_INTERSECTS"
    )


def _need_attr(node: object) -> str:
    name = _attr_name(node)
    if name is None:
        raise CQLError("the left-hand side must be a property")
    return name


def _intersects(node: object) -> Intersects:
    from pygeofilter import ast, values

    a, b = node.lhs, node.rhs
    if _attr_name(b) in GEOMETRY_NAMES:
        a, b = b, a
    if _attr_name(a) not in GEOMETRY_NAMES:
        raise CQLError("S_INTERSECTS compares the property 'geometry' with a geometry literal")
    if isinstance(b, values.Geometry):
        geom = b.geometry
        if not _finite(geom.get("coordinates", [])):
            raise CQLError("geometry coordinates must be finite numbers")
        return Intersects(geojson=json.dumps(geom))
    if isinstance(b, values.Envelope):
        box = (b.x1, b.y1, b.x2, b.y2)
    elif isinstance(b, ast.Function) and b.name.lower() == "bbox":
        args = list(b.arguments)
        if len(args) == 6:
            args = [args[0], args[1], args[3], args[4]]
        if len(args) != 4 or not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in args
        ):
            raise CQLError("BBOX takes 4 (or 6) numbers")
        box = tuple(float(v) for v in args)
    else:
        raise CQLError("S_INTERSECTS needs a WKT geometry or BBOX(...) literal")
    if not all(math.isfinite(v) for v in box) or box[0] > box[2] or box[1] > box[3]:
        raise CQLError("BBOX values must be finite with minimum <= maximum")
    return Intersects(bbox=box)  # type: ignore[arg-type]


def _finite(coords: object) -> bool:
    if isinstance(coords, list | tuple):
        return all(_finite(c) for c in coords)
    return isinstance(coords, int | float) and math.isfinite(coords)


def _shanghai() -> dt.tzinfo:
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Shanghai")


SHANGHAI = _shanghai()
