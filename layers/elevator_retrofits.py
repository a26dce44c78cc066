"""加装电梯 projects, one per building."""

from geo_service import enums

from .base import AREA_KEYS, BUILDING, Field, Layer

LAYER = Layer(
    id="elevator_retrofits",
    title="加装电梯",
    title_en="Elevator retrofits",
    table="elevator_retrofit",
    geometry_type="Point",
    kind="event",
    time_field="intent_date",
    fields=(
        *AREA_KEYS,
        BUILDING,
        Field("stage", "阶段", vocabulary=enums.RETROFIT_STAGE),
        Field("intent_date", "意向日期", "date"),
        Field("consultation_date", "协商日期", "date"),
        Field("approved_date", "审批日期", "date"),
        Field("construction_date", "开工日期", "date"),
        Field("completed_date", "完工日期", "date"),
    ),
    min_zoom=12,
    style={"color": "#1a9641", "radius": 4},
    description="老旧小区加装电梯",
)
