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
    # One pixel: Chromium draws lines up to 1 px wide on a fast path, ~10 times quicker than
    # the 1.2 px these were (the map's tiles, in software as on PCs without a GPU).
    style={"color": "#7f8c8d", "weight": 1, "fillOpacity": 0.0},
    description="社区边界",
)
