"""Tags kept in the store (``plantwarden tag``) join the tags written in a zones model."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from plantwarden.zones.model import ZoneModel


def with_tags(model: ZoneModel, stored: Mapping[str, frozenset[str]]) -> ZoneModel:
    """The model with each stored tag's addresses added to the model's tag of the same name."""
    if not stored:
        return model
    merged = dict(model.tags)
    for tag, addresses in stored.items():
        merged[tag] = merged.get(tag, frozenset()) | addresses
    return dataclasses.replace(model, tags=merged)
