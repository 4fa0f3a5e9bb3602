"""Alert documents (as ``plantwarden alerts --format json`` writes them) for the output tests."""

from __future__ import annotations

from typing import Any

HOSTILE = "PLC|stop\\x=y\nCEF:0|forged|\r=\\|"


def doc(n: int = 1, **kw: Any) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": n, "detection": "ics.plc_stop", "technique": "T0858", "technique_name": "Change Operating Mode",
        "tactics": ["Execution", "Inhibit Response Function"], "severity": "high", "state": "new",
        "state_reason": None, "state_changed_at": None, "title": f"S7 PLC stop: 10.0.0.5 -> 10.0.0.9 ({n})",
        "key": "10.0.0.5->10.0.0.9", "src": "10.0.0.5", "dst": "10.0.0.9", "first_seen": 1700000000.25,
        "last_seen": 1700000060.5, "count": 3, "evidence": [], "history": [], "created_at": 1.0, "updated_at": 1.0}
    d.update(kw)
    return d


def ioc_doc(n: int = 2, stix_id: str | None = None, kind: str = "domain", value: str = "evil.example",
            observed: str = "c2.evil.example") -> dict[str, Any]:
    details = {"indicator": value, "indicator_kind": kind, "indicator_id": 4, "indicator_source": "intel",
               "indicator_description": "dropper", "stix_id": stix_id, "where": "dns question name",
               "observed": observed, "frame": 9}
    return doc(n, detection="ioc.match", technique="T0869", technique_name="Standard Application Layer Protocol",
               tactics=["Command and Control"], title=f"Known-bad {kind} {value}", key=f"10.0.0.5->10.0.0.53|{kind}:{value}",
               dst="10.0.0.53", evidence=[{"capture": "c.pcap", "ts": 1700000000.25, "details": details}])
