"""Address normalisation and matching: every variant clerks write (issue 3), pure Python."""

from __future__ import annotations

import pytest

from geo_service.address import (
    AMBIGUOUS,
    MATCHED,
    R_NO_BUILDING,
    R_NO_COMPOUND,
    R_NO_HOUSEHOLD,
    R_NO_ROOM,
    R_NO_UNIT,
    R_SEVERAL_COMPOUNDS,
    R_SEVERAL_READINGS,
    R_UNIT_OMITTED,
    R_UNPARSED,
    UNMATCHED,
    AddressIndex,
    Parsed,
    chinese_number,
    clean,
    parse_tail,
)

# Two compounds of 湖墅街道 and one of 米市巷街道; household ids encode the address:
# compound*100000 + building*1000 + unit*100 + (room's index), easy to read in failures.
COMPOUNDS = [
    (1, "信义坊", "330105001", "330105001001"),
    (2, "朝晖一区", "330105001", "330105001002"),
    (3, "和睦新村二期", "330105002", "330105002001"),
    (4, "和睦新村", "330105002", "330105002001"),
    (5, "锦绣苑", "330105002", "330105002002"),
    (6, "锦绣华庭", "330105001", "330105001001"),
    (7, "和平小区", "330105001", "330105001001"),
    (8, "和平新村", "330105001", "330105001001"),
]
ALIASES = [
    (1, "信义坊小区"),
    (2, "朝晖1区"),
    (4, "和睦小区"),
    (5, "锦绣"),
    (6, "锦绣"),
    (8, "和平"),
]
AREAS = [
    ("330105001", "湖墅街道"),
    ("330105002", "米市巷街道"),
    ("330105001001", "信义坊社区"),
    ("330105002001", "和睦社区"),
]


def _households() -> list[tuple[int, int, int, int, int]]:
    rows = []
    for cid, *_ in COMPOUNDS:
        for b in (1, 3, 12):
            units = (1,) if b == 12 else (1, 2)  # building 12 has a single unit
            for u in units:
                for k, room in enumerate((101, 102, 501, 502, 1201)):
                    rows.append((cid * 100000 + b * 1000 + u * 100 + k, cid, b, u, room))
    return rows


@pytest.fixture(scope="module")
def ix() -> AddressIndex:
    return AddressIndex.build(COMPOUNDS, ALIASES, _households(), AREAS)


H_1_3_2_501 = 1 * 100000 + 3 * 1000 + 2 * 100 + 2  # 信义坊 3幢2单元501室


@pytest.mark.parametrize(
    "raw",
    [
        "拱墅区湖墅街道信义坊小区3幢2单元501室",  # the example (小区 appended)
        "信义坊3幢2单元501室",  # no district or street prefix
        "湖墅街道信义坊3幢2单元501室",  # street prefix only
        "浙江省杭州市拱墅区湖墅街道信义坊社区信义坊3幢2单元501室",  # everything
        "拱墅区信义坊３幢２单元５０１室",  # full-width digits
        "信义坊三幢二单元五〇一室",  # Chinese numerals, digit by digit
        "信义坊三幢二单元五零一室",
        "信义坊3栋2单元501室",  # 栋
        "信义坊3号楼2单元501室",  # 号楼
        "信义坊3号2单元501室",  # 号 as the building marker
        "信义坊3座2单元501",  # 座, 室 omitted
        "信义坊3幢2单元501",  # 室 omitted
        "信义坊3幢2单元501号",  # 号 as the room marker
        "信义坊3-2-501",  # dash form
        "信义坊3幢2-501",  # building marker, then dashes
        "信义坊3-2-501室",
        "信义坊 3幢 2单元 501室",  # stray spaces
        "信义坊，3幢、2单元·501室。",  # punctuation
        "信义坊3幢－2单元—501室",  # full-width and em dashes
        "  信义坊小区(3幢)2单元501室 ",
        "信义坊小区3幢2单元501室",  # the alias
        "信义坊3#2单元501",  # 3# for building 3
        "下城区信义坊3幢2单元501室",  # an old district name before the compound
    ],
)
def test_every_variant_matches_the_same_household(ix: AddressIndex, raw: str) -> None:
    m = ix.match(raw)
    assert (m.status, m.household_id, m.reason) == (MATCHED, H_1_3_2_501, None), raw
    assert m.canonical == "1-3-2-501"


def test_chinese_numbers() -> None:
    assert chinese_number("三") == 3
    assert chinese_number("十二") == 12
    assert chinese_number("二十") == 20
    assert chinese_number("二十一") == 21
    assert chinese_number("五〇一") == 501
    assert chinese_number("一二〇一") == 1201
    assert chinese_number("一千二百零一") == 1201
    assert chinese_number("五百零二") == 502


def test_clean_normalises_width_space_punctuation_and_dashes() -> None:
    assert clean("３幢 ２－５０１（室）") == "3幢2-501室"
    assert clean("Ａ座—1") == "A座-1"


def test_parse_tail_forms() -> None:
    assert parse_tail("3幢2单元501室") == Parsed(3, 2, 501)
    assert parse_tail("十二幢一单元一二〇一") == Parsed(12, 1, 1201)
    assert parse_tail("3幢501室") == Parsed(3, None, 501)
    assert parse_tail("3-501") == Parsed(3, None, 501)
    assert parse_tail("3幢2单元") == R_NO_ROOM
    assert parse_tail("3幢") == R_NO_ROOM
    assert parse_tail("2单元3幢501") == R_UNPARSED  # markers in the wrong order
    assert parse_tail("3幢2单元501室东") == R_UNPARSED
    assert parse_tail("") == R_UNPARSED


def test_compound_names_with_numerals_and_aliases(ix: AddressIndex) -> None:
    for raw in ("朝晖一区3幢2单元501室", "朝晖1区3幢2单元501室", "朝晖一区三幢二单元五〇一"):
        m = ix.match(raw)
        assert (m.status, m.household_id) == (MATCHED, 2 * 100000 + 3 * 1000 + 200 + 2), raw
    # The longest name wins: 和睦新村二期 is compound 3, not 和睦新村 with a tail 二期...
    m = ix.match("和睦新村二期1幢1单元101")
    assert (m.status, m.household_id) == (MATCHED, 3 * 100000 + 1000 + 100 + 0)
    m = ix.match("和睦小区1幢1单元101")  # alias of 和睦新村
    assert (m.status, m.household_id) == (MATCHED, 4 * 100000 + 1000 + 100 + 0)


def test_unit_omitted_is_ambiguous_unless_one_unit_has_the_room(ix: AddressIndex) -> None:
    m = ix.match("信义坊3幢501室")
    assert m.status == AMBIGUOUS and m.reason == R_UNIT_OMITTED
    assert m.household_id is None
    assert m.candidates == (1 * 100000 + 3000 + 100 + 2, H_1_3_2_501)
    m = ix.match("信义坊12幢1201室")  # building 12 has one unit: no doubt
    assert (m.status, m.household_id) == (MATCHED, 1 * 100000 + 12000 + 100 + 4)
    assert ix.match("信义坊3-501").status == AMBIGUOUS


def test_shared_alias_is_settled_by_the_street_prefix_or_left_unmatched(ix: AddressIndex) -> None:
    m = ix.match("锦绣1幢1单元101")  # 锦绣 is an alias of compounds 5 and 6
    assert (m.status, m.reason) == (UNMATCHED, R_SEVERAL_COMPOUNDS)
    m = ix.match("米市巷街道锦绣1幢1单元101")
    assert (m.status, m.household_id) == (MATCHED, 5 * 100000 + 1000 + 100)
    m = ix.match("湖墅街道锦绣1幢1单元101")
    assert (m.status, m.household_id) == (MATCHED, 6 * 100000 + 1000 + 100)


def test_an_alias_followed_by_xiaoqu_that_names_another_compound_is_ambiguous(
    ix: AddressIndex,
) -> None:
    """和平小区 is a compound, and 和平 (+ the filler 小区) is an alias of 和平新村: the same
    text reads as a household of either, so neither is reported as matched."""
    m = ix.match("和平小区1幢1单元101室")
    assert (m.status, m.reason) == (AMBIGUOUS, R_SEVERAL_READINGS)
    assert m.candidates == (7 * 100000 + 1000 + 100, 8 * 100000 + 1000 + 100)
    m = ix.match("和平新村1幢1单元101室")
    assert (m.status, m.household_id) == (MATCHED, 8 * 100000 + 1000 + 100)
    m = ix.match("和平1幢1单元101室")
    assert (m.status, m.household_id) == (MATCHED, 8 * 100000 + 1000 + 100)


def test_digit_runs_are_never_split() -> None:
    assert parse_tail("3幢2501") == Parsed(3, None, 2501)
    assert parse_tail("32501") == R_NO_ROOM  # one number: a building at most


@pytest.mark.parametrize(
    "raw, reason",
    [
        ("", "地址为空"),
        ("   ", "地址为空"),
        ("信义里3幢2单元501室", R_NO_COMPOUND),  # no such compound
        ("信议坊3幢2单元501室", R_NO_COMPOUND),  # a typo in the name
        ("拱墅区湖墅街道3幢2单元501室", R_NO_COMPOUND),
        ("信义坊9幢2单元501室", R_NO_BUILDING),
        ("信义坊3幢7单元501室", R_NO_UNIT),
        ("信义坊3幢2单元503室", R_NO_HOUSEHOLD),
        ("信义坊3幢503室", R_NO_HOUSEHOLD),
        ("信义坊3幢2单元", R_NO_ROOM),
        ("信义坊东区3幢2单元501室", R_UNPARSED),
    ],
)
def test_unmatched_records_carry_their_reason(ix: AddressIndex, raw: str, reason: str) -> None:
    m = ix.match(raw)
    assert (m.status, m.household_id, m.reason) == (UNMATCHED, None, reason), raw


def test_none_is_unmatched(ix: AddressIndex) -> None:
    assert ix.match(None).status == UNMATCHED


def test_never_a_wrong_household(ix: AddressIndex) -> None:
    """Every address of the index written in several ways matches its own household."""
    forms = [
        "{n}{b}幢{u}单元{r}室",
        "拱墅区{n}{b}-{u}-{r}",
        "{n}{b}号楼{u}单元{r}",
        "{n}{b}栋{u}-{r}室",
    ]
    names = {1: "信义坊", 2: "朝晖一区", 3: "和睦新村二期", 4: "和睦新村"}
    for hid, cid, b, u, r in _households():
        if cid not in names:
            continue
        for f in forms:
            m = ix.match(f.format(n=names[cid], b=b, u=u, r=r))
            assert (m.status, m.household_id) == (MATCHED, hid)
