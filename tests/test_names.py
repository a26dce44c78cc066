"""Tests for geo_service.demo.names (fake Chinese demo data); no database needed."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import numpy as np
import pytest

from geo_service.demo import names as N

CJK_NAME = re.compile(r"^[\u4e00-\u9fff]{2,4}$")
PHONE = re.compile(r"^1[3-9]\d{9}$")
ID_SHAPE = re.compile(r"^[1-9]\d{16}[\dX]$")
COMPANY = re.compile(r"^杭州[\u4e00-\u9fff]{2}(物业管理|物业服务)有限公司$")


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


YEARS = np.arange(1920, 2025)


def _years(n: int, seed: int = 99) -> np.ndarray:
    return rng(seed).choice(YEARS, size=n)


# Every generator as a function of a Generator, for the determinism checks.
GENERATORS = {
    "person_names": lambda g: N.person_names(g, 500),
    "phones": lambda g: N.phones(g, 500),
    "id_numbers": lambda g: N.id_numbers(g, 500, _years(500)),
    "compound_names": lambda g: N.compound_names(g, ["old", "commodity", "resettlement"] * 100),
    "community_names": lambda g: N.community_names(g, 300),
    "company_names": lambda g: N.company_names(g, 300),
}


# --------------------------------------------------------------------------------------
# Determinism and lengths
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_same_seed_same_output_different_seed_different(name: str) -> None:
    fn = GENERATORS[name]
    a, b, c = fn(rng(42)), fn(rng(42)), fn(rng(43))
    assert a == b
    assert a != c
    assert all(isinstance(x, str) for x in a)


def test_global_random_state_is_not_used() -> None:
    np.random.seed(1)
    a = N.person_names(rng(5), 100)
    np.random.seed(2)
    b = N.person_names(rng(5), 100)
    assert a == b


@pytest.mark.parametrize("n", [0, 1, 7, 1000])
def test_lengths(n: int) -> None:
    assert len(N.person_names(rng(), n)) == n
    assert len(N.phones(rng(), n)) == n
    assert len(N.id_numbers(rng(), n, _years(n))) == n
    assert len(N.community_names(rng(), n)) == n
    assert len(N.company_names(rng(), n)) == n
    assert len(N.compound_names(rng(), ["old"] * n)) == n
    assert len(N.grid_names("信义坊社区", n)) == n


def test_negative_n_rejected() -> None:
    for fn in (N.person_names, N.phones, N.community_names, N.company_names):
        with pytest.raises(ValueError):
            fn(rng(), -1)
    with pytest.raises(ValueError):
        N.grid_names("和睦社区", -1)


# --------------------------------------------------------------------------------------
# Person names
# --------------------------------------------------------------------------------------


def test_person_names_shape_and_distribution() -> None:
    names = N.person_names(rng(3), 200_000)
    assert all(CJK_NAME.match(x) for x in names)

    singles = set(N.SURNAMES)
    doubles = set(N.DOUBLE_SURNAMES)
    chars = set(N.GIVEN_NAME_CHARS)
    n_double = 0
    given_lengths = Counter()
    for x in names:
        if x[:2] in doubles:
            n_double += 1
            given = x[2:]
        else:
            assert x[0] in singles, x
            given = x[1:]
        assert 1 <= len(given) <= 2 and set(given) <= chars, x
        given_lengths[len(given)] += 1

    # Double surnames occur, but rarely.
    assert 0 < n_double < 0.01 * len(names)
    # ~25% one-character given names.
    assert 0.22 < given_lengths[1] / len(names) < 0.28

    surnames = Counter(x[0] for x in names if x[:2] not in doubles)
    top5 = {s for s, _ in surnames.most_common(5)}
    assert top5 == {"王", "李", "张", "刘", "陈"}
    # Zhejiang weighting: 钱/沈 clearly above Guangxi-typical 韦/覃.
    assert surnames["钱"] > 2 * surnames["覃"]
    assert surnames["沈"] > surnames["韦"]


def test_word_lists_are_big_and_distinct() -> None:
    assert len(set(N.SURNAMES)) == len(N.SURNAMES) >= 100
    assert all(len(s) == 1 for s in N.SURNAMES)
    assert len(N.GIVEN_NAME_CHARS) >= 150
    assert all(len(c) == 1 for c in N.GIVEN_NAME_CHARS)
    assert len(set(N.PLACE_PARTS)) == len(N.PLACE_PARTS) >= 80


def test_person_names_follow_sex_when_given() -> None:
    n = 20_000
    male = np.arange(n) % 2 == 0
    names = N.person_names(rng(8), n, male=male)
    given_m = Counter(c for x, m in zip(names, male, strict=True) if m for c in x[1:])
    given_f = Counter(c for x, m in zip(names, male, strict=True) if not m for c in x[1:])
    # Typically male / female characters land only on the matching sex.
    assert given_m["强"] > 0 and given_f["强"] == 0
    assert given_f["娟"] > 0 and given_m["娟"] == 0
    with pytest.raises(ValueError):
        N.person_names(rng(), 3, male=np.array([True]))


# --------------------------------------------------------------------------------------
# Phones
# --------------------------------------------------------------------------------------


def test_phones_format_and_prefixes() -> None:
    nums = N.phones(rng(4), 100_000)
    prefixes = {str(p) for p in N.PHONE_PREFIXES}
    assert all(PHONE.match(x) for x in nums)
    assert {x[:3] for x in nums} <= prefixes
    assert len({x[:3] for x in nums}) > 30  # prefixes actually vary
    assert len(set(nums)) > 99_000  # the subscriber part is random, not constant


# --------------------------------------------------------------------------------------
# ID numbers
# --------------------------------------------------------------------------------------


def test_check_char_published_examples() -> None:
    # GB 11643-1999 sample numbers.
    assert N.id_check_char("11010519491231002") == "X"
    assert N.is_valid_id_number("11010519491231002X")
    assert N.id_check_char("44052418800101001") == "4"
    assert N.is_valid_id_number("440524188001010014")


def test_check_char_hand_worked_example() -> None:
    # Weights for positions 1..17 are 2**(18-i) mod 11:
    #   7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
    # 33010519900307124:
    #   3*7 + 3*9 + 0*10 + 1*5 + 0*8 + 5*4 + 1*2 + 9*1 + 9*6 + 0*3
    #   + 0*7 + 3*9 + 0*10 + 7*5 + 1*8 + 2*4 + 4*2
    #   = 21 + 27 + 0 + 5 + 0 + 20 + 2 + 9 + 54 + 0 + 0 + 27 + 0 + 35 + 8 + 8 + 8 = 224
    # 224 mod 11 = 4 (11*20 = 220); check = (12 - 4) mod 11 = 8.
    assert N.id_check_char("33010519900307124") == "8"
    assert N.is_valid_id_number("330105199003071248")
    # Varying only the last digit d (weight 2): sum = 216 + 2*d, 216 mod 11 = 7.
    #   d=3: 222, 222 mod 11 = 2, (12 - 2) mod 11 = 10 -> X
    #   d=2: 220, 220 mod 11 = 0, (12 - 0) mod 11 = 1  -> 1
    #   d=8: 232, 232 mod 11 = 1, (12 - 1) mod 11 = 0  -> 0
    assert N.id_check_char("33010519900307123") == "X"
    assert N.id_check_char("33010519900307122") == "1"
    assert N.id_check_char("33010519900307128") == "0"
    assert N.is_valid_id_number("330105199003071221")
    assert N.is_valid_id_number("330105199003071280")


def _reference_check_char(first17: str) -> str:
    """Independent MOD 11-2: check value c satisfies sum(a_i * 2**(18-i)) + c == 1 (mod 11)."""
    total = sum(int(d) * 2 ** (17 - i) for i, d in enumerate(first17))
    c = (1 - total) % 11
    return "X" if c == 10 else str(c)


def test_check_char_matches_reference_for_every_residue() -> None:
    ids = N.id_numbers(rng(13), 5_000, _years(5_000))
    seen = Counter()
    for s in ids:
        assert s[17] == _reference_check_char(s[:17]) == N.id_check_char(s[:17]), s
        seen[s[17]] += 1
    assert set(seen) == set("0123456789X")  # all 11 residues exercised


def test_is_valid_id_number_rejects_bad_input() -> None:
    good = "11010519491231002X"
    assert not N.is_valid_id_number("110105194912310020")  # wrong check char
    assert not N.is_valid_id_number("11010519490231002X")  # there is no 31 February
    assert not N.is_valid_id_number(good[:-1])  # too short
    assert not N.is_valid_id_number(good + "1")  # too long
    assert not N.is_valid_id_number("1101051949123100AX")  # letters in the body
    assert not N.is_valid_id_number("11010519491231002x")  # X must be upper case
    # 1900 was not a leap year: 19000229 is not a date, whatever the check char.
    first = "33010519000229001"
    assert not N.is_valid_id_number(first + N.id_check_char(first))
    # Any single-digit change is caught (MOD 11-2 detects all single substitutions).
    for i in range(17):
        for d in "0123456789":
            if d != good[i]:
                assert not N.is_valid_id_number(good[:i] + d + good[i + 1 :]), (i, d)
    with pytest.raises(ValueError):
        N.id_check_char("1234")
    with pytest.raises(ValueError):
        N.id_check_char("1101051949123100A")


def test_id_numbers_valid_and_match_birth_year() -> None:
    n = 100_000
    years = _years(n, seed=11)
    ids = N.id_numbers(rng(12), n, years)
    regions = Counter()
    for s, y in zip(ids, years, strict=True):
        assert ID_SHAPE.match(s), s
        assert N.is_valid_id_number(s), s
        assert int(s[6:10]) == y, (s, y)
        dt.date(int(s[6:10]), int(s[10:12]), int(s[12:14]))  # raises if not a real date
        assert s[14:17] != "000"
        regions[s[:6]] += 1
    # Mostly the local code, the rest from the listed real codes.
    assert 0.75 < regions["330105"] / n < 0.85
    others = {c for c, _ in N.OTHER_REGION_CODES}
    assert set(regions) - {"330105"} <= others
    assert len(set(regions) & others) >= 15
    # Birth dates spread over the year, not stuck on one day.
    assert len({s[10:14] for s in ids}) > 360


def test_id_numbers_leap_years() -> None:
    n = 50_000  # ~137 expected 29 Februarys in a leap year
    leap = N.id_numbers(rng(1), n, np.full(n, 2000))
    assert any(s[6:14] == "20000229" for s in leap)
    assert all(N.is_valid_id_number(s) for s in leap)
    not_leap = N.id_numbers(rng(1), n, np.full(n, 1900))
    assert not any(s[10:14] == "0229" for s in not_leap)
    assert any(s[10:14] == "1231" for s in not_leap)
    assert all(N.is_valid_id_number(s) for s in not_leap)


def test_id_numbers_region_and_sex() -> None:
    n = 10_000
    male = rng(2).random(n) < 0.5
    ids = N.id_numbers(rng(3), n, _years(n), region="330106", male=male)
    assert sum(s.startswith("330106") for s in ids) > 0.75 * n
    assert all((int(s[16]) % 2 == 1) == m for s, m in zip(ids, male, strict=True))
    assert all(N.is_valid_id_number(s) for s in ids)


def test_id_numbers_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        N.id_numbers(rng(), 3, np.array([1990, 1991]))
    with pytest.raises(ValueError):
        N.id_numbers(rng(), 1, np.array([1700]))
    with pytest.raises(ValueError):
        N.id_numbers(rng(), 1, np.array([1990]), region="33010")
    with pytest.raises(ValueError):
        N.id_numbers(rng(), 1, np.array([1990]), region="abcdef")


# --------------------------------------------------------------------------------------
# Compounds, communities, companies, grids
# --------------------------------------------------------------------------------------

KIND_MARKERS = {
    "old": ("新村", "小区", "里", "坊", "公寓", "苑", "宿舍", "区", "期"),
    "commodity": ("花园", "苑", "府", "名邸", "公馆", "华庭", "公寓", "家园", "城", "期"),
    "resettlement": ("家园", "安置小区", "新苑", "佳苑", "人家", "期"),
}


def _check_compounds(names: list[str], kinds: list[str]) -> None:
    assert len(names) == len(kinds)
    assert len(set(names)) == len(names)
    places = tuple(N.PLACE_PARTS)
    for name, kind in zip(names, kinds, strict=True):
        assert name.startswith(places), name
        assert name.endswith(KIND_MARKERS[kind]), (name, kind)
        assert re.fullmatch(r"[\u4e00-\u9fff]{3,12}", name), name


def test_compound_names_unique_at_city_scale() -> None:
    g = rng(21)
    kinds = list(g.choice(["old", "commodity", "resettlement"], size=12_000, p=[0.5, 0.35, 0.15]))
    names = N.compound_names(rng(22), kinds)
    _check_compounds(names, kinds)
    # Suffixes really depend on the kind.
    assert any(
        n.endswith("安置小区") for n, k in zip(names, kinds, strict=True) if k == "resettlement"
    )
    assert not any(
        n.endswith(("名邸", "公馆")) for n, k in zip(names, kinds, strict=True) if k != "commodity"
    )


@pytest.mark.parametrize("kind", ["old", "commodity", "resettlement"])
def test_compound_names_unique_for_a_single_kind(kind: str) -> None:
    kinds = [kind] * 12_000
    _check_compounds(N.compound_names(rng(5), kinds), kinds)


def test_compound_names_small_counts_look_plain() -> None:
    kinds = ["old"] * 30 + ["commodity"] * 30 + ["resettlement"] * 30
    names = N.compound_names(rng(6), kinds)
    _check_compounds(names, kinds)
    # With few compounds most names are a place plus one suffix, no phase/area ordinals.
    assert sum(n.endswith("期") for n in names) < 10


def test_compound_names_errors() -> None:
    with pytest.raises(ValueError):
        N.compound_names(rng(), ["old", "villa"])
    with pytest.raises(ValueError):
        N.compound_names(rng(), ["old"] * (N.MAX_COMPOUNDS + 1))


def test_community_names_unique() -> None:
    names = N.community_names(rng(30), 3_000)
    assert len(set(names)) == 3_000
    assert all(x.endswith("社区") and x.startswith(tuple(N.PLACE_PARTS)) for x in names)
    assert all(re.fullmatch(r"[\u4e00-\u9fff]{4,10}", x) for x in names)
    # Smaller requests are unique too.
    assert len(set(N.community_names(rng(31), 100))) == 100
    with pytest.raises(ValueError):
        N.community_names(rng(), 100_000)


def test_company_names_pool() -> None:
    assert len(set(N.COMPANY_POOL)) == len(N.COMPANY_POOL) == 60
    assert all(COMPANY.match(c) for c in N.COMPANY_POOL)
    draws = N.company_names(rng(40), 2_000)
    assert set(draws) <= set(N.COMPANY_POOL)
    counts = Counter(draws)
    assert len(counts) > 40  # many companies in use
    assert counts.most_common(1)[0][1] > 2_000 / 60  # but with repeats / larger firms


def test_grid_names() -> None:
    assert N.grid_names("信义坊社区", 3) == [
        "信义坊社区第1网格",
        "信义坊社区第2网格",
        "信义坊社区第3网格",
    ]
    assert N.grid_names("和睦社区", 0) == []
    assert N.grid_names("和睦社区", 12)[-1] == "和睦社区第12网格"
