"""The whole pipeline with a process model: captures of a tank process (tests/ml/tankplant.py, Modbus/TCP
through the project's traffic generator) -> plantwarden ml train -> plantwarden analyze --process-model ->
a process.anomaly alert when a rogue host drives the set-point out of its learned behaviour."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from plantwarden.cli.main import main
from plantwarden.detections.base import Context
from plantwarden.detections.engine import DetectionEngine
from plantwarden.detections.process import ProcessAnomaly
from plantwarden.ml.process import load
from plantwarden.sensor.pipeline import Sensor

from .tankplant import LEVEL, ROGUE, SETPOINT, tank_capture

START = 1_760_100_000.0
ATTACK = 200


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("tank")
    caps = [str(tank_capture(d / f"normal{i}.pcap", 900, seed=i, start=1_760_000_000.0 + 1000 * i)) for i in range(4)]
    r = CliRunner().invoke(main, ["ml", "train", *caps, "--model", str(d / "tank.npz")])
    assert r.exit_code == 0, r.output
    assert "3 points" in r.output and "ensemble" in r.output
    return d, d / "tank.npz"


def _alerts(db: Path) -> list[dict[str, object]]:
    r = CliRunner().invoke(main, ["alerts", "--db", str(db), "--format", "json", "--detection", "process.anomaly"])
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def test_the_model_file_names_its_points_and_types(trained: tuple[Path, Path]) -> None:
    model = load(trained[1])
    assert set(model.points) == {LEVEL, "10.0.0.20/unit1/holding/2", SETPOINT}
    assert model.types[LEVEL].dtype == "float32_abcd" and model.step == 1.0
    assert model.info["runs"] == 4 and model.detector.threshold > 0


@pytest.fixture(scope="module")
def attack_db(trained: tuple[Path, Path]) -> Path:
    d, model = trained
    attack = tank_capture(d / "attack.pcap", 400, seed=7, start=START, attack_at=ATTACK)
    db = d / "attack.db"
    r = CliRunner().invoke(main, ["analyze", str(attack), "--db", str(db), "--process-model", str(model)])
    assert r.exit_code == 0, r.output
    return db


def test_a_rogue_set_point_write_raises_process_anomaly(trained: tuple[Path, Path], attack_db: Path) -> None:
    d, model = trained
    db = attack_db
    alerts = _alerts(db)
    hits = [a for a in alerts if START + ATTACK <= float(a["first_seen"]) <= START + ATTACK + 15]  # type: ignore[arg-type]
    assert hits, alerts
    a = hits[0]
    assert a["technique"] == "T0831" and a["src"] == ROGUE.ip and a["dst"] == "10.0.0.20"
    evidence: list[dict[str, Any]] = a["evidence"]  # type: ignore[assignment]
    phases = [e["details"]["phase"] for e in evidence]
    assert phases[0] == "start" and phases[-1] in ("end", "ongoing")
    top = [t["point"] for t in evidence[0]["details"]["top"]]
    assert LEVEL in top or SETPOINT in top
    series = evidence[-1]["details"]["series"]
    assert series["start"] >= START + ATTACK and series["ts"][0] < series["start"]  # rows before the run drawn
    assert len(series["ts"]) == len(series["score"]) == len(next(iter(series["points"].values())))
    assert max(series["score"]) > series["threshold"]
    normal = tank_capture(d / "normal-test.pcap", 400, seed=7, start=START + 10_000)
    db2 = d / "normal.db"
    assert CliRunner().invoke(main, ["analyze", str(normal), "--db", str(db2), "--process-model", str(model)]).exit_code == 0
    peak_attack = max(_peak(x) for x in hits)
    peaks_normal = [_peak(x) for x in _alerts(db2)]
    assert all(p * 10 < peak_attack for p in peaks_normal), (peaks_normal, peak_attack)


def _peak(alert: dict[str, object]) -> float:
    return max(float(e["details"]["score"]) for e in alert["evidence"])  # type: ignore[index, union-attr, attr-defined]


def test_without_a_model_the_detection_stays_silent(trained: tuple[Path, Path]) -> None:
    d, _ = trained
    eng = DetectionEngine([ProcessAnomaly], Context())
    Sensor(sinks=[eng]).process_file(tank_capture(d / "silent.pcap", 300, seed=3, start=START, attack_at=100))
    assert eng.alerts() == []


def test_scoring_in_the_detection_matches_scoring_the_capture_at_once(trained: tuple[Path, Path]) -> None:
    """The online rows (RowBuilder) are the rows of the capture's grid: the same alarms either way."""
    import numpy as np

    from plantwarden.ml.series import ValueRecorder, frame
    d, path = trained
    model = load(path)
    cap = tank_capture(d / "same.pcap", 300, seed=5, start=START, attack_at=150)
    rec = ValueRecorder()
    Sensor(sinks=[rec]).process_file(cap)
    f = frame(rec.points, model.step, model.types, keys=model.points)
    ok = ~np.isnan(f.values).any(axis=1)
    batch = model.detector.score(f.values[ok]).score
    eng = DetectionEngine([ProcessAnomaly], Context(process_model=model))
    Sensor(sinks=[eng]).process_file(cap)
    det = next(x for x in eng.detections if isinstance(x, ProcessAnomaly))
    assert det.scorer is not None and det.scorer.rows_seen >= len(batch) - 2
    assert any(a.detection == "process.anomaly" for a in eng.alerts())
    assert float(batch.max()) > model.detector.threshold


@pytest.mark.parametrize("content", [b"not a model", b"PK\x03\x04garbage"])
def test_a_bad_model_file_is_a_clear_error(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "bad.npz"
    bad.write_bytes(content)
    cap = tank_capture(tmp_path / "c.pcap", 30, seed=1)
    r = CliRunner().invoke(main, ["analyze", str(cap), "--db", str(tmp_path / "x.db"), "--process-model", str(bad)])
    assert r.exit_code == 2 and "--process-model" in r.output and "Traceback" not in r.output


def test_the_alert_page_draws_the_chart(attack_db: Path, tmp_path: Path) -> None:
    pytest.importorskip("fastapi")
    import re

    from fastapi.testclient import TestClient

    from plantwarden.store.service import Store
    from plantwarden.web.app import create_app

    with Store(attack_db) as store:
        if not any(u.username == "viewer" for u in store.users()):
            store.add_user("viewer", "viewer", "a-long-test-password-1")
    alert_id = next(int(a["id"]) for a in _alerts(attack_db)  # type: ignore[call-overload]
                    if float(a["first_seen"]) >= START + ATTACK)  # type: ignore[arg-type]
    app = create_app(str(attack_db), uploads=tmp_path / "up")
    with TestClient(app, base_url="http://testserver") as c:
        token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text)
        assert token is not None
        c.post("/login", data={"username": "viewer", "password": "a-long-test-password-1",
                               "csrf_token": token.group(1), "next": "/"}, follow_redirects=False)
        r = c.get(f"/alerts/{alert_id}")
    app.state.store.close()
    assert r.status_code == 200, r.text
    page = r.text
    assert "<h2>Process values</h2>" in page and "<svg" in page and 'class="window"' in page
    assert "anomaly score (log scale)" in page and "10.0.0.20/unit1/holding/" in page
    assert "'series'" not in page.split("<h2>Evidence</h2>")[1]  # drawn above, not dumped in the evidence


def test_ml_points_lists_the_points_with_their_guessed_types(trained: tuple[Path, Path]) -> None:
    d, _ = trained
    r = CliRunner().invoke(main, ["ml", "points", str(d / "normal0.pcap"), "--format", "json"])
    assert r.exit_code == 0, r.output
    got = {x["point"]: x for x in json.loads(r.output)}
    assert got[LEVEL]["type"] == "float32_abcd" and got["10.0.0.20/unit1/holding/1"]["type"] == "float32_abcd:low"
    assert got["10.0.0.20/unit1/holding/2"]["type"] == "bool"
    assert got[SETPOINT]["writers"] == ["10.0.0.10"] and got[SETPOINT]["min"] == 490 and got[SETPOINT]["max"] == 510


def test_ml_score_a_capture_writes_the_anomalies_and_their_charts(trained: tuple[Path, Path], tmp_path: Path) -> None:
    d, model = trained
    attack = tank_capture(tmp_path / "attack.pcap", 400, seed=8, start=START, attack_at=ATTACK)
    r = CliRunner().invoke(main, ["ml", "score", str(attack), "--model", str(model), "--format", "json",
                                  "--charts", str(tmp_path / "charts")])
    assert r.exit_code == 0, r.output
    found = json.loads(r.output)
    hit = [a for a in found if START + ATTACK <= a["start"] <= START + ATTACK + 15]
    assert hit and hit[0]["rows"] >= 5
    svg = Path(hit[0]["chart"]).read_text()
    assert svg.startswith("<svg") and 'class="window"' in svg
    r = CliRunner().invoke(main, ["ml", "score", str(attack), "--model", str(model)])
    assert r.exit_code == 0 and "anomalies (threshold" in r.output


def test_corrected_types_change_what_the_model_sees(trained: tuple[Path, Path], tmp_path: Path) -> None:
    d, _ = trained
    (tmp_path / "types.yaml").write_text(f"'{SETPOINT}': {{dtype: uint16, unit: mm, scale: 0.001, name: setpoint}}\n"
                                         f"'{LEVEL}': float32_abcd\n")
    out = tmp_path / "m.npz"
    r = CliRunner().invoke(main, ["ml", "train", str(d / "normal0.pcap"), str(d / "normal1.pcap"), "--model", str(out),
                                  "--points", f"{LEVEL},{SETPOINT}", "--types", str(tmp_path / "types.yaml"),
                                  "--kind", "pca"])
    assert r.exit_code == 0, r.output
    m = load(out)
    assert m.points == (LEVEL, SETPOINT) and m.types[SETPOINT].scale == 0.001 and m.types[SETPOINT].unit == "mm"
    (tmp_path / "bad.yaml").write_text(f"'{SETPOINT}': complex128\n")
    r = CliRunner().invoke(main, ["ml", "train", str(d / "normal0.pcap"), "--model", str(out), "--types",
                                  str(tmp_path / "bad.yaml")])
    assert r.exit_code == 2 and "dtype" in r.output


def test_captures_and_historian_files_exclude_each_other(trained: tuple[Path, Path], tmp_path: Path) -> None:
    d, model = trained
    (tmp_path / "h.csv").write_text("t,a\n1,2\n")
    for args in (["ml", "train", "--model", str(tmp_path / "x.npz")],
                 ["ml", "train", str(d / "normal0.pcap"), "--historian", str(tmp_path / "h.csv"), "--model", "x"],
                 ["ml", "score", "--model", str(model)]):
        r = CliRunner().invoke(main, args)
        assert r.exit_code == 2 and "captures or --historian" in r.output, r.output


BATADAL = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "batadal" / "official"


@pytest.mark.shared
def test_train_and_score_historian_exports(tmp_path: Path) -> None:
    """BATADAL's training export with its own time format: the model learns its tags, the test export
    (which holds attacks) is scored, with charts."""
    if not (BATADAL / "BATADAL_dataset03.csv").is_file():
        pytest.skip("../shared/datasets/batadal is not beside the project")
    (tmp_path / "map.yaml").write_text('timestamp: {column: DATETIME, format: "%d/%m/%y %H"}\n'
                                       "include_unmapped: true\ntags:\n  ATT_FLAG: {name: ATT_FLAG}\n")
    model = tmp_path / "batadal.npz"
    r = CliRunner().invoke(main, ["ml", "train", "--historian", str(BATADAL / "BATADAL_dataset03.csv"),
                                  "--mapping", str(tmp_path / "map.yaml"), "--model", str(model),
                                  "--points", ",".join(["L_T1", "L_T2", "L_T3", "F_PU1", "F_PU2", "P_J280", "P_J269"])])
    assert r.exit_code == 0, r.output
    assert load(model).points == ("L_T1", "L_T2", "L_T3", "F_PU1", "F_PU2", "P_J280", "P_J269")
    r = CliRunner().invoke(main, ["ml", "score", "--historian", str(BATADAL / "BATADAL_dataset04.csv"),
                                  "--mapping", str(tmp_path / "map.yaml"), "--model", str(model), "--format", "json",
                                  "--charts", str(tmp_path / "c")])
    assert r.exit_code == 0, r.output
    found = json.loads(r.output[r.output.index("["):])
    assert found and all(Path(a["chart"]).is_file() for a in found)
    assert all(a["top"] and a["top"][0]["point"] in load(model).points for a in found)


def test_a_consistency_rule_in_the_model_fires_when_the_level_rises_with_the_pump_shown_off(
        trained: tuple[Path, Path], tmp_path: Path) -> None:
    d, _ = trained
    (tmp_path / "rules.yaml").write_text(
        f"- {{kind: level_while_off, level: '{LEVEL}', pumps: ['10.0.0.20/unit1/holding/2'], min_change: 6, "
        "window: 3}\n")
    model = tmp_path / "ruled.npz"
    caps = [str(d / f"normal{i}.pcap") for i in range(4)]
    r = CliRunner().invoke(main, ["ml", "train", *caps, "--model", str(model), "--rules", str(tmp_path / "rules.yaml")])
    assert r.exit_code == 0, r.output
    assert f"rule: {LEVEL} must not rise by more than 6 over 3 rows" in r.output
    loaded = load(model)
    assert loaded.rules is not None and len(loaded.rules.rules) == 1

    def rule_findings(cap: Path) -> list[Any]:
        eng = DetectionEngine([ProcessAnomaly], Context(process_model=loaded))
        Sensor(sinks=[eng]).process_file(cap)
        return [a for a in eng.alerts() if a.evidence[0]["details"].get("phase") == "rule"]

    assert rule_findings(tank_capture(tmp_path / "n.pcap", 400, seed=7, start=START)) == []
    hidden = rule_findings(tank_capture(tmp_path / "h.pcap", 400, seed=7, start=START, attack_at=ATTACK,
                                        pump_shown_off=True))
    assert hidden  # again whenever the hidden pump fills the tank later
    a = min(hidden, key=lambda x: x.first_seen)
    assert START + ATTACK <= a.first_seen <= START + ATTACK + 5 and a.dst == "10.0.0.20"
    assert a.src is None  # nobody wrote the level or the pump register: the PLC shows them so
    assert "must not rise" in a.title and a.evidence[0]["details"]["values"][LEVEL] > 510
    bad = tmp_path / "bad.yaml"
    bad.write_text("- {kind: level_while_off, level: 'no/such/point', pumps: [], min_change: 1}\n")
    r = CliRunner().invoke(main, ["ml", "train", *caps[:1], "--model", str(tmp_path / "x.npz"), "--rules", str(bad)])
    assert r.exit_code == 2 and "not one of the model's points" in r.output


def test_watch_takes_a_process_model_and_refuses_a_bad_one(trained: tuple[Path, Path], tmp_path: Path) -> None:
    from plantwarden.cli.watch import _engine
    from plantwarden.store.service import Store

    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"junk")
    r = CliRunner().invoke(main, ["watch", "--interface", "lo", "--db", str(tmp_path / "w.db"),
                                  "--process-model", str(bad)])
    assert r.exit_code == 2 and "--process-model" in r.output and not (tmp_path / "w.db").exists()
    model = load(trained[1])
    with Store(tmp_path / "s.db") as store:
        engine, _note = _engine(store, [ProcessAnomaly], model)
    det = engine.detections[0]
    assert isinstance(det, ProcessAnomaly) and det.model is model and det.scorer is not None


def test_max_points_keeps_the_most_varied(trained: tuple[Path, Path], tmp_path: Path) -> None:
    d, _ = trained
    out = tmp_path / "two.npz"
    r = CliRunner().invoke(main, ["ml", "train", str(d / "normal0.pcap"), str(d / "normal1.pcap"), "--model", str(out),
                                  "--max-points", "2", "--kind", "pca"])
    assert r.exit_code == 0, r.output
    assert "(1 more varying points left out" in r.output
    m = load(out)
    assert m.points == (LEVEL, SETPOINT) and m.info["points_left_out"] == 1  # the pump has 2 values, the set-point 3
