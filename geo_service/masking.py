"""De-identification of personal fields on display (PIPL): 张*明, 138****1234,
330105********1234. Every response that carries a personal field passes through here
unless the principal may see it (a commissioner, for their own compounds)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, MutableMapping


def mask_name(name: str) -> str:
    """Keep the first and (for three or more characters) the last character: 张*明, 李*,
    欧阳**锋."""
    n = len(name)
    if n <= 1:
        return "*" * n
    if n == 2:
        return name[0] + "*"
    return name[0] + "*" * (n - 2) + name[-1]


def mask_phone(phone: str) -> str:
    """Keep the first 3 and last 4 digits of a mobile number: 138****1234."""
    if len(phone) < 8:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_id_number(id_number: str) -> str:
    """Keep the first 6 (the issuing area) and the last 4 characters."""
    if len(id_number) < 11:
        return "*" * len(id_number)
    return id_number[:6] + "*" * (len(id_number) - 10) + id_number[-4:]


MASKS: dict[str, Callable[[str], str]] = {
    "name": mask_name,
    "phone": mask_phone,
    "id_number": mask_id_number,
}


def mask_value(field: str, value: object) -> object:
    """The masked value of personal field ``field`` (unknown fields are fully hidden)."""
    if value is None:
        return None
    text = str(value)
    return MASKS.get(field, lambda s: "*" * len(s))(text)


def mask_record(record: MutableMapping[str, object], fields: Iterable[str]) -> None:
    """Mask ``fields`` of one record in place."""
    for f in fields:
        if f in record:
            record[f] = mask_value(f, record[f])


def mask_features(fc: dict, fields: Iterable[str]) -> dict:
    """Mask ``fields`` in the properties of every feature of a FeatureCollection."""
    fields = tuple(fields)
    for feat in fc.get("features", []):
        mask_record(feat["properties"], fields)
    return fc
