"""Plausible but fake Chinese demo data: people, phones, ID numbers, compounds, companies.

Everything is drawn from a caller-supplied :class:`numpy.random.Generator` (never the
global random state), so the same seed gives identical output. The person-level functions
are vectorised with numpy because the demo generator calls them for ~2 million residents.

Resident ID numbers follow GB 11643-1999: a 6-digit administrative region code, the birth
date as YYYYMMDD, a 3-digit sequence number and an ISO 7064 MOD 11-2 check character.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence

import numpy as np

__all__ = [
    "SURNAMES",
    "DOUBLE_SURNAMES",
    "GIVEN_NAME_CHARS",
    "PHONE_PREFIXES",
    "OTHER_REGION_CODES",
    "PLACE_PARTS",
    "COMPOUND_KINDS",
    "COMPANY_POOL",
    "MAX_COMPOUNDS",
    "MAX_COMMUNITIES",
    "person_names",
    "phones",
    "id_numbers",
    "id_check_char",
    "is_valid_id_number",
    "compound_names",
    "community_names",
    "company_names",
    "grid_names",
]

# --------------------------------------------------------------------------------------
# People
# --------------------------------------------------------------------------------------

# (surname, approximate national share in percent). Rough figures after the Ministry of
# Public Security surname rankings; only the relative sizes matter.
_SURNAME_FREQ: tuple[tuple[str, float], ...] = (
    ("王", 7.12), ("李", 7.00), ("张", 6.74), ("刘", 5.10), ("陈", 4.61),
    ("杨", 3.22), ("黄", 2.45), ("赵", 2.19), ("吴", 2.08), ("周", 1.90),
    ("徐", 1.45), ("孙", 1.38), ("马", 1.29), ("朱", 1.28), ("胡", 1.16),
    ("郭", 1.13), ("何", 1.06), ("林", 1.02), ("高", 1.00), ("罗", 0.92),
    ("郑", 0.86), ("梁", 0.80), ("谢", 0.72), ("宋", 0.66), ("唐", 0.63),
    ("许", 0.60), ("韩", 0.58), ("冯", 0.56), ("邓", 0.55), ("曹", 0.52),
    ("彭", 0.50), ("曾", 0.49), ("肖", 0.48), ("田", 0.46), ("董", 0.44),
    ("袁", 0.43), ("潘", 0.42), ("于", 0.41), ("蒋", 0.40), ("蔡", 0.40),
    ("余", 0.39), ("杜", 0.38), ("叶", 0.37), ("程", 0.36), ("苏", 0.35),
    ("魏", 0.34), ("吕", 0.33), ("丁", 0.32), ("任", 0.31), ("沈", 0.30),
    ("姚", 0.29), ("卢", 0.28), ("姜", 0.27), ("崔", 0.26), ("钟", 0.25),
    ("谭", 0.25), ("陆", 0.24), ("汪", 0.24), ("范", 0.23), ("金", 0.23),
    ("石", 0.22), ("廖", 0.22), ("贾", 0.21), ("夏", 0.21), ("韦", 0.20),
    ("付", 0.20), ("方", 0.19), ("白", 0.19), ("邹", 0.18), ("孟", 0.18),
    ("熊", 0.17), ("秦", 0.17), ("邱", 0.16), ("江", 0.16), ("尹", 0.15),
    ("薛", 0.15), ("闫", 0.14), ("段", 0.14), ("雷", 0.13), ("侯", 0.13),
    ("龙", 0.12), ("史", 0.12), ("陶", 0.11), ("黎", 0.11), ("贺", 0.11),
    ("顾", 0.10), ("毛", 0.10), ("郝", 0.10), ("龚", 0.10), ("邵", 0.09),
    ("万", 0.09), ("钱", 0.09), ("严", 0.09), ("覃", 0.08), ("武", 0.08),
    ("戴", 0.08), ("莫", 0.08), ("孔", 0.08), ("向", 0.07), ("汤", 0.07),
    # Surnames outside the national top 100 that are common around Hangzhou.
    ("俞", 0.06), ("章", 0.05), ("应", 0.03), ("楼", 0.02),
)  # fmt: skip

# Zhejiang adjustment: Jiangnan surnames weigh more, southern/northern ones less.
_ZHEJIANG_FACTOR: dict[str, float] = {
    "陈": 1.6, "徐": 1.5, "吴": 1.4, "周": 1.3, "朱": 1.3, "郑": 1.3, "潘": 1.5,
    "蒋": 1.8, "叶": 2.0, "汪": 1.8, "方": 2.0, "金": 2.5, "沈": 3.0, "钱": 4.0,
    "陆": 2.5, "顾": 2.5, "邵": 2.0, "俞": 4.0, "章": 4.0, "应": 4.0, "楼": 6.0,
    "韦": 0.3, "覃": 0.3, "闫": 0.5, "黎": 0.5, "廖": 0.6, "谭": 0.6, "梁": 0.7,
}  # fmt: skip

SURNAMES: tuple[str, ...] = tuple(s for s, _ in _SURNAME_FREQ)
_SURNAME_P = np.array([f * _ZHEJIANG_FACTOR.get(s, 1.0) for s, f in _SURNAME_FREQ])
_SURNAME_P /= _SURNAME_P.sum()

DOUBLE_SURNAMES: tuple[str, ...] = ("欧阳", "上官", "司马", "诸葛", "司徒")
_DOUBLE_SURNAME_RATE = 0.004
_ONE_CHAR_GIVEN_RATE = 0.25

# Single characters common in given names, split by the sex they usually signal; shared
# characters appear in both pools.
_GIVEN_MALE_ONLY = (
    "伟强磊军勇杰涛超刚毅俊峰平东辉力永健世广志义兴良海山波贵福生龙元全国胜学祥才发武新"
    "利飞彬富顺信昌成康光天达中茂进坚博诚先振群豪乐松庆民友浩亮政鹏泽建家德盛雄琛钧航斌"
    "栋翔旭凯立荣鸿剑宝忠宗逸贤彦宇睿林阳"
)
_GIVEN_FEMALE_ONLY = (
    "芳娜敏静丽艳娟秀英慧巧美淑惠珠翠雅芝玉萍红玲芬燕彩春菊兰凤洁梅琳素云莲雪爱霞香月媛"
    "琼珍莉桂晶妍茜秋珊莎倩婷婉颖露瑶怡丹蓉琴蕊薇梦岚馨韵悦冰爽茗芸菲伊宜舒妮琪晴雯萱"
)
_GIVEN_SHARED = "华明佳嘉文宁晓晨欣雨子安清思艺青君卿聪澜羽希枫锦瑞勤和星辰"
_GIVEN_MALE: tuple[str, ...] = tuple(dict.fromkeys(_GIVEN_MALE_ONLY + _GIVEN_SHARED))
_GIVEN_FEMALE: tuple[str, ...] = tuple(dict.fromkeys(_GIVEN_FEMALE_ONLY + _GIVEN_SHARED))
GIVEN_NAME_CHARS: tuple[str, ...] = tuple(dict.fromkeys(_GIVEN_MALE + _GIVEN_FEMALE))

_SURNAME_ARR = np.array(SURNAMES)
_DOUBLE_ARR = np.array(DOUBLE_SURNAMES)
# Male pool first, then female pool; a female index is offset by len(_GIVEN_MALE).
_GIVEN_BY_SEX = np.array(_GIVEN_MALE + _GIVEN_FEMALE)


def _check_n(n: int) -> int:
    n = int(n)
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    return n


def _check_male(rng: np.random.Generator, n: int, male: np.ndarray | None) -> np.ndarray:
    if male is None:
        return rng.random(n) < 0.5
    arr = np.asarray(male, dtype=bool).reshape(-1)
    if arr.shape[0] != n:
        raise ValueError(f"male has {arr.shape[0]} entries, expected {n}")
    return arr


def person_names(rng: np.random.Generator, n: int, male: np.ndarray | None = None) -> list[str]:
    """Return n fake Chinese full names (weighted surname + 1-2 given chars fitting the sex)."""
    n = _check_n(n)
    is_male = _check_male(rng, n, male)
    sur = _SURNAME_ARR[rng.choice(len(SURNAMES), size=n, p=_SURNAME_P)]
    double = rng.random(n) < _DOUBLE_SURNAME_RATE
    if double.any():
        sur = sur.astype("<U2")
        sur[double] = _DOUBLE_ARR[rng.integers(0, len(DOUBLE_SURNAMES), int(double.sum()))]
    n_male = len(_GIVEN_MALE)
    high = np.where(is_male, n_male, len(_GIVEN_FEMALE))
    offset = np.where(is_male, 0, n_male)
    g1 = _GIVEN_BY_SEX[rng.integers(0, high) + offset]
    g2 = _GIVEN_BY_SEX[rng.integers(0, high) + offset]
    g2 = np.where(rng.random(n) < _ONE_CHAR_GIVEN_RATE, "", g2)
    return np.strings.add(np.strings.add(sur, g1), g2).tolist()


# Real mainland mobile prefixes (China Mobile / Unicom / Telecom / virtual operators).
PHONE_PREFIXES: tuple[int, ...] = (
    *range(130, 140), 145, 147, *range(150, 154), *range(155, 160), 166, 170, 171, 173, 175,
    *range(176, 179), *range(180, 190), 191, 193, 195, 196, 197, 198, 199,
)  # fmt: skip
# Older, larger blocks carry more subscribers.
_PHONE_P = np.array([0.4 if p in (145, 147, 166, 170, 171, 175, 191, 193, 196, 197) else
                     1.5 if p in (135, 136, 137, 138, 139, 150, 158, 159, 186, 188, 189) else
                     1.0 for p in PHONE_PREFIXES])  # fmt: skip
_PHONE_P /= _PHONE_P.sum()
_PHONE_PREFIX_ARR = np.array(PHONE_PREFIXES, dtype=np.int64)


def phones(rng: np.random.Generator, n: int) -> list[str]:
    """Return n fake 11-digit mainland mobile numbers with real operator prefixes."""
    n = _check_n(n)
    prefix = _PHONE_PREFIX_ARR[rng.choice(len(PHONE_PREFIXES), size=n, p=_PHONE_P)]
    number = prefix * 100_000_000 + rng.integers(0, 100_000_000, n, dtype=np.int64)
    return number.astype("<U11").tolist()


# --------------------------------------------------------------------------------------
# Resident ID numbers (GB 11643-1999)
# --------------------------------------------------------------------------------------

# Region codes for residents registered elsewhere. 330103/330104 (下城/江干) were merged
# away in 2021 but older ID numbers keep them. Weights favour Hangzhou and Zhejiang.
OTHER_REGION_CODES: tuple[tuple[str, float], ...] = (
    ("330103", 8.0),  # 杭州 下城区 (now part of 拱墅)
    ("330102", 4.0),  # 杭州 上城区
    ("330104", 3.0),  # 杭州 江干区 (historical)
    ("330106", 4.0),  # 杭州 西湖区
    ("330108", 1.5),  # 杭州 滨江区
    ("330109", 2.0),  # 杭州 萧山区
    ("330110", 2.5),  # 杭州 余杭区
    ("330521", 1.5),  # 湖州 德清县
    ("330681", 1.5),  # 绍兴 诸暨市
    ("330282", 1.0),  # 宁波 慈溪市
    ("331081", 1.0),  # 台州 温岭市
    ("330781", 1.0),  # 金华 兰溪市
    ("341221", 1.5),  # 安徽 阜阳 临泉县
    ("410527", 1.0),  # 河南 安阳 内黄县
    ("511381", 1.0),  # 四川 南充 阆中市
    ("360121", 1.0),  # 江西 南昌县
    ("320681", 0.8),  # 江苏 南通 启东市
    ("420984", 0.8),  # 湖北 孝感 汉川市
    ("430381", 0.8),  # 湖南 湘潭 湘乡市
    ("500101", 0.8),  # 重庆 万州区
)
_OTHER_REGION_INT = np.array([int(c) for c, _ in OTHER_REGION_CODES], dtype=np.int64)
_OTHER_REGION_P = np.array([w for _, w in OTHER_REGION_CODES])
_OTHER_REGION_P /= _OTHER_REGION_P.sum()
_LOCAL_REGION_RATE = 0.80

# Weight of position i (1-based, left to right) is 2**(18-i) mod 11.
_ID_WEIGHTS: tuple[int, ...] = tuple(pow(2, 17 - i, 11) for i in range(17))
_ID_CHECK_CHARS = "10X98765432"  # indexed by (weighted sum mod 11)
_ID_CHECK_ARR = np.array(list(_ID_CHECK_CHARS))
_MIN_BIRTH_YEAR, _MAX_BIRTH_YEAR = 1800, 2099


def id_check_char(first17: str) -> str:
    """Return the ISO 7064 MOD 11-2 check character (0-9 or X) for 17 ID digits."""
    if len(first17) != 17 or not (first17.isascii() and first17.isdigit()):
        raise ValueError(f"expected 17 ASCII digits, got {first17!r}")
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def is_valid_id_number(s: str) -> bool:
    """True if s is an 18-char ID number with a real date and a correct check character."""
    if not isinstance(s, str) or len(s) != 18:
        return False
    head = s[:17]
    if not (head.isascii() and head.isdigit()) or s[0] == "0":
        return False
    try:
        _dt.date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return False
    return s[17] == id_check_char(head)


def id_numbers(
    rng: np.random.Generator,
    n: int,
    birth_years: np.ndarray,
    region: str = "330105",
    male: np.ndarray | None = None,
) -> list[str]:
    """Return n valid 18-character resident ID numbers born in the given years."""
    n = _check_n(n)
    years = np.asarray(birth_years, dtype=np.int64).reshape(-1)
    if years.shape[0] != n:
        raise ValueError(f"birth_years has {years.shape[0]} entries, expected {n}")
    if n and (years.min() < _MIN_BIRTH_YEAR or years.max() > _MAX_BIRTH_YEAR):
        raise ValueError(f"birth years must lie in {_MIN_BIRTH_YEAR}..{_MAX_BIRTH_YEAR}")
    if len(region) != 6 or not (region.isascii() and region.isdigit()) or region[0] == "0":
        raise ValueError(f"region must be a 6-digit code, got {region!r}")
    is_male = None if male is None else _check_male(rng, n, male)

    # Region: mostly the local code, otherwise a weighted draw from elsewhere.
    reg = np.full(n, int(region), dtype=np.int64)
    away = rng.random(n) >= _LOCAL_REGION_RATE
    reg[away] = _OTHER_REGION_INT[
        rng.choice(len(OTHER_REGION_CODES), size=int(away.sum()), p=_OTHER_REGION_P)
    ]

    # Birth date: a uniform day of the birth year (leap years handled by datetime64).
    start = (years - 1970).astype("M8[Y]").astype("M8[D]")
    ndays = ((years - 1969).astype("M8[Y]").astype("M8[D]") - start).astype(np.int64)
    date = start + rng.integers(0, ndays, dtype=np.int64)
    month_start = date.astype("M8[M]")
    month = month_start.astype(np.int64) % 12 + 1
    day = (date - month_start.astype("M8[D]")).astype(np.int64) + 1
    ymd = years * 10_000 + month * 100 + day

    # Sequence 001-999; its last digit is odd for men and even for women.
    if is_male is None:
        seq = rng.integers(1, 1000, n, dtype=np.int64)
    else:
        seq = rng.integers(1, 500, n, dtype=np.int64) * 2 + is_male
    first17 = reg * 10**11 + ymd * 1_000 + seq  # < 10**17, fits in int64

    total = np.zeros(n, dtype=np.int64)
    for pos, w in enumerate(_ID_WEIGHTS):
        total += (first17 // 10 ** (16 - pos)) % 10 * w
    check = _ID_CHECK_ARR[total % 11]
    return np.strings.add(first17.astype("<U17"), check).tolist()


# --------------------------------------------------------------------------------------
# Compounds, communities, companies, grids
# --------------------------------------------------------------------------------------

# Place-like first parts typical of Gongshu / old Xiacheng, Hangzhou.
PLACE_PARTS: tuple[str, ...] = (
    "信义", "和睦", "大关", "德胜", "米市", "朝晖", "潮鸣", "文晖", "湖墅", "小河",
    "拱宸", "祥符", "半山", "康桥", "石桥", "东新", "长庆", "武林", "卖鱼桥", "左家",
    "瓜山", "香积寺", "善贤", "上塘", "蔡马", "洋湖", "运河", "皋亭", "杭钢", "登云",
    "和平", "新华", "打铁关", "闸弄口", "王马", "双菱", "塘河", "华丰", "勾山", "沈塘",
    "红石", "天水", "仓基", "宝善", "西文", "中山", "环城", "德寿", "青莲", "戴家",
    "三塘", "华中", "赵家", "渡驾", "吉祥", "北秀", "胜利", "石祥", "桥西", "夹城",
    "万家", "叶青", "大塘", "东园", "丁桥", "拱北", "费家塘", "青园", "宸北", "新塘",
    "兴隆", "刀茅巷", "麒麟", "桃源", "长木", "大兜", "锦绣", "杨家", "姚家", "八丈井",
)  # fmt: skip

COMPOUND_KINDS: tuple[str, ...] = ("old", "commodity", "resettlement")
_KIND_SUFFIXES: dict[str, tuple[str, ...]] = {
    "old": ("新村", "小区", "里", "坊", "公寓", "东苑", "西苑", "南苑", "北苑", "宿舍"),
    "commodity": ("花园", "苑", "府", "名邸", "公馆", "雅苑", "华庭", "公寓", "家园", "城"),
    "resettlement": ("家园", "安置小区", "新苑", "佳苑", "人家"),
}
# Numbered estates such as 朝晖一区: old compounds only, never further varied.
_OLD_NUMBERED = ("一区", "二区", "三区", "四区", "五区", "六区", "七区", "八区", "九区")
_ORDINAL_UNIT = {"old": "区", "commodity": "期", "resettlement": "期"}
_DIRECTIONS = ("东", "西", "南", "北")
_NUMERALS = ("一", "二", "三", "四", "五", "六", "七", "八", "九")
MAX_COMPOUNDS = 12_000
MAX_COMMUNITIES = 3_000


def _compound_tiers(kind: str) -> list[list[str]]:
    """Candidate names for one kind, grouped from most to least ordinary-looking."""
    plain: list[str] = []
    directional: list[str] = []
    ordinal: list[str] = []
    unit = _ORDINAL_UNIT[kind]
    for place in PLACE_PARTS:
        for suf in _KIND_SUFFIXES[kind]:
            plain.append(place + suf)
            bases = [place + suf]
            if suf[0] not in _DIRECTIONS:
                for d in _DIRECTIONS:
                    if not place.endswith(d):
                        directional.append(place + d + suf)
                        bases.append(place + d + suf)
            u = "期" if suf.endswith(unit) else unit
            ordinal.extend(b + num + u for b in bases for num in _NUMERALS[1:])
        if kind == "old":
            plain.extend(place + s for s in _OLD_NUMBERED[:3])
            directional.extend(place + s for s in _OLD_NUMBERED[3:])
    return [plain, directional, ordinal]


def _ranked(rng: np.random.Generator, tiers: list[list[str]], blend: float) -> list[str]:
    """Deduplicate candidates and order them randomly, plainer tiers (mostly) first."""
    names: list[str] = []
    keys: list[np.ndarray] = []
    seen: set[str] = set()
    for t, tier in enumerate(tiers):
        fresh = [s for s in dict.fromkeys(tier) if s not in seen]
        seen.update(fresh)
        names.extend(fresh)
        keys.append(t + blend * rng.random(len(fresh)))
    order = np.argsort(np.concatenate(keys), kind="stable")
    return [names[i] for i in order]


def compound_names(rng: np.random.Generator, kinds: Sequence[str]) -> list[str]:
    """Return one unique Hangzhou-style compound name per kind (old/commodity/resettlement)."""
    kinds = list(kinds)
    bad = sorted(set(kinds) - set(COMPOUND_KINDS))
    if bad:
        raise ValueError(f"unknown compound kind(s) {bad}; expected one of {COMPOUND_KINDS}")
    if len(kinds) > MAX_COMPOUNDS:
        raise ValueError(f"at most {MAX_COMPOUNDS} compound names supported, got {len(kinds)}")
    out: list[str] = [""] * len(kinds)
    used: set[str] = set()
    for kind in COMPOUND_KINDS:  # fixed order keeps the output deterministic
        slots = [i for i, k in enumerate(kinds) if k == kind]
        if not slots:
            continue
        pool = iter(_ranked(rng, _compound_tiers(kind), blend=1.5))
        for i in slots:
            name = next((s for s in pool if s not in used), None)
            if name is None:
                raise ValueError(f"ran out of unique {kind!r} compound names at {len(used)}")
            used.add(name)
            out[i] = name
    return out


_COMMUNITY_MIDDLES = (
    "", "新村", "坊", "里", "苑", "东苑", "西苑", "南苑", "北苑", "新苑",
    "花园", "家园", "公寓", "一区", "二区", "三区", "四区", "五区",
)  # fmt: skip
_COMMUNITY_DIRECTIONAL = ("", "新村", "坊", "里", "苑", "花园", "家园")


def community_names(rng: np.random.Generator, n: int) -> list[str]:
    """Return n unique community names ending in 社区 (unique for n up to 3,000)."""
    n = _check_n(n)
    plain = [p + m + "社区" for p in PLACE_PARTS for m in _COMMUNITY_MIDDLES]
    directional = [
        p + d + m + "社区"
        for p in PLACE_PARTS
        for d in _DIRECTIONS
        for m in _COMMUNITY_DIRECTIONAL
        if not p.endswith(d)
    ]
    pool = _ranked(rng, [plain, directional], blend=1.3)
    if n > len(pool):
        raise ValueError(f"only {len(pool)} unique community names available, asked for {n}")
    return pool[:n]


# Fictional property-company brands (2 characters each); 60 distinct.
_COMPANY_BRANDS: tuple[str, ...] = (
    "禾润", "锦澜", "澄湖", "溪岸", "宸悦", "和锦", "嘉颐", "润泽", "安澜", "沐禾",
    "汇晟", "瑞庭", "悦居", "康颐", "恒安", "邻里", "盈家", "德邻", "居安", "泓泰",
    "祥和", "舒苑", "怡景", "佳缘", "融邦", "晟锦", "广润", "欣和", "卓源", "弘毅",
    "鼎宸", "同辉", "睿居", "蓝湾", "嘉运", "映月", "临河", "宸和", "拱运", "湖畔",
    "聚福", "美邻", "明远", "家和", "泊岸", "清溪", "涵碧", "华墅", "运泰", "浦安",
    "博雅", "知邻", "丰源", "秋实", "晨曦", "东晖", "善居", "和畅", "雅筑", "宁晖",
)  # fmt: skip
COMPANY_POOL: tuple[str, ...] = tuple(
    f"杭州{b}{'物业管理有限公司' if i % 3 == 0 else '物业服务有限公司'}"
    for i, b in enumerate(_COMPANY_BRANDS)
)
# Zipf-like market shares: a few large firms manage many compounds.
_COMPANY_P = 1.0 / (np.arange(len(COMPANY_POOL)) + 3.0) ** 0.9
_COMPANY_P /= _COMPANY_P.sum()


def company_names(rng: np.random.Generator, n: int) -> list[str]:
    """Return n draws (with repeats) from a fixed pool of 60 fictional property companies."""
    n = _check_n(n)
    return [COMPANY_POOL[i] for i in rng.choice(len(COMPANY_POOL), size=n, p=_COMPANY_P)]


def grid_names(community_name: str, k: int) -> list[str]:
    """Return the k grid names of a community: 某某社区第1网格 … 第k网格."""
    k = _check_n(k)
    return [f"{community_name}第{i}网格" for i in range(1, k + 1)]
