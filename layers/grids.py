"""网格: traditional grid-management cells."""

from .base import COMMUNITY, STREET, Field, Layer

LAYER = Layer(
    id="grids",
    title="网格",
    title_en="Management grids",
    table="grid",
    geometry_type="MultiPolygon",
    kind="area",
    compound_key=None,
    fields=(Field("code", "网格代码"), Field("name", "网格名称"), STREET, COMMUNITY),
    min_zoom=13,
    style={"color": "#984ea3", "weight": 1, "dashArray": "2 4", "fillOpacity": 0.0},
    description="网格化管理单元",
)
