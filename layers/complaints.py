"""投诉 from 码上办, 协商铃 and the 12345 hotline."""

from geo_service import enums

from .base import AREA_KEYS, BUILDING, Field, Layer

LAYER = Layer(
    id="complaints",
    title="投诉",
    title_en="Complaints",
    table="complaint",
    geometry_type="Point",
    kind="event",
    time_field="created_at",
    fields=(
        *AREA_KEYS,
        BUILDING,
        Field("channel", "渠道", vocabulary=enums.COMPLAINT_CHANNEL),
        Field("category", "类别", vocabulary=enums.COMPLAINT_CATEGORY),
        Field("created_at", "提交时间", "datetime"),
        Field("first_response_at", "首次响应时间", "datetime"),
        Field("resolved_at", "办结时间", "datetime"),
        Field("satisfaction", "满意度", "integer"),
    ),
    min_zoom=14,
    style={"color": "#e66101", "radius": 3},
    description="投诉（码上办、协商铃、12345）",
)
