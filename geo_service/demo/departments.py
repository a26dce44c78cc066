"""The three department lists of the demo district, as clerks would export them.

产权 (owner), 户籍 (registered) and 流口 (floating) records of the demo's residents, with
the address written the way clerks write it (prefixes present or not, 幢/栋/号楼/号,
dashes, 室 omitted, Chinese numerals, full-width digits, spaces and punctuation, compound
aliases, now and then the unit left out or a typo) and a truth file giving each row's
household, so that matching can be measured. An owner list of a year earlier comes too:
importing it and then the current one yields the ownership changes of that year.

Deterministic for (scale, seed, as_of, records): the same arguments as ``demo load`` give
files whose truth refers to the loaded household ids.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .generate import generate, resident_chunks
from .scales import SCALES

FILES = {
    # file stem: (source, encoding, header: name, id, phone, address, date)
    "owner_previous": ("owner", "utf-8-sig", ("业主姓名", "身份证号", "联系电话", "房屋坐落", "产权登记日期")),
    "owner": ("owner", "utf-8-sig", ("业主姓名", "身份证号", "联系电话", "房屋坐落", "产权登记日期")),
    "registered": ("registered", "gb18030", ("姓名", "公民身份号码", "联系电话", "户籍地址", "迁入日期")),
    "floating": ("floating", "utf-8", ("姓名", "证件号码", "手机号码", "居住地址", "登记日期")),
}  # fmt: skip
PREVIOUS_LIST_DAYS = 365
_CN = "〇一二三四五六七八九"
_FULL = str.maketrans("0123456789-", "０１２３４５６７８９－")
_BUILDING_MARKS = np.array(["幢", "栋", "号楼", "号", "座"])
_BUILDING_P = np.array([0.5, 0.2, 0.15, 0.1, 0.05])


def cn_number(n: int) -> str:
    """12 → 十二, 3 → 三, 21 → 二十一 (buildings and units)."""
    if n < 10:
        return _CN[n]
    tens, ones = divmod(n, 10)
    return (
        ("" if tens == 1 else _CN[tens]) + "十" + (_CN[ones] if ones else "") if n < 100 else str(n)
    )


def cn_digits(n: int, zero: str = "〇") -> str:
    """501 → 五〇一 (rooms, digit by digit)."""
    return "".join(zero if c == "0" else _CN[int(c)] for c in str(n))


@dataclass
class DepartmentFiles:
    """What was written: file paths by stem, rows per file, and the list dates."""

    out: Path
    files: dict[str, Path] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    list_dates: dict[str, dt.date] = field(default_factory=dict)
    truth: Path | None = None


def _dirty(
    rng: np.random.Generator,
    street: str,
    community: str,
    name: str,
    alias: str | None,
    b: int,
    u: int,
    r: int,
) -> tuple[str, str]:
    """One address as a clerk writes it, and the labels of the dirt applied."""
    x = rng.random(12)
    dirt = []
    if x[0] < 0.30:
        prefix = "拱墅区" + street
    elif x[0] < 0.50:
        prefix = street
    elif x[0] < 0.58:
        prefix, dirt = "浙江省杭州市拱墅区" + street + community, ["full-prefix"]
    elif x[0] < 0.66:
        prefix = "杭州市拱墅区"
    elif x[0] < 0.72:
        prefix, dirt = community, ["community"]
    else:
        prefix, dirt = "", ["no-prefix"]
    cname = name
    if alias and x[1] < 0.35:
        cname = alias
        dirt.append("alias")
    if not cname.endswith("小区") and x[2] < 0.08:
        cname += "小区"
        dirt.append("+小区")
    if x[3] < 0.002:
        cname = "某" + cname[1:]
        dirt.append("typo")
    if x[4] < 0.001:
        r = 9999
        dirt.append("no-such-room")
    f = x[5]
    if f < 0.62:
        cn = x[6] < 0.08
        bm = _BUILDING_MARKS[np.searchsorted(np.cumsum(_BUILDING_P), x[7] * 0.9999)]
        bs = cn_number(b) if cn else str(b)
        us = cn_number(u) if x[8] < 0.08 else str(u)
        rs = cn_digits(r, "〇" if x[9] < 0.015 else "零") if x[9] < 0.03 else str(r)
        rm = "室" if x[10] < 0.7 else ("" if x[10] < 0.95 else "号")
        sep = " " if x[11] < 0.08 else ("，" if x[11] < 0.12 else "")
        tail = f"{bs}{bm}{sep}{us}单元{rs}{rm}"
        dirt += [f"marker:{bm}"] + (["cn"] if cn or rs != str(r) or us != str(u) else [])
        dirt += [] if rm == "室" else ["no-室"]
    elif f < 0.76:
        tail = f"{b}-{u}-{r}" + ("室" if x[10] < 0.1 else "")
        dirt.append("dash")
    elif f < 0.86:
        tail = f"{b}幢{u}-{r}"
        dirt.append("b-dash")
    elif f < 0.995:
        tail = f"{b}栋{u}单元{r}室"
        dirt.append("marker:栋")
    else:
        tail = f"{b}幢{r}室"
        dirt.append("no-unit")
    addr = prefix + cname + (" " if x[11] > 0.96 else "") + tail
    if x[2] > 0.90:
        addr = addr.translate(_FULL)
        dirt.append("fullwidth")
    return addr, "+".join(dirt)


def write_department_files(
    out: Path,
    scale: str = "tiny",
    seed: int = 1,
    as_of: dt.date | None = None,
    records: int | None = None,
    xlsx: bool = False,
    progress: Callable[[int], None] | None = None,
) -> DepartmentFiles:
    """Write owner_previous.csv, owner.csv, registered.csv (GB18030), floating.csv (or
    .xlsx) and truth.csv into ``out``. ``records`` keeps about that many records in all,
    whole households at a time (so owner lists stay comparable)."""
    as_of = as_of or dt.date.today()
    ds = generate(SCALES[scale], seed, as_of)
    out.mkdir(parents=True, exist_ok=True)
    res = DepartmentFiles(out)
    prev_date = as_of - dt.timedelta(days=PREVIOUS_LIST_DAYS)
    res.list_dates = {"owner_previous": prev_date, "owner": as_of, "registered": as_of,
                      "floating": as_of}  # fmt: skip
    h, u_t, b_t, c_t = (ds.tables[t] for t in ("household", "unit", "building", "compound"))
    n_hh = len(h["id"])
    keep = np.ones(n_hh, bool)
    if records is not None:
        frac = min(1.0, records / max(ds.count("resident"), 1))
        keep = np.random.default_rng([seed, 77]).random(n_hh) < frac
    hh_b = np.asarray(b_t["number"])[h["building_id"] - 1]
    hh_u = np.asarray(u_t["number"])[h["unit_id"] - 1]
    hh_room = np.asarray(h["room"])
    hh_c = np.asarray(h["compound_id"]) - 1
    street_name = dict(
        zip(ds.tables["street"]["street_code"], ds.tables["street"]["name"], strict=True)
    )
    comm_name = dict(
        zip(ds.tables["community"]["community_code"], ds.tables["community"]["name"], strict=True)
    )
    c_name = list(c_t["name"])
    c_street = [street_name[s] for s in c_t["street_code"]]
    c_comm = [comm_name[s] for s in c_t["community_code"]]
    alias = dict(zip(np.asarray(ds.tables["compound_alias"]["compound_id"]) - 1,
                     ds.tables["compound_alias"]["alias"], strict=True))  # fmt: skip
    rng = np.random.default_rng([seed, *b"department-files"])
    handles, writers, counts = {}, {}, {}
    xlsx_rows: list[list] = []
    for stem, (_, enc, header) in FILES.items():
        if stem == "floating" and xlsx:
            continue
        path = out / f"{stem}.csv"
        handles[stem] = open(path, "w", encoding=enc, newline="")  # noqa: SIM115
        writers[stem] = csv.writer(handles[stem])
        writers[stem].writerow(header)
        res.files[stem] = path
    truth_f = open(out / "truth.csv", "w", encoding="utf-8", newline="")  # noqa: SIM115
    truth = csv.writer(truth_f)
    truth.writerow(["file", "row", "household_id", "dirt"])
    counts = dict.fromkeys(FILES, 0)
    d0 = np.datetime64(prev_date)
    try:
        for chunk in resident_chunks(ds):
            hid = np.asarray(chunk["household_id"])
            sel = keep[hid - 1]
            src = np.asarray(chunk["source"])
            vf = np.asarray(chunk["valid_from"])
            vt = np.asarray(chunk["valid_to"])
            current = np.isnat(vt)
            lists = {
                "owner_previous": (src == "owner") & (vf <= d0) & (current | (vt >= d0)),
                "owner": (src == "owner") & current,
                "registered": (src == "registered") & current,
                "floating": (src == "floating") & current,
            }
            names, ids, phones = chunk["name"], chunk["id_number"], chunk["phone"]
            for i in np.flatnonzero(sel):
                k = hid[i] - 1
                c = hh_c[k]
                for stem, mask in lists.items():
                    if not mask[i]:
                        continue
                    addr, dirt = _dirty(rng, c_street[c], c_comm[c], c_name[c], alias.get(c),
                                        int(hh_b[k]), int(hh_u[k]), int(hh_room[k]))  # fmt: skip
                    row = [names[i], ids[i], phones[i] or "", addr, str(vf[i])]
                    if stem == "floating" and xlsx:
                        xlsx_rows.append(row)
                    else:
                        writers[stem].writerow(row)
                    counts[stem] += 1
                    truth.writerow([stem, counts[stem], int(hid[i]), dirt])
            if progress:
                progress(len(hid))
    finally:
        for f in handles.values():
            f.close()
        truth_f.close()
    if xlsx:
        import openpyxl

        wb = openpyxl.Workbook(write_only=True)
        ws = wb.create_sheet("流动人口")
        ws.append(list(FILES["floating"][2]))
        for row in xlsx_rows:
            ws.append(row)
        path = out / "floating.xlsx"
        wb.save(path)
        res.files["floating"] = path
    res.rows = counts
    res.truth = out / "truth.csv"
    return res
