"""Demo district rows: compounds' governance facts, housing, people and events.

Deterministic for (seed, as_of): every random draw comes from a generator derived from
the seed with a fixed label per step, so steps can change independently. Large tables
(households, residents) are produced in chunks so memory stays bounded at city scale.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import shapely

from . import names
from .geography import DISTRICT_CODE, DISTRICT_NAME, Geography, build_geography
from .scales import Scale

Columns = dict[str, object]  # column name -> list or numpy array, all the same length
CHUNK_HOUSEHOLDS = 100_000

SOURCES = np.array(["owner", "registered", "floating"])
COMPLAINT_CATEGORIES = np.array(
    [
        "property_service",
        "parking",
        "sanitation",
        "noise",
        "facilities",
        "greenery",
        "security",
        "neighbour",
        "illegal_building",
        "other",
    ]
)
COMPLAINT_CATEGORY_P = np.array([0.22, 0.16, 0.12, 0.10, 0.14, 0.05, 0.05, 0.07, 0.04, 0.05])
COMPLAINT_CHANNELS = np.array(["mashangban", "xieshangling", "hotline_12345"])
PETITION_OTHER = np.array(["housing", "demolition", "environment", "neighbour", "other"])
PETITION_CHANNELS = np.array(["visit", "letter", "online", "phone"])
STAGES = np.array(["intent", "consultation", "approved", "construction", "completed"])


def _rng(seed: int, label: str) -> np.random.Generator:
    """A generator for one step, independent of the order steps run in."""
    return np.random.default_rng([seed, *label.encode("utf-8")])


@dataclass
class Dataset:
    """Everything the loader writes, table by table (residents come in chunks)."""

    scale: Scale
    seed: int
    as_of: dt.date
    geo: Geography
    tables: dict[str, Columns] = field(default_factory=dict)
    resident_plan: dict[str, np.ndarray] = field(default_factory=dict)

    def count(self, table: str) -> int:
        if table == "resident":
            return int(
                self.resident_plan["n_owner"].sum()
                + self.resident_plan["n_registered"].sum()
                + self.resident_plan["n_floating"].sum()
            )
        cols = self.tables[table]
        return len(next(iter(cols.values())))


def _days(d: np.ndarray) -> np.ndarray:
    return np.asarray(d, dtype="datetime64[D]")


def generate(scale: Scale, seed: int, as_of: dt.date) -> Dataset:
    """Build the whole demo dataset except resident rows (see :func:`resident_chunks`)."""
    geo = build_geography(scale, _rng(seed, "geography"))
    ds = Dataset(scale=scale, seed=seed, as_of=as_of, geo=geo)
    ds.tables["district"] = {
        "district_code": [DISTRICT_CODE],
        "name": [DISTRICT_NAME],
        "geom": [geo.district],
    }
    ds.tables["street"] = {
        "street_code": geo.streets["street_code"],
        "district_code": DISTRICT_CODE,
        "name": geo.streets["name"],
        "geom": geo.streets["geom"],
    }
    rng = _rng(seed, "communities")
    comm_names = names.community_names(rng, len(geo.communities["community_code"]))
    ds.tables["community"] = {
        "community_code": geo.communities["community_code"],
        "district_code": DISTRICT_CODE,
        "street_code": geo.communities["street_code"],
        "name": comm_names,
        "geom": geo.communities["geom"],
    }
    _compounds(ds)
    _compound_aliases(ds)  # issue 3
    _grids(ds, comm_names)
    _buildings(ds)
    _households(ds)
    _plan_residents(ds)
    _party_members(ds)
    _captains(ds)
    _complaints(ds)
    _petitions(ds)
    _retrofits(ds)
    from .governance import complaint_bursts, governance  # issue 8: index inputs

    governance(ds)
    complaint_bursts(ds)
    return ds


def _compounds(ds: Dataset) -> None:
    geo, sc = ds.geo, ds.scale
    rng = _rng(ds.seed, "compounds")
    kinds = np.array(geo.compounds["kind"])
    n = len(kinds)
    cnames = names.compound_names(rng, list(kinds))
    old, com = kinds == "old", kinds == "commodity"
    year = np.where(
        old,
        rng.integers(1975, 2000, n),
        np.where(com, rng.integers(2000, 2023, n), rng.integers(2003, 2021, n)),
    )
    branch = rng.random(n) < 0.985
    oc_p = np.where(old, 0.62, np.where(com, 0.93, 0.72))
    oc = rng.random(n) < oc_p
    term_end = _days(ds.as_of) + rng.integers(-90, 5 * 365, n)
    members = rng.choice([5, 7, 7, 9, 9, 11], n)
    share = np.round(np.clip(rng.beta(5, 4.5, n), 0.1, 1.0), 3)
    u = rng.random(n)
    service = np.where(
        com,
        "professional",
        np.where(
            old,
            np.where(u < 0.80, "professional", np.where(u < 0.95, "self_managed", "none")),
            np.where(u < 0.9, "professional", "self_managed"),
        ),
    )
    prof = service == "professional"
    companies = names.company_names(rng, n)
    fee = np.where(
        service == "none", np.nan, np.clip(rng.normal(np.where(old, 0.78, 0.91), 0.07), 0.35, 1.0)
    )
    stars = np.clip(np.round(rng.normal(np.where(com, 3.8, 2.9), 0.9)), 1, 5).astype(int)
    # Commissioners: ~98.5% of compounds covered; a few commissioners take two
    # neighbouring compounds of the same community.
    covered = rng.random(n) < 0.985
    commissioner = np.full(n, -1)
    k_total = min(sc.commissioners, int(covered.sum()))
    doubles = int(covered.sum()) - k_total
    idx = np.flatnonzero(covered)
    cc = np.array(geo.compounds["community_code"])
    pair_at = set()
    cand = [i for a, i in zip(idx[:-1], idx[1:], strict=True) if cc[a] == cc[i]]
    rng.shuffle(cand)
    for i in cand:
        if len(pair_at) >= doubles:
            break
        if (i - 1) not in pair_at and (i + 1) not in pair_at:
            pair_at.add(i)
    if len(pair_at) < doubles:
        raise ValueError("too few neighbouring compounds to share commissioners")
    next_id = 0
    for i in idx:
        if i in pair_at:
            commissioner[i] = commissioner[i - 1]
        else:
            next_id += 1
            commissioner[i] = next_id
    assert next_id == k_total
    street = np.array(geo.compounds["street_code"])
    first_of = {}
    for i in idx:
        first_of.setdefault(commissioner[i], i)
    crng = _rng(ds.seed, "commissioners")
    ds.tables["commissioner"] = {
        "id": np.arange(1, k_total + 1),
        "district_code": DISTRICT_CODE,
        "street_code": [street[first_of[k]] for k in range(1, k_total + 1)],
        "name": names.person_names(crng, k_total),
        "phone": names.phones(crng, k_total),
    }
    ds.tables["compound"] = {
        "id": np.arange(1, n + 1),
        "code": geo.compounds["code"],
        "district_code": DISTRICT_CODE,
        "street_code": geo.compounds["street_code"],
        "community_code": geo.compounds["community_code"],
        "name": cnames,
        "kind": kinds,
        "year_built": year,
        "geom": geo.compounds["geom"],
        "has_party_branch": branch,
        "party_branch_name": [
            f"{nm}党支部" if b else None for nm, b in zip(cnames, branch, strict=True)
        ],
        "commissioner_id": [int(c) if c > 0 else None for c in commissioner],
        "oc_formed": oc,
        "oc_term_end": [str(t) if o else None for t, o in zip(term_end, oc, strict=True)],
        "oc_members": [int(m) if o else None for m, o in zip(members, oc, strict=True)],
        "oc_party_share": [f"{s:.3f}" if o else None for s, o in zip(share, oc, strict=True)],
        "property_service": service,
        "property_company": [c if p else None for c, p in zip(companies, prof, strict=True)],
        "fee_collection_rate": [None if np.isnan(f) else f"{f:.3f}" for f in fee],
        "star_rating": [int(s) if p else None for s, p in zip(stars, prof, strict=True)],
        "income_disclosed": rng.random(n) < np.where(prof, 0.82, 0.45),
        "e_voting": rng.random(n) < np.where(com, 0.6, 0.38),
    }


# issue 3: short names clerks write for a compound (和睦新村 → 和睦), unique in the district.
ALIAS_SUFFIXES = ("安置小区", "新村", "小区", "公寓", "花园", "家园", "雅苑", "华庭", "名邸",
                  "公馆", "新苑", "佳苑", "人家", "宿舍")  # fmt: skip


def _compound_aliases(ds: Dataset) -> None:
    cmp = ds.tables["compound"]
    rng = _rng(ds.seed, "aliases")
    names_ = list(cmp["name"])
    taken = set(names_)
    short: dict[str, list[int]] = {}
    for i, nm in enumerate(names_):
        suf = next((x for x in ALIAS_SUFFIXES if nm.endswith(x)), None)
        if suf and len(nm) - len(suf) >= 2 and rng.random() < 0.5:
            short.setdefault(nm[: -len(suf)], []).append(i)
    # Not an alias when another compound's name starts with it (和平 for 和平新村 while
    # 和平小区 exists): the alias would name two compounds.
    prefixed = {a for a in short if sum(nm.startswith(a) for nm in names_) > 1}
    picked = sorted(
        (ix[0], a) for a, ix in short.items() if len(ix) == 1 and a not in taken | prefixed
    )
    idx = np.array([i for i, _ in picked], dtype=int)
    ds.tables["compound_alias"] = {
        "id": np.arange(1, len(idx) + 1),
        "district_code": DISTRICT_CODE,
        "street_code": np.asarray(cmp["street_code"])[idx],
        "community_code": np.asarray(cmp["community_code"])[idx],
        "compound_id": idx + 1,
        "alias": [a for _, a in picked],
    }


def _grids(ds: Dataset, comm_names: list[str]) -> None:
    g = ds.geo.grids
    name_of = dict(zip(ds.geo.communities["community_code"], comm_names, strict=True))
    gnames = [
        f"{name_of[c]}第{int(code[-2:])}网格"
        for c, code in zip(g["community_code"], g["code"], strict=True)
    ]
    ds.tables["grid"] = {
        "id": np.arange(1, len(g["code"]) + 1),
        "district_code": DISTRICT_CODE,
        "street_code": g["street_code"],
        "community_code": g["community_code"],
        "code": g["code"],
        "name": gnames,
        "geom": g["geom"],
    }


def _buildings(ds: Dataset) -> None:
    b = ds.geo.buildings
    rng = _rng(ds.seed, "buildings")
    cmp = ds.tables["compound"]
    ci = np.array(b["compound_index"])
    n = len(ci)
    year = np.clip(np.asarray(cmp["year_built"])[ci] + rng.integers(-2, 3, n), 1949, ds.as_of.year)
    template = np.array(b["template"])
    ds.tables["building"] = {
        "id": np.arange(1, n + 1),
        "district_code": DISTRICT_CODE,
        "street_code": np.array(cmp["street_code"])[ci],
        "community_code": np.array(cmp["community_code"])[ci],
        "compound_id": ci + 1,
        "number": np.array(b["number"]),
        "floors": np.array(b["floors"]),
        "units": np.array(b["units"]),
        "year_built": year,
        "has_elevator": template != "walkup",  # retrofits set it for completed projects
        "geom": b["geom"],
    }
    ds.tables["building"]["_hh_per_floor"] = np.array(b["hh_per_floor"])
    ds.tables["building"]["_template"] = template


def _households(ds: Dataset) -> None:
    bt = ds.tables["building"]
    rng = _rng(ds.seed, "households")
    units, floors, hh = bt["units"], bt["floors"], bt["_hh_per_floor"]
    n_units = int(units.sum())
    unit_building = np.repeat(np.arange(len(units)), units)
    unit_number = np.concatenate([np.arange(1, u + 1) for u in units])
    ds.tables["unit"] = {
        "id": np.arange(1, n_units + 1),
        "district_code": DISTRICT_CODE,
        "community_code": bt["community_code"][unit_building],
        "compound_id": bt["compound_id"][unit_building],
        "building_id": unit_building + 1,
        "number": unit_number,
    }
    per_unit = (floors * hh)[unit_building]
    hh_unit = np.repeat(np.arange(n_units), per_unit)
    # floor and position within the floor, per unit: 101 102 201 202 ...
    starts = np.repeat(np.cumsum(per_unit) - per_unit, per_unit)
    pos = np.arange(len(hh_unit)) - starts
    k = hh[unit_building][hh_unit]
    floor = pos // k + 1
    room = floor * 100 + pos % k + 1
    template = bt["_template"][unit_building][hh_unit]
    base = np.select([template == "walkup", template == "slab"], [58.0, 98.0], 118.0)
    area = np.round(np.clip(rng.normal(base, base * 0.18), 25, 300), 1)
    b_of = unit_building[hh_unit]
    ds.tables["household"] = {
        "id": np.arange(1, len(hh_unit) + 1),
        "district_code": DISTRICT_CODE,
        "community_code": bt["community_code"][b_of],
        "compound_id": bt["compound_id"][b_of],
        "building_id": b_of + 1,
        "unit_id": hh_unit + 1,
        "room": room,
        "floor": floor,
        "area_m2": area,
    }


def _plan_residents(ds: Dataset) -> None:
    """How many records of each source each household gets (exact total)."""
    h = ds.tables["household"]
    rng = _rng(ds.seed, "resident-plan")
    n = len(h["id"])
    kinds = np.asarray(ds.tables["compound"]["kind"])[h["compound_id"] - 1]
    old = kinds == "old"
    total = ds.scale.residents
    n_owner = (rng.random(n) < 0.97).astype(np.int64) + (rng.random(n) < 0.38)
    n_prev_owner = (rng.random(n) < 0.06) & (n_owner > 0)  # ownership changed once
    owners = int(n_owner.sum() + n_prev_owner.sum())
    floating_total = int(0.21 * total)
    registered_total = total - owners - floating_total
    if registered_total < 0:
        raise ValueError("resident target too small for the number of households")
    n_floating = rng.multinomial(
        floating_total, _p(np.where(old, 2.5, 1.0) * rng.gamma(1.2, 1.0, n))
    )
    n_registered = rng.multinomial(
        registered_total, _p(np.where(old, 1.2, 1.0) * h["area_m2"] * rng.gamma(4.0, 1.0, n))
    )
    ds.resident_plan = {
        "n_owner": n_owner + n_prev_owner,
        "n_prev_owner": n_prev_owner.astype(np.int64),
        "n_registered": n_registered,
        "n_floating": n_floating,
    }


def _p(w: np.ndarray) -> np.ndarray:
    w = np.asarray(w, dtype=float)
    return w / w.sum()


def resident_chunks(ds: Dataset) -> Iterator[Columns]:
    """Resident rows, one chunk of households at a time."""
    h = ds.tables["household"]
    plan = ds.resident_plan
    cmp_year = np.asarray(ds.tables["compound"]["year_built"])
    as_of = _days(ds.as_of)
    next_id = 1
    n = len(h["id"])
    for c, lo in enumerate(range(0, n, CHUNK_HOUSEHOLDS)):
        hi = min(n, lo + CHUNK_HOUSEHOLDS)
        rng = _rng(ds.seed, f"residents-{c}")
        sl = slice(lo, hi)
        counts = np.stack(
            [plan["n_owner"][sl], plan["n_registered"][sl], plan["n_floating"][sl]], axis=1
        )
        per_hh = counts.sum(axis=1)
        hh_idx = np.repeat(np.arange(lo, hi), per_hh)
        src = (
            np.concatenate([np.repeat([0, 1, 2], row) for row in counts])
            if len(counts)
            else np.array([], int)
        )
        m = len(hh_idx)
        # The first owner record of a household that changed hands is the previous owner.
        first_owner = np.zeros(m, bool)
        starts = np.cumsum(per_hh) - per_hh
        has_prev = plan["n_prev_owner"][sl].astype(bool)
        first_owner[starts[has_prev]] = True
        male = rng.random(m) < 0.5
        age = np.select(
            [src == 0, src == 1],
            [rng.integers(28, 88, m), rng.integers(0, 96, m)],
            rng.integers(18, 61, m),
        )
        birth = ds.as_of.year - age
        built = cmp_year[h["compound_id"][hh_idx] - 1]
        built_day = np.array([f"{y + 1}-01-01" for y in range(1949, 2101)], dtype="datetime64[D]")[
            np.clip(built, 1949, 2100) - 1949
        ]
        span = np.maximum((as_of - built_day).astype(int), 30)
        owner_from = built_day + (rng.random(m) * span * 0.6).astype(int)
        sold = np.minimum(
            owner_from + (rng.random(m) * (as_of - owner_from).astype(int) * 0.9).astype(int) + 1,
            as_of - 1,
        )
        # Current owners of a household that changed hands start the day after the
        # previous owner's record ends.
        prev_end_hh = np.full(hi - lo, np.datetime64("NaT"), dtype="datetime64[D]")
        prev_end_hh[has_prev] = sold[starts[has_prev]]
        rec_prev_end = np.repeat(prev_end_hh, per_hh)
        successor = (src == 0) & ~first_owner & ~np.isnat(rec_prev_end)
        owner_from = np.where(successor, rec_prev_end + 1, owner_from)
        reg_from = built_day + (rng.random(m) * span).astype(int)
        float_from = as_of - rng.integers(1, 3 * 365, m)
        valid_from = np.select([src == 0, src == 1], [owner_from, reg_from], float_from)
        float_ended = (src == 2) & (rng.random(m) < 0.15)
        valid_to = np.where(
            first_owner,
            sold,
            np.where(float_ended, valid_from + rng.integers(30, 365, m), np.datetime64("NaT")),
        )
        valid_to = np.where(valid_to > as_of, as_of, valid_to).astype("datetime64[D]")
        has_phone = rng.random(m) < np.select([src == 0, src == 1], [0.99, 0.82], 0.9)
        phone = names.phones(rng, m)
        yield {
            "id": np.arange(next_id, next_id + m),
            "district_code": DISTRICT_CODE,
            "community_code": h["community_code"][hh_idx],
            "compound_id": h["compound_id"][hh_idx],
            "household_id": h["id"][hh_idx],
            "source": SOURCES[src],
            "name": names.person_names(rng, m, male),
            "phone": [p if ok else None for p, ok in zip(phone, has_phone, strict=True)],
            "id_number": names.id_numbers(rng, m, birth, DISTRICT_CODE, male),
            "valid_from": valid_from.astype("datetime64[D]"),
            "valid_to": valid_to,
        }
        next_id += m


def _area_keys(
    ds: Dataset, *, building: np.ndarray | None = None, compound: np.ndarray | None = None
) -> Columns:
    """district/street/community/compound columns for rows at the given buildings or
    compounds (0-based indices)."""
    if building is not None:
        bt = ds.tables["building"]
        street, community, cid = (
            bt["street_code"][building],
            bt["community_code"][building],
            bt["compound_id"][building],
        )
    else:
        cmp = ds.tables["compound"]
        street = np.asarray(cmp["street_code"])[compound]
        community = np.asarray(cmp["community_code"])[compound]
        cid = compound + 1
    return {
        "district_code": DISTRICT_CODE,
        "street_code": street,
        "community_code": community,
        "compound_id": cid,
    }


def _party_members(ds: Dataset) -> None:
    bt = ds.tables["building"]
    rng = _rng(ds.seed, "party")
    nb = len(bt["id"])
    hh_per_b = np.bincount(ds.tables["household"]["building_id"] - 1, minlength=nb)
    w = hh_per_b * rng.gamma(0.9, 1.0, nb)
    per_b = rng.multinomial(ds.scale.party_members, _p(w))
    b = np.repeat(np.arange(nb), per_b)
    m = len(b)
    age = rng.integers(22, 90, m)
    ds.tables["party_member"] = {
        "id": np.arange(1, m + 1),
        **_area_keys(ds, building=b),
        "building_id": b + 1,
        "name": names.person_names(rng, m),
        "phone": names.phones(rng, m),
        "in_register": rng.random(m) < 0.74,
        "reported": rng.random(m) < 0.87,
        "joined_year": np.clip(
            ds.as_of.year - age + 18 + rng.integers(0, 25, m), 1949, ds.as_of.year
        ),
    }


def _captains(ds: Dataset) -> None:
    bt, ut = ds.tables["building"], ds.tables["unit"]
    rng = _rng(ds.seed, "captains")
    n_cmp = len(ds.tables["compound"]["id"])
    system = rng.random(n_cmp) < 0.66  # compounds running a building-captain system
    b_ok = system[bt["compound_id"] - 1]
    u_ok = system[ut["compound_id"] - 1]
    b_slots = np.flatnonzero(b_ok)
    u_slots = np.flatnonzero(u_ok)
    slots_role = np.concatenate([np.zeros(len(b_slots), int), np.ones(len(u_slots), int)])
    slots_idx = np.concatenate([b_slots, u_slots])
    w = np.where(slots_role == 0, 4.0, 1.0)
    c = ds.scale.captains
    if c > len(slots_idx):
        raise ValueError("more building captains than buildings and units to captain")
    pick = np.sort(rng.choice(len(slots_idx), size=c, replace=False, p=_p(w)))
    role, idx = slots_role[pick], slots_idx[pick]
    building = np.where(role == 0, idx, ut["building_id"][np.where(role == 1, idx, 0)] - 1)
    ds.tables["building_captain"] = {
        "id": np.arange(1, c + 1),
        **_area_keys(ds, building=building),
        "building_id": building + 1,
        "unit_id": [int(i) + 1 if r == 1 else None for r, i in zip(role, idx, strict=True)],
        "role": np.where(role == 0, "building", "unit"),
        "name": names.person_names(rng, c),
        "phone": names.phones(rng, c),
        "is_party_member": rng.random(c) < 0.42,
    }


def _building_points(ds: Dataset, b: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A point near each given building (index), inside its compound."""
    cent = shapely.centroid(np.asarray(ds.tables["building"]["geom"], dtype=object)[b])
    xy = shapely.get_coordinates(cent)
    return xy + rng.normal(0, 3e-5, xy.shape).clip(-5e-5, 5e-5)


def _pick_buildings(ds: Dataset, compound_idx: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A building (index) of each given compound, weighted by households."""
    bt = ds.tables["building"]
    order = np.argsort(bt["compound_id"], kind="stable")
    first = np.searchsorted(
        bt["compound_id"][order], np.arange(1, len(ds.tables["compound"]["id"]) + 2)
    )
    count = np.diff(first)
    k = (rng.random(len(compound_idx)) * count[compound_idx]).astype(int)
    return order[first[compound_idx] + k]


def _complaints(ds: Dataset) -> None:
    rng = _rng(ds.seed, "complaints")
    cmp = ds.tables["compound"]
    nc = len(cmp["id"])
    hh = np.bincount(ds.tables["household"]["compound_id"] - 1, minlength=nc)
    kind = np.asarray(cmp["kind"])
    w = (
        hh
        * np.select([kind == "old", kind == "resettlement"], [1.6, 1.3], 0.8)
        * rng.gamma(2.0, 1.0, nc)
    )
    per = rng.multinomial(ds.scale.complaints, _p(w))
    c = np.repeat(np.arange(nc), per)
    q = len(c)
    rng.shuffle(c)
    end = np.datetime64(dt.datetime.combine(ds.as_of, dt.time(0)), "s") + np.timedelta64(
        20 * 3600, "s"
    )
    span = ds.scale.years * 365 * 86400
    # Slowly rising volume: density grows linearly by ~40% over the period.
    u = rng.random(q)
    frac = (np.sqrt(1 + u * (1.4**2 - 1)) - 1) / 0.4
    day = (end - np.timedelta64(span, "s")).astype("datetime64[D]") + (
        frac * (span / 86400)
    ).astype(int)
    hour = rng.choice(
        24,
        q,
        p=_p(
            np.array(
                [1, 1, 1, 1, 1, 2, 4, 8, 12, 14, 13, 11, 9, 10, 12, 12, 11, 10, 9, 9, 8, 6, 3, 2],
                float,
            )
        ),
    )
    created = day.astype("datetime64[s]") + (hour * 3600 + rng.integers(0, 3600, q)).astype(
        "timedelta64[s]"
    )
    created = np.minimum(created, end - np.timedelta64(60, "s"))
    resp_delay = (rng.lognormal(np.log(5 * 3600), 1.0, q)).astype("timedelta64[s]")
    first = created + resp_delay
    first = np.where(first <= end, first, np.datetime64("NaT"))
    res_delay = (rng.lognormal(np.log(2 * 86400), 0.9, q)).astype("timedelta64[s]")
    resolved = np.where(~np.isnat(first), first + res_delay, np.datetime64("NaT"))
    resolved = np.where(resolved <= end, resolved, np.datetime64("NaT"))
    rated = ~np.isnat(resolved) & (rng.random(q) < 0.85)
    sat = rng.choice([1, 2, 3, 4, 5], q, p=[0.04, 0.06, 0.15, 0.35, 0.40])
    with_b = rng.random(q) < 0.9
    b = _pick_buildings(ds, c, rng)
    xy = _building_points(ds, b, rng)
    ds.tables["complaint"] = {
        "id": np.arange(1, q + 1),
        **_area_keys(ds, compound=c),
        "building_id": [int(x) + 1 if ok else None for x, ok in zip(b, with_b, strict=True)],
        "geom": shapely.points(xy),
        "channel": COMPLAINT_CHANNELS[rng.choice(3, q, p=[0.45, 0.2, 0.35])],
        "category": COMPLAINT_CATEGORIES[
            rng.choice(len(COMPLAINT_CATEGORIES), q, p=COMPLAINT_CATEGORY_P)
        ],
        "created_at": created,
        "first_response_at": first,
        "resolved_at": resolved,
        "satisfaction": [int(s) if r else None for s, r in zip(sat, rated, strict=True)],
    }


def _petitions(ds: Dataset) -> None:
    rng = _rng(ds.seed, "petitions")
    cmp = ds.tables["compound"]
    nc = len(cmp["id"])
    hh = np.bincount(ds.tables["household"]["compound_id"] - 1, minlength=nc)
    # Hot spots: a few neighbourhoods where grievances concentrate.
    cent = shapely.get_coordinates(shapely.centroid(np.asarray(cmp["geom"], dtype=object)))
    hot = cent[rng.choice(nc, 3, replace=False)]
    d2 = ((cent[:, None, :] - hot[None, :, :]) ** 2).sum(-1) / (0.012**2)
    w = hh * rng.gamma(0.8, 1.0, nc) * (1 + 5 * np.exp(-d2).sum(1))
    years = ds.scale.years
    # Property petitions fall ~30% a year; others stay level. Year 0 is the oldest.
    prop_factor = 0.7 ** np.arange(years)
    other_per_year = 0.55 / 0.45  # relative to the oldest year's property petitions
    a = ds.scale.petitions / (prop_factor.sum() + other_per_year * years)
    prop_n = np.round(a * prop_factor).astype(int)
    other_n = np.full(years, int(round(a * other_per_year)))
    other_n[-1] += ds.scale.petitions - prop_n.sum() - other_n.sum()
    cats, yr = [], []
    for y in range(years):
        cats += ["property"] * prop_n[y] + list(
            PETITION_OTHER[
                rng.choice(len(PETITION_OTHER), other_n[y], p=[0.25, 0.2, 0.2, 0.2, 0.15])
            ]
        )
        yr += [y] * (prop_n[y] + other_n[y])
    p = len(cats)
    yr = np.array(yr)
    end = _days(ds.as_of)
    day = end - (years - yr) * 365 + rng.integers(0, 365, p)
    c = rng.choice(nc, p, p=_p(w))
    b = _pick_buildings(ds, c, rng)
    xy = _building_points(ds, b, rng)
    ds.tables["petition"] = {
        "id": np.arange(1, p + 1),
        **_area_keys(ds, compound=c),
        "geom": shapely.points(xy),
        "category": np.array(cats),
        "channel": PETITION_CHANNELS[rng.choice(4, p, p=[0.3, 0.1, 0.45, 0.15])],
        "petition_date": day,
    }


def _retrofits(ds: Dataset) -> None:
    rng = _rng(ds.seed, "retrofits")
    bt = ds.tables["building"]
    sc = ds.scale
    cand = np.flatnonzero(
        (bt["_template"] == "walkup") & (bt["floors"] >= 4) & (bt["year_built"] < 2000)
    )
    n_done, n_pipe = sc.retrofits_completed, sc.retrofits_pipeline
    if n_done + n_pipe > len(cand):
        raise ValueError(
            f"{n_done + n_pipe} retrofits wanted but only {len(cand)} walk-ups qualify"
        )
    w = (bt["floors"][cand] - 3.0) * rng.gamma(1.5, 1.0, len(cand))
    pick = rng.choice(cand, n_done + n_pipe, replace=False, p=_p(w))
    n = len(pick)
    stage = np.concatenate([np.full(n_done, 4), rng.choice(4, n_pipe, p=[0.3, 0.25, 0.2, 0.25])])
    end = _days(ds.as_of)
    start2019 = np.datetime64("2019-01-01")
    # Dates backwards from the stage reached: the last one recent for the pipeline.
    last = np.where(
        stage == 4,
        start2019 + (rng.random(n) * (end - start2019).astype(int)).astype(int),
        end - rng.integers(1, 365, n),
    )
    gaps = np.stack(
        [
            rng.integers(20, 200, n),
            rng.integers(30, 180, n),
            rng.integers(30, 120, n),
            rng.integers(90, 200, n),
        ],
        axis=1,
    )
    dates = np.empty((n, 5), dtype="datetime64[D]")
    dates[np.arange(n), stage] = last
    for s in range(4, 0, -1):
        has = stage >= s
        dates[has, s - 1] = dates[has, s] - gaps[has, s - 1]
    nat = np.datetime64("NaT")
    cols = {}
    for s, nm in enumerate(
        ["intent_date", "consultation_date", "approved_date", "construction_date", "completed_date"]
    ):
        cols[nm] = np.where(stage >= s, dates[:, s], nat).astype("datetime64[D]")
    xy = shapely.get_coordinates(shapely.centroid(np.asarray(bt["geom"], dtype=object)[pick]))
    bt["has_elevator"] = bt["has_elevator"].copy()
    bt["has_elevator"][pick[stage == 4]] = True
    ds.tables["elevator_retrofit"] = {
        "id": np.arange(1, n + 1),
        **_area_keys(ds, building=pick),
        "building_id": pick + 1,
        "geom": shapely.points(xy),
        "stage": STAGES[stage],
        **cols,
    }
