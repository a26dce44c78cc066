"""What a layer declares: its table, geometry, fields (public or personal), time field,
how it joins to compounds, and how the map styles it. No SQL lives here."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Field:
    """One attribute of a layer: column name, Chinese label, JSON type, optional vocabulary."""

    name: str
    label: str
    type: str = "string"  # string | integer | number | boolean | date | datetime
    vocabulary: dict[str, str] | None = None


@dataclass(frozen=True)
class Layer:
    """A map layer backed by one table.

    ``geometry_from`` names the table whose geometry stands in when the layer has none
    of its own (people are placed at the centroid of their building). ``compound_key``
    is the column that ties a row to its compound (``None`` for area layers above the
    compound). ``personal`` lists the fields that identify a person: they never leave
    the server unmasked unless a role needs them.
    """

    id: str
    title: str
    title_en: str
    table: str
    geometry_type: str  # Point | Polygon | MultiPolygon
    kind: str  # area | housing | person | event
    fields: tuple[Field, ...]
    personal: tuple[Field, ...] = ()
    key: str = "id"
    time_field: str | None = None
    compound_key: str | None = "compound_id"
    geometry_from: str | None = None
    min_zoom: int = 0
    style: dict[str, object] = field(default_factory=dict)
    description: str = ""

    @property
    def public_field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def personal_field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.personal)

    def field(self, name: str) -> Field:
        for f in (*self.fields, *self.personal):
            if f.name == name:
                return f
        raise KeyError(name)


# Fields shared by the layers that carry the area keys.
STREET = Field("street_code", "街道代码")
COMMUNITY = Field("community_code", "社区代码")
COMPOUND = Field("compound_id", "小区编号", "integer")
BUILDING = Field("building_id", "楼栋编号", "integer")
AREA_KEYS = (COMPOUND, STREET, COMMUNITY)
NAME = Field("name", "姓名")
PHONE = Field("phone", "电话")
