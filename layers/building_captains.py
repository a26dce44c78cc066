"""楼栋长 / 楼道长, shown at their building."""

from geo_service import enums

from .base import AREA_KEYS, BUILDING, NAME, PHONE, Field, Layer

LAYER = Layer(
    id="building_captains",
    title="楼栋长/楼道长",
    title_en="Building captains",
    table="building_captain",
    geometry_type="Point",
    geometry_from="building",
    kind="person",
    fields=(
        *AREA_KEYS,
        BUILDING,
        Field("unit_id", "单元编号", "integer"),
        Field("role", "类型", vocabulary=enums.CAPTAIN_ROLE),
        Field("is_party_member", "党员", "boolean"),
    ),
    personal=(NAME, PHONE),
    min_zoom=12,
    style={"color": "#fdae61", "radius": 4},
    description="楼栋长与楼道长（按楼栋定位）",
)
