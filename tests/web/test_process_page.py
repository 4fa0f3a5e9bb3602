"""The dashboard's process models page (/process): stored models, the active one's points and rules,
upload, activate, none active, remove; permissions, CSRF, hostile names and broken files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from plantwarden.ml.process import train
from plantwarden.ml.series import PointType, ValueRecorder
from plantwarden.sensor.pipeline import Sensor

from ..ml.tankplant import tank_capture
from .conftest import csrf_of

HOSTILE = '<script>alert("pm")</script>'


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    d = tmp_path_factory.mktemp("pm")
    runs = []
    for i in range(2):
        rec = ValueRecorder()
        Sensor(sinks=[rec]).process_file(tank_capture(d / f"n{i}.pcap", 300, seed=i, start=1_760_000_000.0 + 1000 * i))
        runs.append(rec.points)
    types = {"10.0.0.20/unit1/holding/3": PointType("uint16", "mm", 1.0, 0.0, HOSTILE)}
    return train(runs, 1.0, kind="pca", types=types).dumps()


def _upload(c: Any, data: bytes, name: str, activate: bool = True) -> Any:
    form = {"name": name, "csrf_token": csrf_of(c.get("/process").text)}
    if activate:
        form["activate"] = "1"
    return c.post("/process", data=form, files={"file": ("m.npz", data, "application/octet-stream")},
                  follow_redirects=True)


def test_upload_activate_and_the_active_model_s_points(client_for: Any, model_file: bytes) -> None:
    c = client_for("ot_engineer")
    page = c.get("/process")
    assert page.status_code == 200 and "no process model kept" in page.text
    r = _upload(c, model_file, f"tank {HOSTILE}")
    assert r.status_code == 200 and "process model 1 (pca, 3 points): the active one" in r.text
    assert "<script>alert(" not in r.text and "&lt;script&gt;alert(" in r.text  # name and point name escaped
    assert "10.0.0.20/unit1/holding/0" in r.text and "float32_abcd" in r.text and ">mm<" in r.text
    r = _upload(c, model_file, "again")  # the same bytes: kept once
    assert r.text.count('<td class="num">3</td>') == 1
    r = c.post("/process/deactivate", data={"csrf_token": csrf_of(r.text)}, follow_redirects=True)
    assert "no process model is active" in r.text and "Points of the active model" not in r.text
    r = c.post("/process/1/activate", data={"csrf_token": csrf_of(r.text)}, follow_redirects=True)
    assert "process model 1 is the active one" in r.text and "Points of the active model" in r.text
    r = c.post("/process/1/remove", data={"csrf_token": csrf_of(r.text)}, follow_redirects=True)
    assert "process model 1 removed" in r.text and "no process model kept" in r.text
    r = c.post("/process/1/remove", data={"csrf_token": csrf_of(r.text)}, follow_redirects=True)
    assert r.status_code == 200 and "no process model 1" in r.text
    audit = client_for("admin").get("/audit").text
    for action in ("process_model.add", "process_model.activate", "process_model.deactivate", "process_model.remove"):
        assert action in audit
    assert "web:ot-engineer" in audit


@pytest.mark.parametrize("data", [b"", b"not a model", b"PK\x03\x04" + b"\x00" * 100])
def test_broken_model_files_are_a_message(client_for: Any, data: bytes) -> None:
    c = client_for("admin")
    r = _upload(c, data, "broken")
    assert r.status_code == 200 and "not a model file" in r.text and "no process model kept" in r.text


def test_viewers_see_but_cannot_change(client_for: Any, model_file: bytes) -> None:
    admin = client_for("admin")
    _upload(admin, model_file, "tank")
    viewer = client_for("viewer")
    page = viewer.get("/process")
    assert page.status_code == 200 and "tank" in page.text and 'action="/process"' not in page.text
    assert viewer.post("/process/1/remove").status_code == 403
    r = viewer.post("/process", files={"file": ("m.npz", b"x", "application/octet-stream")}, data={"name": "x"})
    assert r.status_code == 403


def test_csrf_is_required(client_for: Any, model_file: bytes) -> None:
    c = client_for("ot_engineer")
    _upload(c, model_file, "tank")
    del c.headers["X-CSRF-Token"]
    assert c.post("/process/1/remove").status_code == 403
    assert "tank" in c.get("/process").text


def test_the_demo_store_s_uploads_use_the_active_model(tmp_path: Path) -> None:
    """The dashboard's upload jobs analyse through ingest, which takes the store's active model."""
    from plantwarden.detections.process import ProcessAnomaly
    from plantwarden.store.ingest import context_from
    from plantwarden.store.process import add_model
    from plantwarden.store.service import Store

    with Store(tmp_path / "s.db") as store:
        assert context_from(store).process_model is None
        runs = []
        for i in range(2):
            rec = ValueRecorder()
            Sensor(sinks=[rec]).process_file(tank_capture(tmp_path / f"n{i}.pcap", 300, seed=i))
            runs.append(rec.points)
        add_model(store, train(runs, 1.0, kind="pca").dumps(), "tank")
        ctx = context_from(store)
        assert ctx.process_model is not None and ProcessAnomaly(ctx).scorer is not None
