"""Accepting a deviation alert into the baseline: what the alert saw, as a baseline to merge.

The deviation detections put a ``baseline`` object in each evidence item's ``details``
(docs/baselines.md, "Deviation evidence"): ``client``, ``server``, ``protocol``, ``function``, and
``writes`` ([space, low, high] ranges) or ``values`` ([unit, register, value]) when they judged those.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from plantwarden.baseline.model import Baseline


def deviation(client: str, server: str, protocol: str, function: str | None,
              writes: Iterable[tuple[str, int, int]] = (), values: Iterable[tuple[int, int, Any]] = ()) -> dict[str, Any]:
    """The ``baseline`` evidence object of a deviation finding."""
    return {"client": client, "server": server, "protocol": protocol, "function": function,
            "writes": [list(w) for w in writes], "values": [list(v) for v in values]}


def delta_from_evidence(evidence: Iterable[Mapping[str, Any]]) -> Baseline:
    """What accepting an alert with this evidence adds to the baseline (empty when it has no deviation)."""
    b = Baseline()
    for e in evidence:
        d = (e.get("details") or {}).get("baseline")
        if not isinstance(d, Mapping):
            continue
        client, server, proto, fn = d.get("client"), d.get("server"), d.get("protocol"), d.get("function")
        ts = e.get("ts")
        ts = float(ts) if isinstance(ts, int | float) else 0.0
        if not (isinstance(client, str) and isinstance(server, str) and isinstance(proto, str)):
            continue
        writes = [(str(w[0]), int(w[1]), int(w[2])) for w in d.get("writes") or () if len(w) == 3]
        if isinstance(fn, str):
            b.see_request(client, server, proto, fn, ts, writes)
        for v in d.get("values") or ():
            if len(v) == 3 and all(isinstance(x, int) for x in v):
                b.see_values(server, v[0], v[1], [v[2]], ts)
    return b
