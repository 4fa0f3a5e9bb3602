"""The indicator matcher: built once from the stored indicators, then read-only and cheap to ask.

Addresses are one dict lookup (``str`` as the sensor writes it), networks one dict lookup per prefix
length in use (the address as an integer, masked), names one lookup per label suffix, URLs and hashes
one lookup each. Every answer is the tuple of indicators valid at the traffic time asked about.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from typing import Any

from plantwarden.iocs.model import (
    CIDR,
    DOMAIN,
    HASH_LENGTHS,
    IP,
    URL,
    Indicator,
    InvalidIndicator,
    normalize_url,
)

_NONE: tuple[Indicator, ...] = ()


def _valid(found: tuple[Indicator, ...], ts: float | None) -> tuple[Indicator, ...]:
    if ts is None:
        return found
    if all(i.valid_from is None and i.valid_until is None for i in found):
        return found
    return tuple(i for i in found if i.valid_at(ts))


class IndicatorMatcher:
    """Immutable lookup tables over a set of indicators (empty when built from nothing)."""

    __slots__ = ("_ips", "_nets", "_names", "_urls", "_hashes", "_count")
    _ips: dict[str, tuple[Indicator, ...]]
    #: IP version -> ((prefix length, mask, {network as int: indicators}), ...), longest prefix first
    _nets: dict[int, tuple[tuple[int, int, dict[int, tuple[Indicator, ...]]], ...]]
    _names: dict[str, tuple[Indicator, ...]]
    _urls: dict[str, tuple[Indicator, ...]]
    _hashes: dict[str, tuple[Indicator, ...]]
    _count: int

    def __init__(self, indicators: Iterable[Indicator] = ()) -> None:
        ips: dict[str, list[Indicator]] = {}
        nets: dict[int, dict[int, dict[int, list[Indicator]]]] = {4: {}, 6: {}}
        names: dict[str, list[Indicator]] = {}
        urls: dict[str, list[Indicator]] = {}
        hashes: dict[str, list[Indicator]] = {}
        count = 0
        for ind in indicators:
            count += 1
            if ind.kind == IP:
                ips.setdefault(ind.value, []).append(ind)
            elif ind.kind == CIDR:
                net = ipaddress.ip_network(ind.value, strict=False)
                by_len = nets[net.version].setdefault(net.prefixlen, {})
                by_len.setdefault(int(net.network_address), []).append(ind)
            elif ind.kind == DOMAIN:
                names.setdefault(ind.value, []).append(ind)
            elif ind.kind == URL:
                urls.setdefault(ind.value, []).append(ind)
            elif ind.kind in HASH_LENGTHS:
                hashes.setdefault(ind.value, []).append(ind)
        frozen_nets = {
            v: tuple((plen, _mask(v, plen), {k: tuple(x) for k, x in t.items()})
                     for plen, t in sorted(by.items(), reverse=True))
            for v, by in nets.items()
        }
        object.__setattr__(self, "_ips", {k: tuple(v) for k, v in ips.items()})
        object.__setattr__(self, "_nets", frozen_nets)
        object.__setattr__(self, "_names", {k: tuple(v) for k, v in names.items()})
        object.__setattr__(self, "_urls", {k: tuple(v) for k, v in urls.items()})
        object.__setattr__(self, "_hashes", {k: tuple(v) for k, v in hashes.items()})
        object.__setattr__(self, "_count", count)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("IndicatorMatcher is immutable")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, IndicatorMatcher):
            return NotImplemented
        return (self._ips, self._nets, self._names, self._urls, self._hashes) == (
            other._ips, other._nets, other._names, other._urls, other._hashes)

    __hash__ = None  # type: ignore[assignment]  # equal by content, and holds dicts

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    def __repr__(self) -> str:
        return (f"IndicatorMatcher({self._count} indicators: {len(self._ips)} addresses, "
                f"{sum(len(t) for by in self._nets.values() for _, _, t in by)} networks, {len(self._names)} "
                f"names, {len(self._urls)} URLs, {len(self._hashes)} hashes)")

    # -- what there is to match (a detection subscribes to the events it can use) --------------------

    @property
    def has_addresses(self) -> bool:
        return bool(self._ips) or any(self._nets.values())

    @property
    def has_names(self) -> bool:
        return bool(self._names)

    @property
    def has_urls(self) -> bool:
        return bool(self._urls)

    @property
    def has_hashes(self) -> bool:
        return bool(self._hashes)

    # -- lookups ----------------------------------------------------------------------------------

    def match_ip(self, addr: str, ts: float | None = None) -> tuple[Indicator, ...]:
        """Indicators (addresses, then networks from the longest prefix) that cover ``addr``."""
        found = self._ips.get(addr, _NONE)
        v6 = ":" in addr
        nets = self._nets[6 if v6 else 4]
        if nets:
            try:  # inet_pton: strict, and five times faster than ipaddress
                n = int.from_bytes(socket.inet_pton(socket.AF_INET6 if v6 else socket.AF_INET, addr))
            except (OSError, ValueError):
                return _valid(found, ts)
            for _plen, mask, table in nets:
                hit = table.get(n & mask)
                if hit:
                    found = found + hit
        return _valid(found, ts) if found else _NONE

    def match_name(self, name: str, ts: float | None = None, subdomains: bool = True) -> tuple[Indicator, ...]:
        """Domain indicators equal to ``name`` (any case, trailing dot or not) or, with ``subdomains``,
        to one of its parent domains."""
        names = self._names
        if not names or not name:
            return _NONE
        n = name.lower()
        if n[-1] == ".":
            n = n.rstrip(".")
        found = names.get(n, _NONE)
        if subdomains:
            i = n.find(".")
            while i >= 0:
                n = n[i + 1:]
                hit = names.get(n)
                if hit:
                    found = found + hit
                i = n.find(".")
        return _valid(found, ts) if found else _NONE

    def match_url(self, url: str, ts: float | None = None) -> tuple[Indicator, ...]:
        """URL indicators equal to ``url`` once normalised; an indicator without a query also matches
        the same URL with any query."""
        if not self._urls:
            return _NONE
        try:
            u = normalize_url(url)
        except InvalidIndicator:
            return _NONE
        found = self._urls.get(u, _NONE)
        q = u.find("?")
        if q >= 0:
            found = found + self._urls.get(u[:q], _NONE)
        return _valid(found, ts) if found else _NONE

    def match_hash(self, digest: str, ts: float | None = None) -> tuple[Indicator, ...]:
        if not self._hashes or not digest:
            return _NONE
        found = self._hashes.get(digest.lower(), _NONE)
        return _valid(found, ts) if found else _NONE


def _mask(version: int, plen: int) -> int:
    bits = 32 if version == 4 else 128
    return ((1 << plen) - 1) << (bits - plen)


#: the matcher of no indicators (what a detection context holds by default)
EMPTY = IndicatorMatcher()
