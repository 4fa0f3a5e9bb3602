"""The baseline: what normal traffic looks like, learned from captures (docs/baselines.md).

A :class:`Baseline` holds, per (client, server, protocol) pair, the request functions seen and the
address ranges written per address space, and per Modbus holding register the lowest and highest
value seen. While it learns (``learning(ts)``), the learner sink adds to it and the deviation
detections stay silent; afterwards they compare traffic with it. Standard library only.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

#: address ranges kept per (pair, space); beyond it the two closest ranges are joined
MAX_RANGES = 64
#: pairs / points learned at most in one baseline (nothing more is learned beyond it)
MAX_PAIRS = 100_000
MAX_POINTS = 200_000

Pair = tuple[str, str, str]  # (client, server, protocol)
Point = tuple[str, int, int]  # (server, unit id, holding register)


def add_range(ranges: list[list[int]], lo: int, hi: int) -> bool:
    """Add [lo, hi] to a sorted list of disjoint ranges (joining touching ones); True when it grew."""
    if covered(ranges, lo, hi):
        return False
    out: list[list[int]] = []
    placed = False
    for r in ranges:
        if r[1] + 1 < lo:
            out.append(r)
        elif hi + 1 < r[0]:
            if not placed:
                out.append([lo, hi])
                placed = True
            out.append(r)
        else:
            lo, hi = min(lo, r[0]), max(hi, r[1])
    if not placed:
        out.append([lo, hi])
    out.sort()
    while len(out) > MAX_RANGES:
        i = min(range(len(out) - 1), key=lambda j: out[j + 1][0] - out[j][1])
        out[i:i + 2] = [[out[i][0], out[i + 1][1]]]
    ranges[:] = out
    return True


def covered(ranges: Sequence[list[int]], lo: int, hi: int) -> bool:
    """Whether one range of a sorted disjoint list holds [lo, hi] (binary search)."""
    i = bisect_right(ranges, lo, key=_start) - 1
    return i >= 0 and hi <= ranges[i][1]


def _start(r: list[int]) -> int:
    return r[0]


@dataclass(slots=True)
class PairRecord:
    """One allowed (client, server, protocol) communication."""

    client: str
    server: str
    protocol: str
    first_seen: float
    last_seen: float
    requests: int = 0
    #: function (``function_of``) -> requests seen
    functions: dict[str, int] = field(default_factory=dict)
    #: address space (``write_targets``) -> sorted disjoint [low, high] ranges written
    writes: dict[str, list[list[int]]] = field(default_factory=dict)

    @property
    def key(self) -> Pair:
        return (self.client, self.server, self.protocol)

    def merge(self, other: PairRecord) -> None:
        self.first_seen = min(self.first_seen, other.first_seen)
        self.last_seen = max(self.last_seen, other.last_seen)
        self.requests += other.requests
        for fn, n in other.functions.items():
            self.functions[fn] = self.functions.get(fn, 0) + n
        for space, ranges in other.writes.items():
            mine = self.writes.setdefault(space, [])
            for lo, hi in ranges:
                add_range(mine, lo, hi)


@dataclass(slots=True)
class ValueRange:
    """The values one Modbus holding register showed (reads and writes)."""

    server: str
    unit: int
    register: int
    low: float
    high: float
    count: int = 1
    first_seen: float = 0.0
    last_seen: float = 0.0

    @property
    def key(self) -> Point:
        return (self.server, self.unit, self.register)


class Baseline:
    """The allowlist, mutable while learning. ``learn_until`` is the traffic time up to which it learns
    (``math.inf``: all of the run, as ``analyze --learn``; None: it only enforces)."""

    __slots__ = ("pairs", "values", "hosts", "server_pairs", "learn_until", "learn_for", "run_start")

    def __init__(self, pairs: Iterable[PairRecord] = (), values: Iterable[ValueRange] = ()) -> None:
        self.pairs: dict[Pair, PairRecord] = {}
        self.values: dict[Point, ValueRange] = {}
        self.hosts: set[str] = set()
        #: (client, server) -> protocols: for the detections that do not know the protocol
        self.server_pairs: dict[tuple[str, str], set[str]] = {}
        self.learn_until: float | None = None
        #: ``--learn-for``: seconds learned from the first traffic of the run (sets ``learn_until``)
        self.learn_for: float | None = None
        self.run_start: float | None = None
        for p in pairs:
            self._put(p)
        for v in values:
            self.values[v.key] = v

    def _put(self, p: PairRecord) -> None:
        self.pairs[p.key] = p
        self.hosts.add(p.client)
        self.hosts.add(p.server)
        self.server_pairs.setdefault((p.client, p.server), set()).add(p.protocol)

    # -- state --------------------------------------------------------------------------------------

    def __bool__(self) -> bool:
        """True when it knows something or is learning: the deviation detections then use it."""
        return bool(self.pairs) or self.learn_until is not None or self.learn_for is not None

    def learn(self, seconds: float | None = None) -> Baseline:
        """Learn for the whole run (None) or for the first ``seconds`` of its traffic."""
        if seconds is None:
            self.learn_until = math.inf
        else:
            self.learn_for = float(seconds)
        return self

    @property
    def learns(self) -> bool:
        """Whether this run learns at all (``learn`` was called)."""
        return self.learn_until is not None or self.learn_for is not None

    def learning(self, ts: float) -> bool:
        if self.learn_for is not None and self.run_start is None:
            self.run_start = ts
            self.learn_until = ts + self.learn_for
        return self.learn_until is not None and ts <= self.learn_until

    # -- questions the detections ask -------------------------------------------------------------

    def has_pair(self, client: str, server: str, protocol: str | None = None) -> bool:
        if protocol is None:
            return (client, server) in self.server_pairs
        return (client, server, protocol) in self.pairs

    def has_function(self, client: str, server: str, protocol: str, function: str) -> bool:
        p = self.pairs.get((client, server, protocol))
        return p is not None and function in p.functions

    def outside_writes(self, client: str, server: str, protocol: str,
                       targets: Iterable[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
        """The written (space, low, high) targets no learned write range of the pair covers."""
        p = self.pairs.get((client, server, protocol))
        learned = p.writes if p is not None else {}
        return [t for t in targets if not covered(learned.get(t[0], ()), t[1], t[2])]

    def value_range(self, server: str, unit: int, register: int) -> ValueRange | None:
        return self.values.get((server, unit, register))

    # -- learning ---------------------------------------------------------------------------------

    def see_request(self, client: str, server: str, protocol: str, function: str, ts: float,
                    targets: Iterable[tuple[str, int, int]] = ()) -> None:
        key = (client, server, protocol)
        p = self.pairs.get(key)
        if p is None:
            if len(self.pairs) >= MAX_PAIRS:
                return
            p = PairRecord(client, server, protocol, ts, ts)
            self._put(p)
        p.requests += 1
        p.last_seen = max(p.last_seen, ts)
        p.first_seen = min(p.first_seen, ts)
        p.functions[function] = p.functions.get(function, 0) + 1
        for space, lo, hi in targets:
            add_range(p.writes.setdefault(space, []), lo, hi)

    def see_values(self, server: str, unit: int, address: int, values: Iterable[Any], ts: float) -> None:
        vals = self.values
        for i, v in enumerate(values):
            if not isinstance(v, int):
                continue
            k = (server, unit, address + i)
            r = vals.get(k)
            if r is None:
                if len(vals) >= MAX_POINTS:
                    continue
                vals[k] = r = ValueRange(server, unit, address + i, v, v, 0, ts, ts)
            elif v < r.low:
                r.low = v
            elif v > r.high:
                r.high = v
            r.count += 1
            r.last_seen = ts

    # -- merging and editing ------------------------------------------------------------------------

    def merge(self, other: Baseline) -> None:
        for pk, p in other.pairs.items():
            mine = self.pairs.get(pk)
            if mine is None:
                self._put(PairRecord(p.client, p.server, p.protocol, p.first_seen, p.last_seen, p.requests,
                                     dict(p.functions), {s: [list(r) for r in rs] for s, rs in p.writes.items()}))
            else:
                mine.merge(p)
        for vk, v in other.values.items():
            r = self.values.get(vk)
            if r is None:
                self.values[vk] = ValueRange(v.server, v.unit, v.register, v.low, v.high, v.count, v.first_seen,
                                              v.last_seen)
            else:
                r.low, r.high = min(r.low, v.low), max(r.high, v.high)
                r.count += v.count
                r.first_seen, r.last_seen = min(r.first_seen, v.first_seen), max(r.last_seen, v.last_seen)

    def __iter__(self) -> Iterator[PairRecord]:
        return iter(self.pairs.values())


def pair_document(p: PairRecord) -> dict[str, Any]:
    """One pair as the documented JSON object (docs/baselines.md)."""
    return {"client": p.client, "server": p.server, "protocol": p.protocol, "first_seen": p.first_seen,
            "last_seen": p.last_seen, "requests": p.requests, "functions": dict(sorted(p.functions.items())),
            "writes": {s: [list(r) for r in rs] for s, rs in sorted(p.writes.items())}}


def value_document(v: ValueRange) -> dict[str, Any]:
    return {"server": v.server, "protocol": "modbus", "unit_id": v.unit, "register": v.register, "low": v.low,
            "high": v.high, "count": v.count, "first_seen": v.first_seen, "last_seen": v.last_seen}


def baseline_document(b: Baseline) -> dict[str, Any]:
    """The whole baseline as the documented JSON document (``plantwarden baseline show --format json``)."""
    pairs = sorted(b.pairs.values(), key=lambda p: (p.client, p.server, p.protocol))
    values = sorted(b.values.values(), key=lambda v: (v.server, v.unit, v.register))
    return {"pairs": [pair_document(p) for p in pairs], "values": [value_document(v) for v in values]}


def from_mapping(doc: Mapping[str, Any]) -> Baseline:
    """The inverse of :func:`baseline_document`."""
    pairs = [PairRecord(d["client"], d["server"], d["protocol"], float(d["first_seen"]), float(d["last_seen"]),
                        int(d.get("requests", 0)), dict(d.get("functions") or {}),
                        {s: [list(r) for r in rs] for s, rs in (d.get("writes") or {}).items()})
             for d in doc.get("pairs") or ()]
    values = [ValueRange(d["server"], int(d["unit_id"]), int(d["register"]), d["low"], d["high"],
                         int(d.get("count", 1)), float(d.get("first_seen", 0.0)), float(d.get("last_seen", 0.0)))
              for d in doc.get("values") or ()]
    return Baseline(pairs, values)
