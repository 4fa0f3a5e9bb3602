"""Asset tags in the store: labels the user puts on IP addresses and MACs (docs/tags.md)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from plantwarden.core.addresses import address_or_mac
from plantwarden.core.errors import InvalidInput, NotFound
from plantwarden.store.models import AssetTagRow

#: a tag: the same rule as the names of the zones model (docs/zones.md)
TAG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True, slots=True)
class Tag:
    tag: str
    address: str
    note: str | None
    created_at: float


def check_tag(tag: str) -> str:
    if not TAG.match(tag):
        raise InvalidInput(f"not a tag: {tag!r} (letters, digits, '_', '.' or '-', at most 64, not starting with "
                           "a punctuation mark)")
    if tag.startswith("role-"):
        raise InvalidInput(f"{tag!r}: tags starting with 'role-' are given by the inventory's roles")
    return tag


def check_address(text: str) -> str:
    addr = address_or_mac(text)
    if addr is None:
        raise InvalidInput(f"not an IP address or a MAC: {text!r}")
    return addr


def add_tags(s: Session, tag: str, addresses: Iterable[str], note: str | None, at: float) -> list[str]:
    """Put ``tag`` on each address; returns the addresses that did not have it yet."""
    tag = check_tag(tag)
    wanted = sorted({check_address(a) for a in addresses})
    have = set(s.scalars(select(AssetTagRow.address).where(AssetTagRow.tag == tag,
                                                           AssetTagRow.address.in_(wanted))))
    added = [a for a in wanted if a not in have]
    s.add_all(AssetTagRow(tag=tag, address=a, note=note, created_at=at) for a in added)
    return added


def remove_tags(s: Session, tag: str, addresses: Iterable[str]) -> list[str]:
    """Take ``tag`` off each address (all addresses when none is given); NotFound if it was on none."""
    q = select(AssetTagRow.address).where(AssetTagRow.tag == tag)
    wanted = sorted({check_address(a) for a in addresses})
    if wanted:
        q = q.where(AssetTagRow.address.in_(wanted))
    gone = sorted(s.scalars(q))
    if not gone:
        raise NotFound(f"tag {tag!r} is on none of these addresses" if wanted else f"no tag {tag!r}")
    s.execute(delete(AssetTagRow).where(AssetTagRow.tag == tag, AssetTagRow.address.in_(gone)))
    return gone


def load_tags(s: Session) -> list[Tag]:
    rows = s.scalars(select(AssetTagRow).order_by(AssetTagRow.tag, AssetTagRow.address))
    return [Tag(r.tag, r.address, r.note, r.created_at) for r in rows]


def tag_members(tags: Iterable[Tag]) -> dict[str, frozenset[str]]:
    """tag -> the addresses it is on (the shape of the zones model's ``tags``)."""
    out: dict[str, set[str]] = {}
    for t in tags:
        out.setdefault(t.tag, set()).add(t.address)
    return {k: frozenset(v) for k, v in out.items()}
