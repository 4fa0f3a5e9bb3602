"""The demo plant's normal operation on the days before (generate_history_captures): only the HMI's
polling, reproducible, and what the demo's process model learns from."""

from __future__ import annotations

from pathlib import Path

from plantwarden.demo import generate_history_captures
from plantwarden.demo.plant import BASE_TS
from plantwarden.sensor.eventlog import iter_records


def test_history_is_the_hmi_polling_only_on_the_days_before(tmp_path: Path) -> None:
    caps = generate_history_captures(tmp_path / "h", count=2, seed=5)
    assert [c.name for c in caps] == ["history-1.pcap", "history-2.pcap"]
    for day, cap in zip((2, 1), caps, strict=True):
        recs = list(iter_records([cap]))
        assert {r["src"] for r in recs if r["is_orig"]} == {"10.10.20.10"}  # the HMI, nobody else
        assert BASE_TS - day * 86400 <= min(r["ts"] for r in recs) < BASE_TS - day * 86400 + 300
        writes = {r["event"] for r in recs if "write" in r["event"] or r["event"].startswith("s7comm_plc")}
        assert writes <= {"modbus_write_single_register_request", "modbus_write_single_register_response"}
    again = generate_history_captures(tmp_path / "again", count=2, seed=5)
    assert [c.read_bytes() for c in again] == [c.read_bytes() for c in caps]
