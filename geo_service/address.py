"""Free-text housing addresses as clerks write them, normalised and matched to households.

Pure Python (no database): :class:`AddressIndex` is built from plain rows (the compounds
with their aliases, the households with building, unit and room numbers) and answers
:meth:`AddressIndex.match` with dictionary lookups only, so millions of records match in
seconds. The index is built from the database by ``geo_service.residents``.

Normalisation handles full-width characters (NFKC), Chinese numerals (三幢, 五〇一室,
十二幢), the building markers 幢/栋/号楼/号/座/#, 单元 omitted, 室 omitted, dash forms
(``3-2-501``, ``3幢2-501``), stray spaces and punctuation, the province/city/district/
street/community prefix present or absent, a trailing 小区 after the name, and compound
aliases. A record is *matched* only when exactly one household fits; when several fit
(typically the unit is omitted and the room exists in several units) it is *ambiguous*
with its candidates; otherwise *unmatched* with the reason. A wrong household is never
reported as matched: every part of the address has to agree with the index.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

MATCHED, AMBIGUOUS, UNMATCHED = "matched", "ambiguous", "unmatched"
STATUSES = (MATCHED, AMBIGUOUS, UNMATCHED)

# Reasons, in Chinese for the data steward reading the match report.
R_EMPTY = "地址为空"
R_NO_COMPOUND = "无法识别小区名称"
R_SEVERAL_COMPOUNDS = "小区名称对应多个小区"
R_UNPARSED = "无法解析楼栋/单元/房号"
R_NO_ROOM = "缺少房号"
R_NO_BUILDING = "小区内无此楼栋"
R_NO_UNIT = "楼栋内无此单元"
R_NO_HOUSEHOLD = "无此房号"
R_UNIT_OMITTED = "未写单元，多个单元有此房号"
R_SEVERAL_READINGS = "地址可读作不同小区的房屋"

PREFIXES = ("浙江省", "浙江", "杭州市", "杭州")

_DROP = re.compile("[ \t\r\n\u3000,.;:'\"()\\[\\]{}<>，。；：、·‘’“”（）【】《》!！?？]+")
_DASHES = re.compile("[‐‑‒–—―−－~～_/\\\\]")
_DIGIT = {"〇": 0, "零": 0, "○": 0, "O": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
          "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}  # fmt: skip
_UNIT = {"十": 10, "百": 100, "千": 1000}
_NUMERAL_RUN = re.compile("[〇零○一二两三四五六七八九十百千]+")
_AREA_PREFIX = re.compile(r"^(?:.{1,8}?(?:省|市))?(?:.{1,6}?区)?(?:.{1,8}?街道)?(?:.{1,10}?社区)?")
_HAS_NUMERAL = re.compile("[〇零○一二两三四五六七八九十百千]")
# Building/unit/room with their markers (building: 幢/栋/号楼/号/座/#; unit: 单元; room: 室/号)
# or dashes between them; the unit may be omitted.
_B = r"(\d+)(?:(?:号楼|号幢|幢|栋|座|#|号)-?|-)"  # a number needs its marker or a dash
_THREE = re.compile(_B + r"(\d+)(?:(?:单元|单|门)-?|-)(\d+)(?:室|号|户)?-?$")
_TWO = re.compile(_B + r"(\d+)(室|号|户|单元|单|门)?-?$")
_ONE = re.compile(r"(\d+)(?:号楼|号幢|幢|栋|座|#|号)?$")


def chinese_number(run: str) -> int:
    """Value of a run of Chinese numerals: positional (十二, 二百零一) when it has 十/百/千,
    else digit by digit (五〇一 → 501)."""
    if not any(c in _UNIT for c in run):
        return int("".join(str(_DIGIT[c]) for c in run))
    total, digit = 0, None
    for c in run:
        if c in _UNIT:
            total += (1 if digit is None else digit) * _UNIT[c]
            digit = None
        else:
            digit = _DIGIT[c] if _DIGIT[c] else digit
    return total + (digit or 0)


def digits_for_numerals(s: str) -> str:
    """Replace every run of Chinese numerals by Arabic digits."""
    return _NUMERAL_RUN.sub(lambda m: str(chinese_number(m.group(0))), s)


def clean(raw: str) -> str:
    """NFKC (full-width → ASCII), no whitespace or punctuation, one kind of dash."""
    return _DASHES.sub("-", _DROP.sub("", unicodedata.normalize("NFKC", raw)))


@dataclass(frozen=True)
class Parsed:
    """Building, unit (None when omitted) and room parsed from the part after the name."""

    building: int
    unit: int | None
    room: int


def parse_tail(tail: str) -> Parsed | str:
    """Building/unit/room of ``3幢2单元501室`` and its variants, or a reason string."""
    if tail.startswith("小区"):
        tail = tail[2:]
    if _HAS_NUMERAL.search(tail):
        tail = digits_for_numerals(tail)
    m = _THREE.match(tail)
    if m is not None:
        return Parsed(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = _TWO.match(tail)
    if m is not None:
        if m.group(3) in ("单元", "单", "门"):
            return R_NO_ROOM
        return Parsed(int(m.group(1)), None, int(m.group(2)))
    if _ONE.match(tail):
        return R_NO_ROOM
    return R_UNPARSED


@dataclass(frozen=True)
class Match:
    """The outcome for one address: status, household (when matched), candidates
    (when ambiguous), the reason (unless matched) and a canonical form of the address
    (the same for every way of writing it)."""

    status: str
    household_id: int | None = None
    candidates: tuple[int, ...] = ()
    reason: str | None = None
    canonical: str = ""
    compound_id: int | None = None


def _lengths_by_first(keys: Iterable[str]) -> dict[str, list[int]]:
    """Lengths of the keys starting with each character, longest first."""
    out: dict[str, set[int]] = {}
    for k in keys:
        out.setdefault(k[:1], set()).add(len(k))
    return {c: sorted(v, reverse=True) for c, v in out.items()}


@dataclass
class AddressIndex:
    """Compounds by name and alias, and households by (compound, building, unit, room)."""

    names: dict[str, set[int]] = field(default_factory=dict)  # name/alias -> compound ids
    prefixes: set[str] = field(default_factory=set)  # district, street, community names
    compound_area: dict[int, tuple[str, str]] = field(default_factory=dict)  # street, community
    area_names: dict[str, str] = field(default_factory=dict)  # street/community name -> code
    households: dict[tuple[int, int, int, int], int] = field(default_factory=dict)
    by_room: dict[tuple[int, int, int], list[int]] = field(default_factory=dict)
    buildings: set[tuple[int, int]] = field(default_factory=set)
    units: set[tuple[int, int, int]] = field(default_factory=set)
    _lengths: dict[str, list[int]] = field(default_factory=dict)  # by first character
    _prefix_lengths: dict[str, list[int]] = field(default_factory=dict)
    _cache: dict[str, Match] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        compounds: Iterable[tuple[int, str, str, str]],
        aliases: Iterable[tuple[int, str]],
        households: Iterable[tuple[int, int, int, int, int]],
        areas: Iterable[tuple[str, str]] = (),
        district_names: Iterable[str] = ("拱墅区",),
    ) -> AddressIndex:
        """``compounds``: (id, name, street_code, community_code); ``aliases``: (compound
        id, alias); ``households``: (household id, compound id, building number, unit
        number, room); ``areas``: (code, name) of streets and communities."""
        ix = cls()
        for cid, name, street, community in compounds:
            ix._add_name(name, cid)
            ix.compound_area[cid] = (street, community)
        for cid, alias in aliases:
            ix._add_name(alias, cid)
        for code, name in areas:
            ix.prefixes.add(clean(name))
            ix.area_names[clean(name)] = code
        ix.prefixes.update(clean(d) for d in district_names)
        ix.prefixes.update(PREFIXES)
        for hid, cid, b, u, room in households:
            ix.households[(cid, b, u, int(room))] = hid
            ix.by_room.setdefault((cid, b, int(room)), []).append(hid)
            ix.buildings.add((cid, b))
            ix.units.add((cid, b, u))
        ix._lengths = _lengths_by_first(ix.names)
        ix._prefix_lengths = _lengths_by_first(ix.prefixes)
        return ix

    def _add_name(self, name: str, cid: int) -> None:
        for key in {clean(name), digits_for_numerals(clean(name))}:
            if len(key) >= 2:
                self.names.setdefault(key, set()).add(cid)

    def _strip_prefixes(self, s: str) -> tuple[str, list[str]]:
        seen: list[str] = []
        again = True
        while again:
            again = False
            for n in self._prefix_lengths.get(s[:1], ()):
                head = s[:n]
                if head in self.prefixes and len(s) > n:
                    seen.append(head)
                    s, again = s[n:], True
                    break
        return s, seen

    def _find_compounds(self, s: str) -> list[tuple[set[int], str]]:
        """Every name or alias the text starts with (longest first; after an unknown
        street or community name if none), each with the text after it. Never searched
        for inside the text: a fragment of a misspelt name must not pass for another
        compound."""
        for start in (s, _AREA_PREFIX.sub("", s, count=1)):
            found = []
            for n in self._lengths.get(start[:1], ()):
                ids = self.names.get(start[:n])
                if ids is not None:
                    found.append((ids, start[n:]))
            if found:
                return found
        return []

    def match(self, raw: str | None) -> Match:
        """Match one address (results are cached per distinct raw string)."""
        if raw is None:
            return Match(UNMATCHED, reason=R_EMPTY)
        hit = self._cache.get(raw)
        if hit is None:
            hit = self._match(raw)
            if len(self._cache) < 4_000_000:
                self._cache[raw] = hit
        return hit

    def _match(self, raw: str) -> Match:
        s = clean(raw)
        if not s:
            return Match(UNMATCHED, reason=R_EMPTY)
        s, seen = self._strip_prefixes(s)
        readings = self._find_compounds(s)
        if not readings:
            return Match(UNMATCHED, reason=R_NO_COMPOUND, canonical=s)
        # Each way of reading a name off the start (和平小区 the compound, or 和平 the
        # alias of another compound followed by 小区) that leads to households counts.
        results = [self._resolve(ids, tail, seen, s) for ids, tail in readings]
        hits = [m for m in results if m.status != UNMATCHED]
        if not hits:
            return results[0]
        households = {h for m in hits for h in (m.candidates or (m.household_id,))}
        if len(hits) == 1 or len(households) == 1:
            return hits[0]
        return Match(
            AMBIGUOUS,
            candidates=tuple(sorted(households)),
            reason=R_SEVERAL_READINGS,
            canonical=hits[0].canonical,
        )

    def _resolve(self, ids: set[int], tail: str, seen: list[str], s: str) -> Match:
        """The household(s) of building/unit/room ``tail`` in compound ``ids``."""
        if len(ids) > 1:  # an alias shared by several compounds: the prefix may decide
            codes = {self.area_names[p] for p in seen if p in self.area_names}
            ids = {c for c in ids if codes & set(self.compound_area.get(c, ()))} or ids
        if len(ids) > 1:
            return Match(UNMATCHED, reason=R_SEVERAL_COMPOUNDS, canonical=s)
        (cid,) = ids
        parsed = parse_tail(tail)
        if isinstance(parsed, str):
            return Match(UNMATCHED, reason=parsed, canonical=f"{cid}:{tail}", compound_id=cid)
        b, u, r = parsed.building, parsed.unit, parsed.room
        canonical = f"{cid}-{b}-{'' if u is None else u}-{r}"
        if (cid, b) not in self.buildings:
            return Match(UNMATCHED, reason=R_NO_BUILDING, canonical=canonical, compound_id=cid)
        if u is not None:
            hid = self.households.get((cid, b, u, r))
            if hid is not None:
                return Match(MATCHED, hid, canonical=canonical, compound_id=cid)
            reason = R_NO_HOUSEHOLD if (cid, b, u) in self.units else R_NO_UNIT
            return Match(UNMATCHED, reason=reason, canonical=canonical, compound_id=cid)
        cands = self.by_room.get((cid, b, r), [])
        if len(cands) == 1:
            return Match(MATCHED, cands[0], canonical=canonical, compound_id=cid)
        if not cands:
            return Match(UNMATCHED, reason=R_NO_HOUSEHOLD, canonical=canonical, compound_id=cid)
        return Match(
            AMBIGUOUS,
            candidates=tuple(sorted(cands)),
            reason=R_UNIT_OMITTED,
            canonical=canonical,
            compound_id=cid,
        )
