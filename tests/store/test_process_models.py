"""Process models kept in the store (plantwarden.store.process): one active, every change audited, the
active one judging captures analysed without a model file, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from plantwarden.cli.main import main
from plantwarden.core.errors import InvalidInput, NotFound
from plantwarden.ml.process import load_bytes, train
from plantwarden.ml.series import ValueRecorder
from plantwarden.sensor.pipeline import Sensor
from plantwarden.store import process as stored
from plantwarden.store.service import Store

from ..ml.tankplant import ROGUE, tank_capture

START = 1_760_100_000.0


@pytest.fixture(scope="module")
def model_bytes(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, bytes, Path]:
    d = tmp_path_factory.mktemp("pm")
    runs = []
    for i in range(3):
        rec = ValueRecorder()
        Sensor(sinks=[rec]).process_file(tank_capture(d / f"n{i}.pcap", 600, seed=i, start=1_760_000_000.0 + 1000 * i))
        runs.append(rec.points)
    ensemble = train(runs, 1.0).dumps()
    pca = train(runs, 1.0, kind="pca").dumps()
    return ensemble, pca, d


def test_add_list_activate_export_remove_audited(target: str, model_bytes: tuple[bytes, bytes, Path]) -> None:
    ensemble, pca, _d = model_bytes
    with Store(target, actor="ot-engineer") as store:
        first = stored.add_model(store, ensemble, "tank, ensemble")
        assert first["active"] and first["kind"] == "ensemble" and len(first["points"]) == 3
        again = stored.add_model(store, ensemble, "the same bytes")
        assert again["id"] == first["id"] and again["name"] == "tank, ensemble"  # kept once
        second = stored.add_model(store, pca, "tank, pca", activate=False)
        assert [(m["id"], m["active"]) for m in stored.list_models(store)] == [(first["id"], True),
                                                                               (second["id"], False)]
        stored.activate(store, second["id"])
        assert [m["active"] for m in stored.list_models(store)] == [False, True]
        assert stored.active_model(store).detector.KIND == "pca"
        assert stored.model_bytes(store, first["id"]) == ensemble
        stored.deactivate(store)
        assert stored.active_model(store) is None
        stored.remove(store, first["id"])
        assert [m["id"] for m in stored.list_models(store)] == [second["id"]]
        with pytest.raises(NotFound):
            stored.activate(store, first["id"])
        actions = [e.action for e in store.audit_entries() if e.action.startswith("process_model.")]
        assert actions == ["process_model.add", "process_model.activate", "process_model.add",
                           "process_model.activate", "process_model.deactivate", "process_model.remove"]
        assert {e.actor for e in store.audit_entries() if e.action.startswith("process_model.")} == {"ot-engineer"}


@pytest.mark.parametrize("data, message", [(b"", "not a model file"), (b"PK\x03\x04junk", "not a model file"),
                                           (b"\x00" * 100, "not a model file")])
def test_what_is_not_a_process_model_is_refused(tmp_path: Path, data: bytes, message: str) -> None:
    with Store(tmp_path / "s.db") as store:
        with pytest.raises(InvalidInput, match=message):
            stored.add_model(store, data, "x")
        with pytest.raises(InvalidInput, match="name"):
            stored.add_model(store, data, "   ")
        assert stored.list_models(store) == []


def test_analyze_uses_the_active_model_without_a_file(model_bytes: tuple[bytes, bytes, Path], tmp_path: Path) -> None:
    ensemble, _pca, d = model_bytes
    db = tmp_path / "a.db"
    model = tmp_path / "m.npz"
    model.write_bytes(ensemble)
    runner = CliRunner()
    caps = [str(d / f"n{i}.pcap") for i in range(3)]
    r = runner.invoke(main, ["ml", "train", *caps, "--store", "--name", "tank", "--db", str(db)])
    assert r.exit_code == 0 and "process model 1 (tank, active) of the store" in r.output, r.output
    r = runner.invoke(main, ["ml", "models", "--db", str(db), "--format", "json"])
    assert [(m["id"], m["name"], m["active"]) for m in json.loads(r.output)] == [(1, "tank", True)]
    attack = tank_capture(tmp_path / "attack.pcap", 400, seed=7, start=START, attack_at=200)
    r = runner.invoke(main, ["analyze", str(attack), "--db", str(db)])
    assert r.exit_code == 0, r.output
    alerts = json.loads(runner.invoke(main, ["alerts", "--db", str(db), "--format", "json",
                                              "--detection", "process.anomaly"]).output)
    assert any(a["src"] == ROGUE.ip and START + 200 <= a["first_seen"] <= START + 215 for a in alerts)
    assert runner.invoke(main, ["ml", "deactivate", "--db", str(db)]).exit_code == 0
    again = tank_capture(tmp_path / "again.pcap", 400, seed=9, start=START + 5000, attack_at=200)
    assert runner.invoke(main, ["analyze", str(again), "--db", str(db)]).exit_code == 0
    later = json.loads(runner.invoke(main, ["alerts", "--db", str(db), "--format", "json",
                                             "--detection", "process.anomaly"]).output)
    assert len(later) == len(alerts)  # no active model: nothing judged the second capture
    r = runner.invoke(main, ["ml", "export", "1", "--output", str(tmp_path / "out.npz"), "--db", str(db)])
    assert r.exit_code == 0 and load_bytes((tmp_path / "out.npz").read_bytes()).points
    assert runner.invoke(main, ["ml", "activate", "1", "--db", str(db)]).exit_code == 0
    assert "yes" in runner.invoke(main, ["ml", "models", "--db", str(db)]).output
    r = runner.invoke(main, ["ml", "remove", "7", "--db", str(db)])
    assert r.exit_code == 1 and "no process model 7" in r.output
    r = runner.invoke(main, ["ml", "train", *caps])
    assert r.exit_code == 2 and "--model FILE, --store" in r.output
