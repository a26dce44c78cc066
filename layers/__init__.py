"""The layer registry: one module per layer, registered here, in map order.

The API, map legend, exports and tests iterate over ``REGISTRY``. To add a layer, write
a module that defines ``LAYER`` and add one line to ``_MODULES``.
"""

from __future__ import annotations

from importlib import import_module

from .base import Field, Layer

_MODULES = (
    "streets",
    "communities",
    "grids",
    "compounds",
    "buildings",
    "party_members",
    "building_captains",
    "complaints",
    "petitions",
    "elevator_retrofits",
)

REGISTRY: dict[str, Layer] = {}
for _name in _MODULES:
    _layer: Layer = import_module(f"{__name__}.{_name}").LAYER
    if _layer.id in REGISTRY:
        raise ValueError(f"layer id {_layer.id!r} registered twice")
    REGISTRY[_layer.id] = _layer


def get(layer_id: str) -> Layer:
    """The layer with this id; ``KeyError`` if there is none."""
    return REGISTRY[layer_id]


__all__ = ["REGISTRY", "Field", "Layer", "get"]
