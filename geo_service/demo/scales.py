"""Target counts of the demo district at each scale.

``district`` follows Gongshu's published figures (about 690 compounds, 170 communities,
12,000 buildings, 2,000,000 resident records, 55,000 party members, 10,000 building
captains, 660 commissioners, 1,300 completed elevator retrofits). ``tiny`` loads in
seconds for tests; ``city`` is about 15x the district for scale tests: a synthetic city
made by stretching the district outline 15-fold in area around its centre, so housing
density stays that of Gongshu.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace


@dataclass(frozen=True)
class Scale:
    name: str
    communities: int
    compounds: int
    buildings: int
    residents: int
    party_members: int
    captains: int
    commissioners: int
    retrofits_completed: int
    retrofits_pipeline: int
    complaints: int  # over the three years of history
    petitions: int  # over the three years of history
    years: int = 3
    area_factor: float = 1.0  # the city scale stretches the outline to keep density

    def targets(self) -> dict[str, int]:
        """Expected row counts per table (tables whose count is a target)."""
        return {
            "street": 18,
            "community": self.communities,
            "compound": self.compounds,
            "building": self.buildings,
            "resident": self.residents,
            "party_member": self.party_members,
            "building_captain": self.captains,
            "commissioner": self.commissioners,
            "elevator_retrofit": self.retrofits_completed + self.retrofits_pipeline,
            "complaint": self.complaints,
            "petition": self.petitions,
        }


DISTRICT = Scale(
    name="district",
    communities=170,
    compounds=690,
    buildings=12_000,
    residents=2_000_000,
    party_members=55_000,
    captains=10_000,
    commissioners=660,
    retrofits_completed=1_300,
    retrofits_pipeline=700,
    complaints=150_000,
    petitions=9_000,
)


def _times(base: Scale, k: int, name: str) -> Scale:
    """``base`` with every count and its area multiplied by ``k`` (same density)."""
    fixed = {"name", "years", "area_factor"}
    counts = {f.name: getattr(base, f.name) * k for f in fields(Scale) if f.name not in fixed}
    return replace(base, name=name, area_factor=base.area_factor * k, **counts)


SCALES: dict[str, Scale] = {
    "tiny": Scale(
        name="tiny",
        communities=18,
        compounds=40,
        buildings=500,
        residents=80_000,
        party_members=1_700,
        captains=400,
        commissioners=38,
        retrofits_completed=50,
        retrofits_pipeline=30,
        complaints=3_000,
        petitions=300,
    ),
    "district": DISTRICT,
    "city": _times(DISTRICT, 15, "city"),
}
