"""Safe handling of uploaded or imported files: size limits and zip archives checked from
their directory before anything is extracted.

Used by ``geo-service boundaries import`` (issue 3) and meant for HTTP uploads (issue 7):
:class:`UploadRejected` carries the HTTP status to answer with (413 when a limit is
exceeded, 400/415 when the file is unacceptable).
"""

from __future__ import annotations

import shutil
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

__all__ = [
    "Limits",
    "UploadRejected",
    "check_file_size",
    "inspect_zip",
    "safe_extract",
    "opened_dataset",
    "check_counts",
]

MB = 1024 * 1024
# Names of archives and compressed files that may not sit inside an uploaded zip.
NESTED_ARCHIVE_SUFFIXES = (
    ".zip", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".tar", ".zst", ".lz", ".lzma", ".z",
    ".kmz",
)  # fmt: skip
ARCHIVE_MAGIC = (b"PK\x03\x04", b"\x1f\x8b", b"7z\xbc\xaf", b"Rar!", b"BZh", b"\xfd7zXZ")


@dataclass(frozen=True)
class Limits:
    """What an import accepts. Every limit is checked before the expensive step it guards:
    file bytes before reading, the zip directory before extracting, the feature count
    from the layer's header before reading features."""

    max_file_bytes: int = 50 * MB
    max_uncompressed_bytes: int = 200 * MB
    max_ratio: float = 100.0  # uncompressed / compressed, per member and overall
    max_members: int = 64
    max_features: int = 20_000
    max_vertices: int = 2_000_000
    max_feature_vertices: int = 100_000


class UploadRejected(ValueError):
    """A file the service will not take; ``status`` is the HTTP answer (413 too large)."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


def check_file_size(path: Path, limits: Limits) -> int:
    """The file's size in bytes, or UploadRejected (413) above ``max_file_bytes``."""
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise UploadRejected(
            f"file is {size:,} bytes; the limit is {limits.max_file_bytes:,}", status=413
        )
    return size


def _member_path(name: str) -> PurePosixPath:
    p = PurePosixPath(name.replace("\\", "/"))
    if p.is_absolute() or ".." in p.parts or (p.parts and p.parts[0].endswith(":")):
        raise UploadRejected(f"zip member {name!r} has an unsafe path")
    return p


def inspect_zip(path: Path, limits: Limits) -> list[zipfile.ZipInfo]:
    """Check a zip from its central directory only (nothing is decompressed): member
    count, total uncompressed size, compression ratios, unsafe paths, links, encryption
    and nested archives. Returns the file members."""
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise UploadRejected("not a valid zip file", status=415) from None
    with zf:
        infos = zf.infolist()
    if len(infos) > limits.max_members:
        raise UploadRejected(
            f"zip holds {len(infos)} entries; the limit is {limits.max_members}", status=413
        )
    files, total, packed = [], 0, 0
    for info in infos:
        p = _member_path(info.filename)
        if info.is_dir():
            continue
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise UploadRejected(f"zip member {info.filename!r} is a symbolic link")
        if info.flag_bits & 0x1:
            raise UploadRejected(f"zip member {info.filename!r} is encrypted")
        if p.name.lower().endswith(NESTED_ARCHIVE_SUFFIXES):
            raise UploadRejected(f"zip member {info.filename!r} is an archive: nested archives are refused")  # fmt: skip
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > MB and ratio > limits.max_ratio:
            raise UploadRejected(
                f"zip member {info.filename!r} expands {ratio:,.0f}-fold "
                f"(limit {limits.max_ratio:,.0f}): refused as a zip bomb",
                status=413,
            )
        total += info.file_size
        packed += info.compress_size
        files.append(info)
    if total > limits.max_uncompressed_bytes:
        raise UploadRejected(
            f"zip expands to {total:,} bytes; the limit is {limits.max_uncompressed_bytes:,}",
            status=413,
        )
    if total > MB and total / max(packed, 1) > limits.max_ratio:
        raise UploadRejected(
            f"zip expands {total / max(packed, 1):,.0f}-fold overall "
            f"(limit {limits.max_ratio:,.0f}): refused as a zip bomb",
            status=413,
        )
    return files


def safe_extract(path: Path, dest: Path, limits: Limits) -> list[Path]:
    """Extract a zip checked by :func:`inspect_zip` into ``dest``, counting the bytes
    actually written (a directory that lies about sizes is caught too). Returns the
    extracted files."""
    members = inspect_zip(path, limits)
    written = 0
    out: list[Path] = []
    with zipfile.ZipFile(path) as zf:
        for info in members:
            target = dest.joinpath(*_member_path(info.filename).parts)
            if dest.resolve() not in target.resolve().parents:
                raise UploadRejected(f"zip member {info.filename!r} has an unsafe path")
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, target.open("wb") as dst:
                head = True
                while chunk := src.read(1 << 16):
                    if head and chunk.startswith(ARCHIVE_MAGIC):
                        raise UploadRejected(
                            f"zip member {info.filename!r} is an archive: nested archives are refused"
                        )
                    head = False
                    written += len(chunk)
                    if written > limits.max_uncompressed_bytes:
                        raise UploadRejected(
                            f"zip expands beyond {limits.max_uncompressed_bytes:,} bytes",
                            status=413,
                        )
                    dst.write(chunk)
            out.append(target)
    return out


@contextmanager
def opened_dataset(
    path: Path, limits: Limits, suffixes: tuple[str, ...] = (".geojson", ".json", ".shp", ".gpkg")
) -> Iterator[Path]:
    """The dataset to read from ``path``: the file itself, or for a ``.zip`` the one
    dataset inside it (extracted safely into a temporary directory removed afterwards)."""
    path = Path(path)
    if not path.is_file():
        raise UploadRejected(f"no such file: {path}", status=404)
    check_file_size(path, limits)
    if path.suffix.lower() != ".zip":
        if path.suffix.lower() not in suffixes:
            raise UploadRejected(
                f"unsupported file type {path.suffix or '(none)'}; expected "
                f"{', '.join(suffixes)} or a .zip",
                status=415,
            )
        yield path
        return
    tmp = Path(tempfile.mkdtemp(prefix="gs-upload-"))
    try:
        files = safe_extract(path, tmp, limits)
        found = [
            f
            for f in files
            if f.suffix.lower() in suffixes
            and not f.name.startswith(("._", "."))
            and "__MACOSX" not in f.parts
        ]
        if len(found) != 1:
            what = ", ".join(f.name for f in found) or "none"
            raise UploadRejected(
                f"the zip must hold exactly one dataset ({', '.join(suffixes)}); found {what}",
                status=415,
            )
        yield found[0]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check_counts(features: int, vertices: int, limits: Limits) -> None:
    """UploadRejected (413) when a dataset has too many features or vertices."""
    if features > limits.max_features:
        raise UploadRejected(
            f"{features:,} features; the limit is {limits.max_features:,}", status=413
        )
    if vertices > limits.max_vertices:
        raise UploadRejected(
            f"{vertices:,} vertices; the limit is {limits.max_vertices:,}", status=413
        )
