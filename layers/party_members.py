"""党员, shown at their building."""

from .base import AREA_KEYS, BUILDING, NAME, PHONE, Field, Layer

LAYER = Layer(
    id="party_members",
    title="党员",
    title_en="Party members",
    table="party_member",
    geometry_type="Point",
    geometry_from="building",
    kind="person",
    fields=(
        *AREA_KEYS,
        BUILDING,
        Field("in_register", "在册", "boolean"),
        Field("reported", "已报到", "boolean"),
        Field("joined_year", "入党年份", "integer"),
    ),
    personal=(NAME, PHONE),
    min_zoom=12,
    style={"color": "#d7191c", "radius": 4},
    description="党员（按楼栋定位）",
)
