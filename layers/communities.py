"""社区 outlines."""

from .base import STREET, Field, Layer

LAYER = Layer(
    id="communities",
    title="社区",
    title_en="Communities",
    table="community",
    key="community_code",
    geometry_type="MultiPolygon",
    kind="area",
    compound_key=None,
    fields=(Field("community_code", "社区代码"), Field("name", "社区名称"), STREET),
    style={"color": "#7f8c8d", "weight": 1.2, "fillOpacity": 0.0},
    description="社区边界",
)
