"""The store on SQLite and PostgreSQL: migrations, round trip, merge across captures, idempotence."""

from __future__ import annotations

import pytest

from plantwarden.inventory import InventoryBuilder
from plantwarden.inventory.export import assets_document, flows_document
from plantwarden.store.service import CaptureInfo, Store

from ..inventory.helpers import a_weird, flow, modbus_req, modbus_resp, req, resp

HMI, PLC, EWS = "10.0.0.10", "10.0.0.20", "10.0.0.30"


def inventory(capture="one.pcap", firmware="V1.0", programs=False, t0=1000.0):
    b = InventoryBuilder()
    f = flow(HMI, PLC, 502, "modbus", ts=t0, end=t0 + 10, orig_mac="00:0e:8c:00:00:01",
             resp_mac="00:80:f4:0a:33:5c")
    events = [modbus_req(3), modbus_resp(3, identity={"vendor": "Schneider Electric", "revision": firmware})]
    if programs:
        events.append(modbus_req(90, umas_function=0x34))
    for ev in events:
        ev.ts = t0 + 1
        b.on_event(capture, f, ev)
    b.on_event(capture, f, a_weird("modbus_bad_length", True))
    b.on_event(capture, None, a_weird("truncated_frame"))
    b.on_flow_end(capture, f)
    g = flow(EWS, PLC, 102, "s7comm", sport=40001, ts=t0 + 2, end=t0 + 3)
    b.on_event(capture, g, req("s7comm_plc_stop_request", function_code=0x29, function="plc_stop"))
    b.on_event(capture, g, resp("s7comm_plc_stop_response", function_code=0x29, function="plc_stop"))
    b.on_flow_end(capture, g)
    b.on_flow_end(capture, flow(HMI, "10.0.0.99", 53, None, transport="udp", sport=5353, ts=t0, end=t0))
    return b.result()


def info(inv, sha="a" * 64, name="one.pcap"):
    return CaptureInfo(name, sha, 1234, packets=42, first_ts=inv.first_ts, last_ts=inv.last_ts,
                       stats={"packets": 42, "weird.truncated_frame": 1})


def test_round_trip(target):
    inv = inventory()
    with Store(target) as store:
        assert store.save(info(inv), inv) is True
    with Store(target) as store:  # reopen: the migration is a no-op
        assert assets_document(store.assets()) == assets_document(inv.assets.values())
        assert flows_document(store.communications()) == flows_document(inv.communications.values())
        [cap] = store.captures()
        assert (cap.name, cap.sha256, cap.size, cap.packets) == ("one.pcap", "a" * 64, 1234, 42)
        assert (cap.first_ts, cap.last_ts) == (inv.first_ts, inv.last_ts)
        assert cap.stats == {"packets": 42, "weird.truncated_frame": 1}
        assert cap.analyzed_at > 0
        assert store.weird_counts() == {("modbus_bad_length", "modbus"): 1, ("truncated_frame", ""): 1}
        assert store.weird_counts("a" * 64) == store.weird_counts()
        assert store.weird_counts("b" * 64) == {}


def test_saving_the_same_capture_twice_changes_nothing(target):
    inv = inventory()
    with Store(target) as store:
        assert store.save(info(inv), inv)
        before = (assets_document(store.assets()), flows_document(store.communications()), store.weird_counts())
        assert store.save(info(inv, name="renamed.pcap"), inventory("renamed.pcap")) is False
        after = (assets_document(store.assets()), flows_document(store.communications()), store.weird_counts())
        assert after == before
        assert [c.name for c in store.captures()] == ["one.pcap"]


def test_a_second_capture_is_merged(target):
    first, second = inventory(), inventory("two.pcap", firmware="V2.0", programs=True, t0=5000.0)
    with Store(target) as store:
        store.save(info(first), first)
        store.save(info(second, sha="b" * 64, name="two.pcap"), second)
        assets = {a.ip: a for a in store.assets()}
        hmi, plc = assets[HMI], assets[PLC]
        # counters add up and the role is recomputed: the HMI programmed in the second capture
        assert hmi.behaviour["reads"] == 2 and hmi.behaviour["programs"] == 1
        assert hmi.role == "engineering_workstation"
        assert plc.behaviour["serves"] == 4 and plc.role == "plc"  # modbus and s7comm, twice
        assert (plc.first_seen, plc.last_seen) == (1000.0, 5010.0)
        assert plc.macs == {"00:80:f4:0a:33:5c": 2}
        # the same fact is counted, keeping its first source; a different value is a kept conflict
        vendor = plc.facts[("vendor", "Schneider Electric", "modbus")]
        assert (vendor.count, vendor.capture, vendor.first_seen, vendor.last_seen) == (2, "one.pcap", 1001.0, 5001.0)
        assert {f.value for f in plc.facts.values() if f.name == "revision"} == {"V1.0", "V2.0"}
        assert plc.conflicts() == ["revision"]
        assert plc.facts[("revision", "V2.0", "modbus")].capture == "two.pcap"
        comms = {c.key: c for c in store.communications()}
        c = comms[(HMI, PLC, "modbus")]
        assert c.flows == 2 and c.functions["3"].requests == 2 and c.functions["90"].requests == 1
        assert (c.first_seen, c.last_seen) == (1000.0, 5010.0)
        assert comms[(HMI, "10.0.0.99", "udp/53")].flows == 2
        assert store.weird_counts()[("truncated_frame", "")] == 2
        assert store.weird_counts("b" * 64)[("truncated_frame", "")] == 1


def test_long_and_hostile_values_are_stored(target):
    b = InventoryBuilder()
    f = flow(HMI, PLC, 502, "modbus")
    b.on_event("c", f, resp("modbus_x_response", identity={"product_name": "\x1b[31mA" * 200, "model": "é\u202e"}))
    b.on_flow_end("c", f)
    inv = b.result()
    with Store(target) as store:
        store.save(info(inv), inv)
        [plc] = [a for a in store.assets() if a.ip == PLC]
        assert plc.identity()["product_name"] == ("\x1b[31mA" * 200)[:512]
        assert plc.identity()["model"] == "é\u202e"


def test_schema_matches_the_models(target):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from plantwarden.store.db import alembic_config, current_revision
    from plantwarden.store.models import Base

    with Store(target) as store:
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        assert current_revision(store.engine) == head
        with store.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == []


def test_ingest_a_capture_twice(target, tmp_path):
    from plantwarden.demo import generate_demo_capture
    from plantwarden.store.ingest import ingest

    cap = generate_demo_capture(tmp_path / "demo.pcap")
    with Store(target) as store:
        seen: list[int] = []
        first = ingest(store, cap, progress=seen.append)
        assert 0 < sum(seen) <= cap.stat().st_size
        assert first.stored and first.capture.packets > 1000 and first.inventory is not None
        snapshot = assets_document(store.assets()), flows_document(store.communications())
        copy = tmp_path / "copy-of-demo.pcap"
        copy.write_bytes(cap.read_bytes())
        again = ingest(store, copy)
        assert not again.stored and again.inventory is None
        assert again.capture.name == "demo.pcap"
        assert (assets_document(store.assets()), flows_document(store.communications())) == snapshot
        assert len(store.captures()) == 1


def test_sqlite_path_parent_is_created(tmp_path):
    path = tmp_path / "a" / "b" / "x.db"
    with Store(path) as store:
        assert store.captures() == []
    assert path.is_file()


def test_unreachable_database_raises_a_sqlalchemy_error():
    from sqlalchemy.exc import OperationalError

    with pytest.raises(OperationalError):
        Store("postgresql+psycopg://postgres@127.0.0.1:1/nothing?connect_timeout=2")
