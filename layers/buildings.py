"""楼栋 footprints."""

from .base import AREA_KEYS, Field, Layer

LAYER = Layer(
    id="buildings",
    title="楼栋",
    title_en="Buildings",
    table="building",
    geometry_type="Polygon",
    kind="housing",
    fields=(
        *AREA_KEYS,
        Field("number", "幢号", "integer"),
        Field("floors", "层数", "integer"),
        Field("units", "单元数", "integer"),
        Field("year_built", "建成年份", "integer"),
        Field("has_elevator", "有电梯", "boolean"),
    ),
    min_zoom=15,
    style={"color": "#555555", "weight": 0.8, "fillColor": "#bdbdbd", "fillOpacity": 0.8},
    description="楼栋轮廓（高缩放级别显示）",
)
