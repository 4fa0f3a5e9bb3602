#!/usr/bin/env python3
"""Regenerate the quality table of docs/detections.md from the labelled captures.

    make detections     # = .venv/bin/python scripts/detection_quality.py --out docs/detections.md

Labelled captures: the demo capture (generated with seed 1 into a temporary directory, with its
labels) and every ``tests/data/attacks/*.labels.json`` beside its capture. All registered detections
run with their default options on each capture (one engine per capture, nothing known beforehand).

Per ATT&CK technique:
- **labelled**: hostile actions labelled with it;
- **detected**: those actions for which an alert *with that technique* has an evidence frame inside
  the action's first..last frame;
- **false alerts**: alerts with that technique none of whose evidence frames lies inside a hostile
  action and that no change window approves;
- **approved in a change window**: alerts approved by the change window declared over each authorised
  (non-hostile) action of the labels: its time range, its initiator as host and its targets as assets
  (docs/change-windows.md), as `plantwarden window add` would declare it.
The table goes between the ``quality:start`` / ``quality:end`` markers of the output file.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from plantwarden.baseline.windows import ChangeWindow, apply_windows  # noqa: E402
from plantwarden.core.alerts import Alert  # noqa: E402
from plantwarden.demo import generate_demo_capture, labels_path  # noqa: E402
from plantwarden.detections.attack_ics import TECHNIQUES  # noqa: E402
from plantwarden.detections.engine import DetectionEngine  # noqa: E402
from plantwarden.detections.registry import DETECTIONS  # noqa: E402
from plantwarden.sensor.pipeline import Sensor  # noqa: E402

START, END = "<!-- quality:start -->", "<!-- quality:end -->"


def alerts_of(path: Path) -> list[Alert]:
    eng = DetectionEngine(DETECTIONS)
    Sensor([eng]).process_file(path)
    return eng.alerts()


def frames_of(alert: Alert) -> list[int]:
    out = []
    for e in alert.evidence:
        fr = e.get("frame") or e.get("details", {}).get("frame")
        if isinstance(fr, int):
            out.append(fr)
    return out


def labelled_captures(tmp: Path) -> list[tuple[str, Path, dict[str, Any]]]:
    demo = generate_demo_capture(tmp / "demo.pcap", seed=1)
    caps = [("demo (seed 1)", demo, json.loads(labels_path(demo).read_text()))]
    for lab in sorted((ROOT / "tests" / "data" / "attacks").glob("*.labels.json")):
        labels = json.loads(lab.read_text())
        caps.append((f"tests/data/attacks/{labels['capture']}", lab.parent / labels["capture"], labels))
    return caps


def evaluate(caps: list[tuple[str, Path, dict[str, Any]]]) -> tuple[dict[str, dict[str, int]], list[str]]:
    rows: dict[str, dict[str, int]] = defaultdict(lambda: {"labelled": 0, "detected": 0, "false": 0, "authorised": 0})
    notes: list[str] = []
    for name, path, labels in caps:
        alerts = alerts_of(path)
        hostile = [a for a in labels["actions"] if a.get("hostile", True)]
        benign = [a for a in labels["actions"] if not a.get("hostile", True)]
        windows = [ChangeWindow(b["first_ts"], b["last_ts"], sorted({b["dst"], *b.get("targets", ())}), [b["src"]],
                                note=b["id"]) for b in benign if "first_ts" in b]
        approved = [a for a, w in apply_windows(alerts, windows) if w is not None]
        alerts = [a for a, w in apply_windows(alerts, windows) if w is None]
        for a in approved:
            rows[a.technique]["authorised"] += 1
        for act in hostile:
            t = act["attack_technique"]
            rows[t]["labelled"] += 1
            lo, hi = act["first_frame"], act["last_frame"]
            hits = [a for a in alerts if any(lo <= f <= hi for f in frames_of(a))]
            if any(a.technique == t for a in hits):
                rows[t]["detected"] += 1
            else:
                other = sorted({f"{a.detection} ({a.technique})" for a in hits}) or ["nothing"]
                notes.append(f"{name}: `{act['id']}` labelled {t} raised {', '.join(other)}")
        for a in alerts:
            fr = frames_of(a)
            if any(x["first_frame"] <= f <= x["last_frame"] for x in hostile for f in fr):
                continue
            rows[a.technique]["false"] += 1
            notes.append(f"{name}: false alert {a.detection} ({a.technique}): {a.title}")
    return rows, notes


def render(caps: list[tuple[str, Path, dict[str, Any]]], rows: dict[str, dict[str, int]], notes: list[str]) -> str:
    lines = [START, "", "Captures: " + ", ".join(n for n, _p, _l in caps) + ".", "",
             "| technique | name | labelled | detected | false alerts | approved in a change window |", "|---|---|---|---|---|---|"]
    for t in sorted(rows):
        r = rows[t]
        lines.append(f"| {t} | {TECHNIQUES[t][0]} | {r['labelled']} | {r['detected']} | {r['false']} | {r['authorised']} |")
    tot = {k: sum(r[k] for r in rows.values()) for k in ("labelled", "detected", "false", "authorised")}
    lines.append(f"| **all** | | {tot['labelled']} | {tot['detected']} | {tot['false']} | {tot['authorised']} |")
    if notes:
        lines += ["", "Not detected with the labelled technique, or false:", ""] + [f"- {n}" for n in notes]
    lines += ["", END]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "detections.md")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        caps = labelled_captures(Path(tmp))
        rows, notes = evaluate(caps)
        table = render(caps, rows, notes)
    text = args.out.read_text() if args.out.exists() else f"{START}\n{END}\n"
    if START not in text or END not in text:
        raise SystemExit(f"{args.out} has no {START} ... {END} block")
    head, rest = text.split(START, 1)
    _old, tail = rest.split(END, 1)
    args.out.write_text(head + table + tail)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
