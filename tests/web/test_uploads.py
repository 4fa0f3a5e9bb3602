"""Captures uploaded through the service: checked, queued, analysed in the background with progress,
audited; jobs left by a stopped service run at the next start (docs/web.md, "Uploads")."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from plantwarden.demo import generate_demo_capture


def _wait(c: Any, job: int, timeout: float = 60.0) -> dict[str, Any]:
    end = time.time() + timeout
    while time.time() < end:
        j: dict[str, Any] = c.get(f"/api/jobs/{job}").json()
        if j["state"] in ("done", "failed"):
            return j
        time.sleep(0.1)
    raise AssertionError(f"job {job} still {j['state']}")


def test_upload_is_analysed_in_the_background(app: Any, client_for: Any, tmp_path: Path) -> None:
    cap = generate_demo_capture(tmp_path / "other plant.pcap", seed=7)
    c = client_for("ot_engineer")
    before = c.get("/api/overview").json()["captures"]
    with open(cap, "rb") as f:
        r = c.post("/api/captures", files={"file": ("other plant.pcap", f, "application/vnd.tcpdump.pcap")})
    assert r.status_code == 202, r.text
    job = _wait(c, r.json()["job"])
    assert job["state"] == "done" and job["percent"] == 100.0 and job["error"] is None
    assert job["summary"]["stored"] is True and job["summary"]["packets"] > 100
    assert c.get("/api/overview").json()["captures"] == before + 1
    caps = c.get("/api/captures").json()["captures"]
    assert caps[0]["name"] == "other plant.pcap" and caps[0]["sha256"] == job["sha256"]
    actions = [(e.action, e.actor) for e in app.state.store.audit_entries()]
    assert ("capture.upload", "web:ot-engineer") in actions and ("capture.analyze", "web:ot-engineer") in actions
    # the same content again: accepted, nothing changes
    with open(cap, "rb") as f:
        again = _wait(c, c.post("/api/captures", files={"file": ("copy.pcap", f)}).json()["job"])
    assert again["state"] == "done" and again["summary"]["stored"] is False
    page = c.get("/captures").text
    assert "other plant.pcap" in page and "already analysed" in page


def test_not_a_capture_is_refused_and_not_kept(app: Any, client_for: Any) -> None:
    c = client_for("admin")
    r = c.post("/api/captures", files={"file": ("notes.pcap", b"<html>hello</html>" * 10)})
    assert r.status_code == 400 and "not a pcap or pcapng capture" in r.json()["detail"]
    assert c.post("/api/captures", files={"file": ("empty.pcap", b"")}).status_code == 400
    assert not list(app.state.uploads.glob("*")) if app.state.uploads.exists() else True
    page = c.post("/captures", files={"file": ("notes.txt", b"just text")}, follow_redirects=True)
    assert "not a pcap or pcapng capture" in page.text


def test_truncated_capture_is_analysed_with_anomalies_counted(client_for: Any, tmp_path: Path) -> None:
    cap = generate_demo_capture(tmp_path / "cut.pcap", seed=3)
    data = cap.read_bytes()[: 50_000 + 7]
    c = client_for("admin")
    job = _wait(c, c.post("/api/captures", files={"file": ("cut.pcap", data)}).json()["job"])
    assert job["state"] == "done" and job["summary"]["weirds"] >= 1


def test_interrupted_jobs_run_at_the_next_start(db: Path, tmp_path: Path) -> None:
    from plantwarden.store.models import CaptureJobRow
    from plantwarden.store.service import Store
    from plantwarden.web.app import create_app

    cap = generate_demo_capture(tmp_path / "left.pcap", seed=11)
    with Store(db) as store, store.transaction() as s:
        s.add(CaptureJobRow(name="left.pcap", path=str(cap), size=cap.stat().st_size, done=123, state="running",
                            actor="web:admin", created_at=time.time(), started_at=time.time()))
    app = create_app(str(db), uploads=tmp_path / "up")
    app.state.zone_model = None
    with TestClient(app):
        assert app.state.jobs.wait_idle(60)
    with Store(db) as store, store.read() as s:
        row = s.query(CaptureJobRow).one()
        assert row.state == "done" and row.done == row.size and row.summary["stored"] is True
