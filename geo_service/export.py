"""Whole-layer file exports (GeoJSON, GeoPackage, CSV) streamed with constant memory.

Rows come from ``feature_queries.stream`` (a server-side cursor, a few thousand rows at a
time) and leave as chunks: the GeoJSON and CSV bodies are written as they are read; a
GeoPackage is written chunk by chunk into a temporary SQLite file (GeoPackage is SQLite:
tables, the geometry blob is a small header plus WKB, an R-tree spatial index) which is
then streamed and deleted. Only the layer's public fields are written.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import queue
import sqlite3
import struct
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from . import feature_queries
from .crs import CRS84
from .feature_queries import FeatureQuery

FORMATS = {
    "geojson": "application/geo+json",
    "gpkg": "application/geopackage+sqlite3",
    "csv": "text/csv; charset=utf-8",
}
CHUNK_ROWS = 5000
FILE_CHUNK = 1 << 20
MAX_WORKERS = 4
QUEUE_CHUNKS = 2
_DONE = object()
Progress = Callable[[int], None] | None


def workers_for(q: FeatureQuery) -> int:
    """How many server-side cursors read a layer in parallel: one per core (at most
    ``MAX_WORKERS``) for layers with an integer key, else one."""
    if feature_queries.key_type(q.layer) != "integer":
        return 1
    return max(1, min(MAX_WORKERS, os.cpu_count() or 1))


def _produce(
    engine: sa.Engine,
    q: FeatureQuery,
    fmt: str,
    shape: Callable[[list], object],
    out: queue.Queue,
    stop: threading.Event,
    chunk_rows: int = CHUNK_ROWS,
) -> None:
    """Read ``q`` through a server-side cursor into ``out`` (bounded) until done or told
    to stop; ends with ``_DONE`` or the exception that stopped it."""

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                out.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    try:
        with engine.connect() as conn:
            for part in feature_queries.stream(conn, q, fmt, chunk_rows, raw_text=fmt == "geojson"):
                if not put((len(part), shape(part))):
                    return
        put(_DONE)
    except BaseException as e:  # handed to the consumer, which re-raises it
        put(e)


def _chunks(
    engine: sa.Engine,
    q: FeatureQuery,
    fmt: str,
    shape: Callable[[list], object],
    progress: Progress,
    workers: int | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> Iterator[object]:
    """Shaped chunks of every row of ``q``, read by ``workers`` server-side cursors on
    disjoint parts of the key space (``key % workers``), in the order they arrive.

    The readers share a queue of at most ``QUEUE_CHUNKS`` chunks per reader, so memory
    stays bounded whatever the layer's size; closing the iterator stops the readers.
    """
    n = workers or workers_for(q)
    stop = threading.Event()
    out: queue.Queue = queue.Queue(maxsize=QUEUE_CHUNKS * n)
    threads = [
        threading.Thread(
            target=_produce,
            args=(
                engine,
                replace(q, partition=(i, n)) if n > 1 else q,
                fmt,
                shape,
                out,
                stop,
                chunk_rows,
            ),
            daemon=True,
        )
        for i in range(n)
    ]
    for t in threads:
        t.start()
    try:
        running = n
        while running:
            item = out.get()
            if item is _DONE:
                running -= 1
            elif isinstance(item, BaseException):
                raise item
            else:
                count, payload = item
                yield payload
                if progress:
                    progress(count)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)


def _primed(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Run the generator up to its first chunk now, so that query errors surface before a
    response has started; then hand back an iterator over every chunk."""
    first = next(chunks, None)

    def gen() -> Iterator[bytes]:
        try:
            if first is not None:
                yield first
            yield from chunks
        finally:
            chunks.close()  # type: ignore[attr-defined]

    return gen()


# -- GeoJSON -------------------------------------------------------------------------------
def _geojson(engine: sa.Engine, q: FeatureQuery, progress: Progress) -> Iterator[bytes]:
    parts = _chunks(engine, q, "geojson", lambda rows: b",\n".join(r[1] for r in rows), progress)
    try:
        first = next(parts, None)  # runs the query before anything is sent
        head: dict[str, object] = {"type": "FeatureCollection", "name": q.layer.id}
        if q.crs != CRS84:
            head["crs"] = {"type": "name", "properties": {"name": q.crs.uri}}
        yield (json.dumps(head, ensure_ascii=False)[:-1] + ',"features":[\n').encode()
        if first:
            yield first
        for part in parts:
            if part:
                yield b",\n" + part
        yield b"\n]}\n"
    finally:
        parts.close()


def geojson_chunks(
    engine: sa.Engine, q: FeatureQuery, progress: Progress = None
) -> Iterator[bytes]:
    """A GeoJSON FeatureCollection (RFC 7946 for CRS84; x/y order always), in chunks."""
    return _primed(_geojson(engine, q, progress))


# -- CSV -----------------------------------------------------------------------------------
def csv_header(q: FeatureQuery) -> list[str]:
    """``id`` (the feature id: the key, e.g. a street code), the fields, ``WKT``."""
    return ["id", *q.fields, "WKT"]


def csv_text(rows: list, header: list[str] | None = None) -> str:
    """Rows (key, text columns..., WKT) as CSV text, with the header line first if given."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    if header:
        w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def _csv(engine: sa.Engine, q: FeatureQuery, progress: Progress) -> Iterator[bytes]:
    parts = _chunks(engine, q, "csv", lambda rows: csv_text(rows).encode(), progress)
    try:
        first = next(parts, b"")
        yield ("\ufeff" + csv_text([], csv_header(q))).encode() + first
        yield from parts
    finally:
        parts.close()


def csv_chunks(engine: sa.Engine, q: FeatureQuery, progress: Progress = None) -> Iterator[bytes]:
    """CSV with a UTF-8 BOM (so spreadsheet programs read the Chinese), geometry as WKT."""
    return _primed(_csv(engine, q, progress))


# -- GeoPackage ----------------------------------------------------------------------------
_GPKG_TYPES = {
    "string": "TEXT",
    "integer": "INTEGER",
    "number": "REAL",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "datetime": "DATETIME",
}
_UNDEFINED_SRS = [
    ("Undefined cartesian SRS", -1, "NONE", -1, "undefined", "undefined cartesian coordinate reference system"),
    ("Undefined geographic SRS", 0, "NONE", 0, "undefined", "undefined geographic coordinate reference system"),
]  # fmt: skip
_RTREE_TRIGGERS = """
CREATE TRIGGER "rtree_{t}_geom_insert" AFTER INSERT ON "{t}"
WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom)) BEGIN
  INSERT OR REPLACE INTO "rtree_{t}_geom" VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
END;
CREATE TRIGGER "rtree_{t}_geom_update1" AFTER UPDATE OF geom ON "{t}"
WHEN OLD.fid = NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom)) BEGIN
  INSERT OR REPLACE INTO "rtree_{t}_geom" VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
END;
CREATE TRIGGER "rtree_{t}_geom_update2" AFTER UPDATE OF geom ON "{t}"
WHEN OLD.fid = NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom)) BEGIN
  DELETE FROM "rtree_{t}_geom" WHERE id = OLD.fid;
END;
CREATE TRIGGER "rtree_{t}_geom_update3" AFTER UPDATE ON "{t}"
WHEN OLD.fid != NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom)) BEGIN
  DELETE FROM "rtree_{t}_geom" WHERE id = OLD.fid;
  INSERT OR REPLACE INTO "rtree_{t}_geom" VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
END;
CREATE TRIGGER "rtree_{t}_geom_update4" AFTER UPDATE ON "{t}"
WHEN OLD.fid != NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom)) BEGIN
  DELETE FROM "rtree_{t}_geom" WHERE id IN (OLD.fid, NEW.fid);
END;
CREATE TRIGGER "rtree_{t}_geom_delete" AFTER DELETE ON "{t}"
WHEN old.geom NOT NULL BEGIN
  DELETE FROM "rtree_{t}_geom" WHERE id = OLD.fid;
END;
"""


def gpkg_geometry(
    wkb: bytes, srs_id: int, bounds: tuple[float, float, float, float] | None
) -> bytes:
    """A GeoPackage geometry blob: 'GP', version 0, flags (little-endian header, with an
    xy envelope minx, maxx, miny, maxy when ``bounds`` is given), srs_id, then WKB."""
    if bounds is None:
        return b"GP\x00\x01" + struct.pack("<i", srs_id) + wkb
    return b"GP\x00\x03" + struct.pack("<i4d", srs_id, *bounds) + wkb


def _gpkg_value(value: object, type_: str) -> object:
    if value is None:
        return None
    if type_ == "datetime" and isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    if type_ == "date" and isinstance(value, dt.date):
        return value.isoformat()
    if type_ == "boolean":
        return int(bool(value))
    if isinstance(value, Decimal):
        return float(value)
    return value


def write_gpkg(engine: sa.Engine, q: FeatureQuery, path: Path, progress: Progress = None) -> int:
    """Write the query's features to a new GeoPackage at ``path``; returns the count.

    Coordinates are x/y (longitude first) as GeoPackage requires, in ``q.crs``.
    """
    layer = q.layer
    table = layer.id
    srs_id = q.crs.srid
    fields = [layer.field(n) for n in q.fields]
    with engine.connect() as conn:
        srs_rows = [(4326, feature_queries.srs_definition(conn, 4326))]
        if srs_id != 4326:
            srs_rows.append((srs_id, feature_queries.srs_definition(conn, srs_id)))
    db = sqlite3.connect(path)
    try:
        db.executescript(
            """
            PRAGMA application_id = 1196444487;
            PRAGMA user_version = 10300;
            PRAGMA journal_mode = OFF;
            PRAGMA synchronous = OFF;
            CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY,
              organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL,
              definition TEXT NOT NULL, description TEXT);
            CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY,
              data_type TEXT NOT NULL, identifier TEXT UNIQUE, description TEXT DEFAULT '',
              last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
              min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
              CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
            CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,
              geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL,
              m TINYINT NOT NULL, CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
              CONSTRAINT uk_gc_table_name UNIQUE (table_name),
              CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
              CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
            CREATE TABLE gpkg_extensions (table_name TEXT, column_name TEXT,
              extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL,
              CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
            """
        )
        db.executemany("INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)", _UNDEFINED_SRS)
        for srid, wkt in srs_rows:
            name = wkt.split('"')[1] if '"' in wkt else f"EPSG:{srid}"
            db.execute(
                "INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, 'EPSG', ?, ?, ?)",
                (name, srid, srid, wkt, name),
            )
        cols = ", ".join(f'"{f.name}" {_GPKG_TYPES[f.type]}' for f in fields)
        gtype = layer.geometry_type.upper()
        db.execute(
            f'CREATE TABLE "{table}" (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom {gtype}'
            f"{', ' + cols if cols else ''})"
        )
        db.execute(
            f'CREATE VIRTUAL TABLE "rtree_{table}_geom" USING rtree(id, minx, maxx, miny, maxy)'
        )
        integer_key = layer.key == "id"
        placeholders = ", ".join("?" for _ in range(len(fields) + 2))
        insert = f'INSERT INTO "{table}" VALUES ({placeholders})'
        point = layer.geometry_type == "Point"
        n = 0
        box = [float("inf"), float("inf"), float("-inf"), float("-inf")]
        for part in _chunks(engine, q, "gpkg", list, progress):
            batch, index = [], []
            for i, row in enumerate(part, start=n + 1):
                key, values, (wkb, x0, x1, y0, y1) = row[0], row[1:-5], row[-5:]
                fid = key if integer_key else i
                geom = gpkg_geometry(bytes(wkb), srs_id, None if point else (x0, x1, y0, y1))
                batch.append(
                    (
                        fid,
                        geom,
                        *(_gpkg_value(v, f.type) for v, f in zip(values, fields, strict=True)),
                    )
                )
                index.append((fid, x0, x1, y0, y1))
                box = [min(box[0], x0), min(box[1], y0), max(box[2], x1), max(box[3], y1)]
            db.executemany(insert, batch)
            db.executemany(f'INSERT INTO "rtree_{table}_geom" VALUES (?, ?, ?, ?, ?)', index)
            n += len(part)
        extent = box if n else [None] * 4
        db.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, "
            "min_x, min_y, max_x, max_y, srs_id) VALUES (?, 'features', ?, ?, ?, ?, ?, ?, ?)",
            (table, layer.title, f"{layer.description} ({layer.title_en})", *extent, srs_id),
        )
        db.execute(
            "INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', ?, ?, 0, 0)",
            (table, gtype, srs_id),
        )
        db.execute(
            "INSERT INTO gpkg_extensions VALUES (?, 'geom', 'gpkg_rtree_index', "
            "'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')",
            (table,),
        )
        db.executescript(_RTREE_TRIGGERS.format(t=table))
        db.commit()
    finally:
        db.close()
    return n


def _gpkg(engine: sa.Engine, q: FeatureQuery, progress: Progress) -> Iterator[bytes]:
    fd, name = tempfile.mkstemp(prefix=f"export-{q.layer.id}-", suffix=".gpkg")
    os.close(fd)
    path = Path(name)
    try:
        path.unlink()
        write_gpkg(engine, q, path, progress)
        with path.open("rb") as f:
            while chunk := f.read(FILE_CHUNK):
                yield chunk
    finally:
        path.unlink(missing_ok=True)


def gpkg_chunks(engine: sa.Engine, q: FeatureQuery, progress: Progress = None) -> Iterator[bytes]:
    """A GeoPackage file, written to a temporary file first, then streamed and removed."""
    return _primed(_gpkg(engine, q, progress))


CHUNKS = {"geojson": geojson_chunks, "gpkg": gpkg_chunks, "csv": csv_chunks}


def chunks(
    engine: sa.Engine, q: FeatureQuery, fmt: str, progress: Progress = None
) -> Iterator[bytes]:
    """The export of ``q`` as ``fmt`` (geojson, gpkg or csv), in chunks of bytes."""
    return CHUNKS[fmt](engine, q, progress)
