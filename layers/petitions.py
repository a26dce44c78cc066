"""信访."""

from geo_service import enums

from .base import AREA_KEYS, Field, Layer

LAYER = Layer(
    id="petitions",
    title="信访",
    title_en="Petitions",
    table="petition",
    geometry_type="Point",
    kind="event",
    time_field="petition_date",
    fields=(
        *AREA_KEYS,
        Field("category", "类别", vocabulary=enums.PETITION_CATEGORY),
        Field("channel", "渠道", vocabulary=enums.PETITION_CHANNEL),
        Field("petition_date", "日期", "date"),
    ),
    min_zoom=13,
    style={"color": "#5e3c99", "radius": 3},
    description="信访事项",
)
