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
    # One pixel: Chromium strokes lines up to 1 px wide on a fast path; the 1.2 px these
    # were took 2.9 instead of 0.3 ms in the opening view's tiles (in software, no GPU).
    style={"color": "#7f8c8d", "weight": 1, "fillOpacity": 0.0},
    description="社区边界",
)
