"""街道 outlines: the 18 streets of the district."""

from .base import Field, Layer

LAYER = Layer(
    id="streets",
    title="街道",
    title_en="Streets",
    table="street",
    key="street_code",
    geometry_type="MultiPolygon",
    kind="area",
    compound_key=None,
    fields=(Field("street_code", "街道代码"), Field("name", "街道名称")),
    style={
        "color": "#c0392b",
        "weight": 2.5,
        "fillOpacity": 0.0,
        "dashArray": "6 4",
        # Square dash ends: with round caps on every dash the map's tile renderer took
        # 3.5 instead of 2.0 ms to stroke the opening view's outlines (no GPU).
        "lineCap": "butt",
    },
    description="街道边界（18个街道）",
)
