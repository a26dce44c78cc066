"""Import department resident records (产权 owner, 户籍 registered, 流口 floating), match
them to households, and record ownership changes (业主变动) from newer owner lists.

The whole import is one transaction: records are written with COPY, a re-import of the
same file changes nothing, a record already known (same source, ID number and canonical
address) is marked as seen again instead of duplicated. Personal fields (name, ID number,
phone) are stored but never logged, never written to the match report and never put in
an exception message: database errors are reported by SQLSTATE and constraint only.

All SQL of this feature lives here (the CLI and the benchmark call these functions).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import logging
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg.copy import QueuedLibpqWriter

from . import enums
from .address import AMBIGUOUS, MATCHED, UNMATCHED, AddressIndex, Match

log = logging.getLogger(__name__)

SOURCES = tuple(enums.RESIDENT_SOURCE)
PERSONAL_FIELDS = ("name", "id_number", "phone")  # resident_record columns marked personal
MAX_FILE_BYTES = 2 * 1024**3
MAX_ROWS = 5_000_000

# Header names clerks' exports use, per field (matched after removing spaces).
HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "业主姓名", "权利人", "权利人姓名", "户主姓名", "name"),
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "证件号码", "证件号", "id_number"),
    "phone": ("联系电话", "电话", "手机", "手机号", "手机号码", "phone"),
    "address": ("地址", "房屋坐落", "坐落", "户籍地址", "居住地址", "现住址", "住址", "address"),
    "registered_on": ("登记日期", "产权登记日期", "迁入日期", "居住登记日期", "registered_on"),
}
REQUIRED = ("id_number", "address")
REJECTED = "rejected"
R_BAD_ID = "证件号码缺失或格式不符"
R_NO_ADDRESS = "地址为空"
R_BAD_DATE = "登记日期无法识别"
_ID = re.compile(r"^[0-9]{17}[0-9X]$")
_DATE = re.compile(r"^(\d{4})[-/.年]?(\d{1,2})[-/.月]?(\d{1,2})日?$")
_COPY_ESCAPE = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


class ImportFailed(Exception):
    """The import did not land (nothing was written). The message names no person."""


@dataclass(slots=True)
class Row:
    """One record read from a file (1-based ``number`` counts data rows after the header)."""

    number: int
    name: str | None
    id_number: str | None
    phone: str | None
    address: str | None
    registered_on: dt.date | None
    problem: str | None = None


@dataclass(slots=True)
class Outcome:
    """What happened to one row: its match, its key, and a note for the report."""

    row: Row
    match: Match | None
    key: int = 0
    status: str = REJECTED
    note: str = ""


@dataclass
class ImportResult:
    """Counts of an import, for the summary table and the batch row."""

    source: str
    file_name: str
    list_date: dt.date
    import_id: int | None = None
    already_imported: bool = False
    rows_read: int = 0
    new_records: int = 0
    seen_records: int = 0
    duplicates: int = 0
    rejected: int = 0
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys((MATCHED, AMBIGUOUS, UNMATCHED), 0)
    )
    ownership_changes: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    def table(self) -> str:
        """The summary printed by ``geo-service residents import``."""
        label = enums.RESIDENT_SOURCE[self.source]
        n = max(self.rows_read, 1)
        lines = [f"{'结果':<12}{'记录数':>12}{'占比':>9}"]
        for key, text in ((MATCHED, "已匹配"), (AMBIGUOUS, "多个候选"), (UNMATCHED, "未匹配")):
            lines.append(f"{text:<12}{self.counts[key]:>12,}{self.counts[key] / n:>9.2%}")
        lines.append(f"{'拒收':<12}{self.rejected:>12,}{self.rejected / n:>9.2%}")
        lines.append(f"{'文件内重复':<12}{self.duplicates:>12,}{self.duplicates / n:>9.2%}")
        lines.append(f"{'合计读取':<12}{self.rows_read:>12,}")
        lines.append(
            f"新记录 {self.new_records:,}，已有记录再次出现 {self.seen_records:,}，"
            f"业主变动 {self.ownership_changes:,}；来源 {label}，名单日期 {self.list_date}"
        )
        if self.already_imported:
            lines.append(f"此文件已于批次 {self.import_id} 导入，数据库未改变")
        total = sum(self.seconds.values())
        steps = "，".join(f"{k} {v:.1f} s" for k, v in self.seconds.items())
        lines.append(
            f"用时 {total:.1f} s（{steps}），{self.rows_read / max(total, 1e-9):,.0f} 条/秒"
        )
        return "\n".join(lines)


# -- reading files -----------------------------------------------------------------------


def decode(raw: bytes) -> str:
    """Text of a CSV export: UTF-8 (with or without BOM), else GB18030 (which covers
    GBK and GB2312)."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        raise ImportFailed("文件编码无法识别：应为 UTF-8 或 GB18030/GBK") from None


def _columns(header: Sequence[object]) -> dict[str, int]:
    names = [re.sub(r"\s+", "", str(h or "")).lower() for h in header]
    out: dict[str, int] = {}
    for fld, options in HEADERS.items():
        for i, h in enumerate(names):
            if h in options and fld not in out:
                out[fld] = i
    missing = [f for f in REQUIRED if f not in out]
    if missing:
        wanted = "；".join(f"{f}: {'/'.join(HEADERS[f][:4])}" for f in missing)
        raise ImportFailed(f"缺少必需的列（{wanted}）")
    return out


def _text(v: object) -> str | None:
    if v is None:
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)  # phone numbers and ID digits stored as numbers in a spreadsheet
    s = str(v).strip()
    return s or None


def _date(v: object) -> tuple[dt.date | None, bool]:
    if v is None or v == "":
        return None, True
    if isinstance(v, dt.datetime):
        return v.date(), True
    if isinstance(v, dt.date):
        return v, True
    m = _DATE.match(str(v).strip())
    if m:
        try:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))), True
        except ValueError:
            pass
    return None, False


def _rows(header: Sequence[object], body: Iterable[Sequence[object]]) -> list[Row]:
    col = _columns(header)
    idx = [col.get(f, -1) for f in ("name", "id_number", "phone", "address", "registered_on")]
    width = max(idx) + 1
    dates: dict[object, tuple[dt.date | None, bool]] = {}
    out: list[Row] = []
    for n, values in enumerate(body, start=1):
        if n > MAX_ROWS:
            raise ImportFailed(f"文件超过 {MAX_ROWS:,} 行的上限")
        if len(values) < width:
            if not any(v not in (None, "") for v in values):
                continue  # a blank line
            values = [*values, *([None] * (width - len(values)))]
        name, idn, phone, address, reg_raw = (values[i] if i >= 0 else None for i in idx)
        idn = _text(idn)
        idn = idn.upper() if idn else None
        hit = dates.get(reg_raw)
        if hit is None:
            hit = dates[reg_raw] = _date(reg_raw)
        phone = _text(phone)
        row = Row(n, _text(name), idn, phone[:20] if phone else None, _text(address), hit[0])
        if row.address is None:
            if not any(v not in (None, "") for v in values):
                continue
            row.problem = R_NO_ADDRESS
        elif idn is None or not _ID.match(idn):
            row.problem = R_BAD_ID
        elif not hit[1]:
            row.problem = R_BAD_DATE
        out.append(row)
    return out


def read_file(path: Path) -> list[Row]:
    """The rows of a CSV (UTF-8, UTF-8 with BOM, GB18030/GBK) or XLSX file (first sheet)."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ImportFailed(f"文件超过 {MAX_FILE_BYTES // 1024**2} MB 的上限")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        import openpyxl

        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as e:  # noqa: BLE001 - a broken workbook; its text names no person
            raise ImportFailed(f"无法读取 XLSX 文件（{type(e).__name__}）") from None
        try:
            it = wb.worksheets[0].iter_rows(values_only=True)
            header = next(it, None)
            if header is None:
                raise ImportFailed("文件为空")
            return _rows(header, it)
        finally:
            wb.close()
    if path.suffix.lower() not in (".csv", ".txt"):
        raise ImportFailed("只接受 CSV 或 XLSX 文件")
    text = decode(path.read_bytes())
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        raise ImportFailed("文件为空")
    try:
        return _rows(header, reader)
    except csv.Error as e:
        raise ImportFailed(f"CSV 格式错误（第 {reader.line_num} 行，{type(e).__name__}）") from None


# -- the household index ------------------------------------------------------------------


def build_index(conn: psycopg.Connection, district_code: str) -> AddressIndex:
    """The address index of a district: compounds with aliases, streets, communities and
    every household with its building, unit and room."""
    d = {"d": district_code}
    compounds = conn.execute(
        "SELECT id, name, street_code, community_code FROM compound WHERE district_code = %(d)s",
        d,
    ).fetchall()
    aliases = conn.execute(
        "SELECT compound_id, alias FROM compound_alias WHERE district_code = %(d)s", d
    ).fetchall()
    areas = conn.execute(
        "SELECT street_code, name FROM street WHERE district_code = %(d)s "
        "UNION ALL SELECT community_code, name FROM community WHERE district_code = %(d)s",
        d,
    ).fetchall()
    districts = [
        r[0] for r in conn.execute("SELECT name FROM district WHERE district_code = %(d)s", d)
    ]
    with conn.cursor() as cur:
        cur.execute(
            "SELECT h.id, h.compound_id, b.number, u.number, h.room FROM household h "
            "JOIN unit u ON u.id = h.unit_id JOIN building b ON b.id = u.building_id "
            "WHERE h.district_code = %(d)s",
            d,
        )
        households = cur.fetchall()
    return AddressIndex.build(compounds, aliases, households, areas, districts or ["拱墅区"])


# -- matching ------------------------------------------------------------------------------


def record_key(source: str, id_number: str, canonical: str) -> int:
    """A signed 64-bit key of (source, ID number, canonical address)."""
    h = hashlib.blake2b(f"{source}|{id_number}|{canonical}".encode(), digest_size=8).digest()
    return int.from_bytes(h, "big", signed=True)


def match_rows(
    rows: Sequence[Row],
    source: str,
    index: AddressIndex,
    tick: Callable[[int], None] | None = None,
    first: dict[int, int] | None = None,
) -> list[Outcome]:
    """Match every row; rows of the same record (same key) after the first are duplicates
    (``first`` maps keys to the first row number, shared across chunks of one file)."""
    out: list[Outcome] = []
    first = {} if first is None else first
    for i, row in enumerate(rows):
        if row.problem is not None:
            out.append(Outcome(row, None, status=REJECTED, note=row.problem))
        else:
            m = index.match(row.address)
            key = record_key(source, row.id_number or "", m.canonical or row.address or "")
            o = Outcome(row, m, key, m.status)
            prev = first.setdefault(key, row.number)
            if prev != row.number:
                o.note = f"文件内重复（同第 {prev} 行）"
            out.append(o)
        if tick is not None and i % 10_000 == 9_999:
            tick(10_000)
    if tick is not None:
        tick(len(rows) % 10_000)
    return out


def write_report(path: Path, outcomes: list[Outcome]) -> None:
    """The match report (UTF-8 with BOM, opens in Excel): one line per row, no personal
    fields."""
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            ["行号", "结果", "户编号", "小区编号", "候选户", "原因", "规范地址", "原始地址", "备注"]
        )
        labels = {MATCHED: "已匹配", AMBIGUOUS: "多个候选", UNMATCHED: "未匹配", REJECTED: "拒收"}
        for o in outcomes:
            m = o.match
            w.writerow([
                o.row.number,
                labels[o.status],
                m.household_id if m and m.household_id else "",
                m.compound_id if m and m.compound_id else "",
                " ".join(map(str, m.candidates)) if m else "",
                (m.reason or "") if m else o.note,
                m.canonical if m else "",
                o.row.address or "",
                o.note if m else "",
            ])  # fmt: skip


# -- writing ----------------------------------------------------------------------------------

CHUNK_ROWS = 50_000


def _count(res: ImportResult, outcomes: list[Outcome]) -> None:
    for o in outcomes:
        if o.status == REJECTED:
            res.rejected += 1
        elif o.note:
            res.duplicates += 1
        else:
            res.counts[o.status] += 1


_COPY_COLUMNS = (
    "id, district_code, street_code, community_code, compound_id, household_id, source, "
    "first_import_id, row_number, record_key, raw_address, canonical_address, "
    "status, candidates, reason, name, id_number, phone, registered_on"
)

# Households of this batch whose owners differ from the owners known before, with an
# owner registered after the previous owner list (or no registration dates at all): an
# owner who merely failed to match last time is no change. Record the change (dated by
# the newest registration, else the list's date) and end the previous owners' records.
# A household an ambiguous owner record of the list may belong to gets no verdict. Only
# households with a new owner record or an old one missing from the list are compared.
_OWNERSHIP_SQL = """
WITH seen AS MATERIALIZED (
    SELECT record_id FROM resident_sighting WHERE import_id = %(b)s),
cand AS MATERIALIZED (  -- only these can differ: a new owner record, or an old one not seen
    SELECT household_id FROM resident_record
    WHERE district_code = %(d)s AND source = 'owner' AND status = 'matched'
      AND first_import_id = %(b)s
    UNION
    SELECT r.household_id FROM resident_record r
    WHERE r.district_code = %(d)s AND r.source = 'owner' AND r.status = 'matched'
      AND r.ended_on IS NULL AND r.first_import_id <> %(b)s
      AND NOT EXISTS (SELECT 1 FROM seen WHERE seen.record_id = r.id)),
new AS MATERIALIZED (
    SELECT household_id, array_agg(id ORDER BY id) AS ids,
           array_agg(DISTINCT id_number ORDER BY id_number) AS people,
           bool_or(registered_on IS NULL) AS undated,
           max(registered_on) FILTER (WHERE registered_on > %(prev)s) AS reg
    FROM resident_record
    WHERE district_code = %(d)s AND source = 'owner' AND status = 'matched'
      AND household_id IN (SELECT household_id FROM cand)
      AND id IN (SELECT record_id FROM seen)
    GROUP BY household_id),
old AS MATERIALIZED (
    SELECT r.household_id, array_agg(r.id ORDER BY r.id) AS ids,
           array_agg(DISTINCT r.id_number ORDER BY r.id_number) AS people
    FROM resident_record r
    WHERE r.district_code = %(d)s AND r.source = 'owner' AND r.status = 'matched'
      AND r.ended_on IS NULL AND r.first_import_id <> %(b)s
      AND r.household_id IN (SELECT household_id FROM new)
    GROUP BY r.household_id),
amb AS MATERIALIZED (
    SELECT DISTINCT unnest(candidates) AS household_id FROM resident_record
    WHERE district_code = %(d)s AND source = 'owner' AND status = 'ambiguous'
      AND id IN (SELECT record_id FROM seen)),
ch AS MATERIALIZED (
    SELECT new.household_id, coalesce(new.reg, %(list_date)s) AS changed_on,
           old.ids AS prev, new.ids AS cur
    FROM new JOIN old USING (household_id)
    WHERE new.people <> old.people AND (new.reg IS NOT NULL OR new.undated)
      AND NOT EXISTS (SELECT 1 FROM amb WHERE amb.household_id = new.household_id)),
ins AS (
    INSERT INTO ownership_change (district_code, street_code, community_code, compound_id,
                                  household_id, changed_on, import_id, previous_record_ids,
                                  new_record_ids)
    SELECT %(d)s, c.street_code, c.community_code, c.id, ch.household_id, ch.changed_on,
           %(b)s, ch.prev, ch.cur
    FROM ch JOIN household h ON h.id = ch.household_id JOIN compound c ON c.id = h.compound_id
    RETURNING household_id, changed_on),
ended AS (
    UPDATE resident_record r SET ended_on = ins.changed_on
    FROM ins
    WHERE r.household_id = ins.household_id AND r.district_code = %(d)s
      AND r.source = 'owner' AND r.status = 'matched' AND r.ended_on IS NULL
      AND NOT EXISTS (SELECT 1 FROM seen WHERE seen.record_id = r.id)
    RETURNING 1)
SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM ended)
"""


def _esc(v: str) -> str:
    """COPY text escaping, only where needed (clerks' text seldom holds tabs or \\)."""
    if "\\" in v or "\t" in v or "\n" in v or "\r" in v:
        return v.translate(_COPY_ESCAPE)
    return v


def _copy_line(o: Outcome, rid: int, ctx: tuple, area: dict[int, tuple[str, str]]) -> str:
    district, source, b = ctx
    m = o.match
    assert m is not None
    row = o.row
    street, community = area.get(m.compound_id, ("\\N", "\\N")) if m.compound_id else ("\\N", "\\N")
    return "\t".join((
        str(rid), district, street, community,
        str(m.compound_id) if m.compound_id else "\\N",
        str(m.household_id) if m.household_id else "\\N",
        source, b, str(row.number), str(o.key),
        _esc(row.address or ""),
        _esc(m.canonical),
        m.status,
        "{" + ",".join(map(str, m.candidates)) + "}" if m.status == AMBIGUOUS else "\\N",
        m.reason if m.reason else "\\N",
        _esc(row.name) if row.name else "\\N",
        row.id_number or "\\N",
        _esc(row.phone) if row.phone else "\\N",
        row.registered_on.isoformat() if row.registered_on else "\\N",
    )) + "\n"  # fmt: skip


def _db_error(e: psycopg.Error) -> ImportFailed:
    """A database error without its message or detail (they may quote a row)."""
    diag = e.diag
    what = ", ".join(x for x in (diag.sqlstate, diag.constraint_name, diag.table_name) if x)
    return ImportFailed(f"数据库拒绝了导入（{what or type(e).__name__}），未写入任何记录")


def import_records(
    conn: psycopg.Connection,
    path: Path,
    source: str,
    district_code: str,
    list_date: dt.date | None = None,
    report: Path | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> ImportResult:
    """Import one department file in one transaction (``conn`` must not be in one).

    ``progress(stage, done, total)`` is called as rows are read, matched and written.
    Raises :class:`ImportFailed` (nothing written) when the file or the database refuses.
    """
    if source not in SOURCES:
        raise ImportFailed(f"来源应为 {'/'.join(SOURCES)}")
    list_date = list_date or dt.date.today()
    res = ImportResult(source, path.name, list_date)
    t0 = time.perf_counter()
    raw = path.read_bytes() if path.stat().st_size <= MAX_FILE_BYTES else b""
    sha = hashlib.sha256(raw).hexdigest()
    del raw
    rows = read_file(path)
    res.rows_read = len(rows)
    res.seconds["读取"] = time.perf_counter() - t0
    if progress:
        progress("read", len(rows), len(rows))
    log.info("read %d rows from %s (%s)", len(rows), path.name, source)
    try:
        return _import(conn, rows, res, sha, source, district_code, report, progress)
    except psycopg.Error as e:
        log.warning("import of %s failed: SQLSTATE %s", path.name, e.diag.sqlstate)
        failure = _db_error(e)
    raise failure  # outside the handler: the database's message is not even its context


def _import(
    conn: psycopg.Connection,
    rows: list[Row],
    res: ImportResult,
    sha: str,
    source: str,
    district_code: str,
    report: Path | None,
    progress: Callable[[str, int, int], None] | None,
) -> ImportResult:
    t = time.perf_counter()
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('geo_service.resident_import'))")
        done = conn.execute(
            "SELECT id FROM resident_import WHERE district_code = %s AND source = %s "
            "AND file_sha256 = %s",
            (district_code, source, sha),
        ).fetchone()
        if source == "owner" and done is None:
            last = conn.execute(
                "SELECT max(list_date) FROM resident_import WHERE district_code = %s "
                "AND source = 'owner'",
                (district_code,),
            ).fetchone()[0]
            if last is not None and res.list_date < last:
                raise ImportFailed(
                    f"名单日期 {res.list_date} 早于已导入的业主名单（{last}）：业主变动按时间先后计算"
                )
        index = build_index(conn, district_code)
        res.seconds["索引"] = time.perf_counter() - t
        t = time.perf_counter()
        tick = (lambda k: progress("match", k, len(rows))) if progress else None
        if done is not None:  # the same file again: report, change nothing
            outcomes = match_rows(rows, source, index, tick)
            _count(res, outcomes)
            res.seconds["匹配"] = time.perf_counter() - t
            if report is not None:
                write_report(report, outcomes)
            res.import_id, res.already_imported = done[0], True
            return res
        b = conn.execute(
            "INSERT INTO resident_import (district_code, source, file_name, file_sha256, "
            "list_date, rows_read, new_records, seen_records, matched, ambiguous, unmatched, "
            "rejected, duplicates, ownership_changes) "
            "VALUES (%s, %s, %s, %s, %s, %s, 0, 0, 0, 0, 0, 0, 0, 0) RETURNING id",
            (district_code, source, res.file_name, sha, res.list_date, res.rows_read),
        ).fetchone()[0]
        res.import_id = b
        # Records already known for this source: key -> (id, ended, name, phone, date).
        known = {
            r[0]: r[1:]
            for r in conn.execute(
                "SELECT record_key, id, ended_on IS NOT NULL, name, phone, registered_on "
                "FROM resident_record WHERE district_code = %s AND source = %s",
                (district_code, source),
            )
        }
        # Ids for the new records, reserved at once (a gap where rows are not new).
        last = conn.execute(
            "SELECT setval(s, nextval(s) + %s) FROM pg_get_serial_sequence('resident_record', "
            "'id') AS s",
            (len(rows),),
        ).fetchone()[0]
        next_id = last - len(rows)
        # Match a chunk, hand it to COPY, match the next while the server writes this one.
        ctx = (district_code, source, str(b))
        first: dict[int, int] = {}
        outcomes: list[Outcome] = []
        seen: list[Outcome] = []
        sightings: list[str] = []
        with conn.cursor() as cur:
            # A writer thread sends the data: the server copies while the next chunk matches.
            with cur.copy(
                f"COPY resident_record ({_COPY_COLUMNS}) FROM STDIN",
                writer=QueuedLibpqWriter(cur),
            ) as copy:
                for lo in range(0, len(rows), CHUNK_ROWS):
                    part = match_rows(rows[lo : lo + CHUNK_ROWS], source, index, tick, first)
                    outcomes.extend(part)
                    lines = []
                    for o in part:
                        if o.status == REJECTED or o.note:
                            continue
                        k = known.get(o.key)
                        if k is None:
                            lines.append(_copy_line(o, next_id, ctx, index.compound_area))
                            sightings.append(f"{district_code}\t{b}\t{next_id}\t{o.row.number}\n")
                            next_id += 1
                        else:
                            seen.append(o)
                            sightings.append(f"{district_code}\t{b}\t{k[0]}\t{o.row.number}\n")
                    res.new_records += len(lines)
                    copy.write("".join(lines))
            with cur.copy(
                "COPY resident_sighting (district_code, import_id, record_id, row_number) FROM STDIN",
                writer=QueuedLibpqWriter(cur),
            ) as copy:
                for lo in range(0, len(sightings), CHUNK_ROWS):
                    copy.write("".join(sightings[lo : lo + CHUNK_ROWS]))
            res.seen_records = len(seen)
            _count(res, outcomes)
            res.seconds["匹配与写入"] = time.perf_counter() - t
            t = time.perf_counter()
            cur.execute("ANALYZE resident_record")  # fresh rows: plan the joins below on facts
            cur.execute("ANALYZE resident_sighting")
            # Records seen again: only those that changed (a new phone, back after they
            # had ended) are rewritten.
            changed = []
            for o in seen:
                rid, ended, name, phone, reg = known[o.key]
                r = o.row
                if ended or name != r.name or phone != r.phone or (r.registered_on or reg) != reg:
                    changed.append((rid, r.name, r.phone, r.registered_on))
            if changed:
                cur.execute(
                    "CREATE TEMP TABLE changed_record (id bigint, name text, phone text, "
                    "registered_on date) ON COMMIT DROP"
                )
                with cur.copy("COPY changed_record FROM STDIN") as copy:
                    for row in changed:
                        copy.write_row(row)
                cur.execute(
                    "UPDATE resident_record r SET name = c.name, phone = c.phone, "
                    "registered_on = coalesce(c.registered_on, r.registered_on), ended_on = NULL "
                    "FROM changed_record c WHERE r.id = c.id"
                )
            if source == "owner":
                prev = cur.execute(
                    "SELECT max(list_date) FROM resident_import WHERE district_code = %s "
                    "AND source = 'owner' AND id <> %s",
                    (district_code, b),
                ).fetchone()[0]
                if prev is not None:
                    params = {"b": b, "d": district_code, "list_date": res.list_date, "prev": prev}
                    res.ownership_changes = cur.execute(_OWNERSHIP_SQL, params).fetchone()[0]
            cur.execute(
                "UPDATE resident_import SET new_records = %s, seen_records = %s, matched = %s, "
                "ambiguous = %s, unmatched = %s, rejected = %s, duplicates = %s, "
                "ownership_changes = %s WHERE id = %s",
                (res.new_records, res.seen_records, res.counts[MATCHED], res.counts[AMBIGUOUS],
                 res.counts[UNMATCHED], res.rejected, res.duplicates, res.ownership_changes, b),
            )  # fmt: skip
        res.seconds["变动与提交"] = time.perf_counter() - t
    if report is not None:
        t = time.perf_counter()
        write_report(report, outcomes)
        res.seconds["报告"] = time.perf_counter() - t
    log.info(
        "import %d (%s): %d new, %d seen again, %d matched, %d ambiguous, %d unmatched, "
        "%d rejected, %d ownership changes",
        b, source, res.new_records, res.seen_records, res.counts[MATCHED],
        res.counts[AMBIGUOUS], res.counts[UNMATCHED], res.rejected, res.ownership_changes,
    )  # fmt: skip
    return res


# -- reading back ------------------------------------------------------------------------------


def ownership_changes(
    conn: psycopg.Connection,
    compound_id: int | None = None,
    since: dt.date | None = None,
) -> list[dict]:
    """业主变动: changes (newest first) with the household's address; no personal fields."""
    rows = conn.execute(
        """SELECT oc.id, oc.compound_id, oc.household_id, b.number AS building, u.number AS unit,
                  h.room, oc.changed_on, oc.import_id,
                  cardinality(oc.previous_record_ids) AS previous_owners,
                  cardinality(oc.new_record_ids) AS new_owners
           FROM ownership_change oc
           JOIN household h ON h.id = oc.household_id
           JOIN unit u ON u.id = h.unit_id JOIN building b ON b.id = u.building_id
           WHERE (%(c)s::int IS NULL OR oc.compound_id = %(c)s)
             AND (%(s)s::date IS NULL OR oc.changed_on >= %(s)s)
           ORDER BY oc.changed_on DESC, oc.id""",
        {"c": compound_id, "s": since},
    )
    cols = [d.name for d in rows.description]
    return [dict(zip(cols, r, strict=True)) for r in rows]
