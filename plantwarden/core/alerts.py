"""Alerts: what a detection raises, with its evidence. Pure types, standard library only."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

LOW: Final = "low"
MEDIUM: Final = "medium"
HIGH: Final = "high"
CRITICAL: Final = "critical"
SEVERITIES: Final = (LOW, MEDIUM, HIGH, CRITICAL)

#: alert states (docs/alerts.md): new -> acknowledged -> resolved, or suppressed with a reason; approved:
#: a change inside a declared change window (docs/change-windows.md), kept apart from the open alerts
NEW: Final = "new"
ACKNOWLEDGED: Final = "acknowledged"
RESOLVED: Final = "resolved"
SUPPRESSED: Final = "suppressed"
APPROVED: Final = "approved"
STATES: Final = (NEW, ACKNOWLEDGED, RESOLVED, SUPPRESSED, APPROVED)

#: evidence items an alert keeps (the first ones; ``count`` says how many occurrences there were)
MAX_EVIDENCE: Final = 20


@dataclass(slots=True)
class Alert:
    """One alert: the occurrences of one finding (same detection and key) within the dedup window."""

    detection: str  # the detection's stable id, e.g. "ics.plc_stop"
    technique: str  # ATT&CK for ICS technique id, e.g. "T0881"
    severity: str
    title: str  # one line for humans
    key: str  # what makes two findings the same alert (e.g. "10.0.0.5->10.0.0.9")
    src: str | None
    dst: str | None
    first_seen: float  # traffic time (epoch seconds), not analysis time
    last_seen: float
    count: int = 1
    state: str = NEW
    evidence: list[dict[str, Any]] = field(default_factory=list)

    def add(self, ts: float, evidence: dict[str, Any]) -> None:
        self.count += 1
        self.first_seen = min(self.first_seen, ts)
        self.last_seen = max(self.last_seen, ts)
        if len(self.evidence) < MAX_EVIDENCE:
            self.evidence.append(evidence)
