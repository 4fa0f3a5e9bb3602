"""A process model on a real Modbus stack: a pymodbus server that is a tank process (tank_server.py), an
HMI polling it and stepping its set-point between recipes, captured on loopback with tcpdump; a model
trained on that normal run; then a rogue client writes a set-point far outside the recipes and
plantwarden analyze --process-model raises process.anomaly right after it."""

from __future__ import annotations

import json
import random
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from plantwarden.cli.main import main

from .capture import free_port, server_process, tcpdump

pytest.importorskip("pymodbus")
HERE = Path(__file__).parent
POLL = 0.05


def _hmi(port: int, seconds: float, seed: int, stop: threading.Event | None = None) -> None:
    """Read registers 0-3 every 50 ms; now and then step the set-point to a neighbouring recipe."""
    from pymodbus.client import ModbusTcpClient

    rng = random.Random(seed)
    c = ModbusTcpClient("127.0.0.1", port=port)
    assert c.connect()
    sp = 500
    end = time.monotonic() + seconds
    while time.monotonic() < end and not (stop and stop.is_set()):
        c.read_holding_registers(0, count=4, device_id=1)
        if rng.random() < 0.01:
            sp = {490: 500, 510: 500}.get(sp) or rng.choice((490, 510))
            c.write_register(3, sp, device_id=1)
        time.sleep(POLL)
    c.close()


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, float]:
    from pymodbus.client import ModbusTcpClient

    d = tmp_path_factory.mktemp("mlmb")
    port = free_port()
    normal, attack = d / "normal.pcap", d / "attack.pcap"
    with server_process(HERE / "tank_server.py", str(port), "3", ready_port=port):
        with tcpdump(normal, f"tcp port {port}"):
            _hmi(port, 20.0, seed=1)
        with tcpdump(attack, f"tcp port {port}"):
            hmi = threading.Thread(target=_hmi, args=(port, 8.0, 2))
            hmi.start()
            time.sleep(4.0)
            rogue = ModbusTcpClient("127.0.0.1", port=port)
            assert rogue.connect()
            when = time.time()
            assert not rogue.write_register(3, 900, device_id=1).isError()
            rogue.close()
            hmi.join(20)
    return normal, attack, when


def test_the_model_of_the_normal_run_flags_the_rogue_set_point(runs: tuple[Path, Path, float], tmp_path: Path) -> None:
    normal, attack, when = runs
    model = tmp_path / "tank.npz"
    r = CliRunner().invoke(main, ["ml", "train", str(normal), "--model", str(model), "--step", "0.1"])
    assert r.exit_code == 0, r.output
    assert "3 points" in r.output  # the level (a float over registers 0-1), the pump and the set-point
    db = tmp_path / "a.db"
    r = CliRunner().invoke(main, ["analyze", str(attack), "--db", str(db), "--process-model", str(model)])
    assert r.exit_code == 0, r.output
    alerts = json.loads(CliRunner().invoke(main, ["alerts", "--db", str(db), "--format", "json",
                                                  "--detection", "process.anomaly"]).output)
    hits = [a for a in alerts if when - 0.2 <= a["first_seen"] <= when + 2.0]
    assert hits, (when, [(a["first_seen"], a["title"]) for a in alerts])
    top = [t["point"] for t in hits[0]["evidence"][0]["details"]["top"]]
    assert {"127.0.0.1/unit1/holding/0", "127.0.0.1/unit1/holding/3"} & set(top)
