"""The demo plant analysed into a store, shared by the zones tests.

Demo hosts (docs/demo.md): 10.10.10.11 Modicon M340 (Modbus), 10.10.10.12 S7-315 (S7comm),
10.10.20.10 HMI (reads both PLCs, writes a set-point with Modbus 6), 10.10.20.50 engineering
workstation (S7 SZL read, stop, download, start), 10.10.99.66 attacker (Modbus writes, S7 stop).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from plantwarden.inventory.model import Asset, Communication

HMI, EWS, ATTACKER, M340, S7 = "10.10.20.10", "10.10.20.50", "10.10.99.66", "10.10.10.11", "10.10.10.12"


@dataclass
class Demo:
    db: str
    assets: list[Asset]
    comms: list[Communication]


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Demo:
    from plantwarden.demo import generate_demo_capture
    from plantwarden.store.ingest import ingest
    from plantwarden.store.service import Store

    d = tmp_path_factory.mktemp("zones-demo")
    cap = generate_demo_capture(d / "demo.pcap")
    db = str(d / "demo.sqlite")
    with Store(db) as store:
        ingest(store, cap, detections=())
        return Demo(db, store.assets(), store.communications())
