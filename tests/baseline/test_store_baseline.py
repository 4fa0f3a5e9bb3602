"""The baseline and change windows in the store (SQLite and PostgreSQL), end to end on the demo plant:
learn its first 40 s, then no deviation alert on more benign traffic, deviation alerts on the attack,
an accepted deviation, and the authorised engineering download approved by a change window."""

from __future__ import annotations

import pytest

from plantwarden.baseline.model import Baseline
from plantwarden.baseline.windows import ChangeWindow
from plantwarden.core.alerts import APPROVED, NEW, RESOLVED
from plantwarden.core.errors import InvalidInput
from plantwarden.store.baseline import UnknownWindowError
from plantwarden.store.ingest import ingest
from plantwarden.store.service import Store

from .conftest import DEMO_START, EWS, FIRST_ATTACK, PLC2, cut, demo

HMI, PLC1, ATTACKER = "10.10.20.10", "10.10.10.11", "10.10.99.66"
DEVIATIONS = {"ics.new_talker", "ics.write_from_unknown_master", "modbus.value_out_of_range", "ics.coil_forcing"}
ENGINEERING = {"ics.plc_stop", "ics.program_download", "ics.operating_mode_change"}


def _learn(store: Store, tmp_path, seconds: float = 40.0) -> None:
    res = ingest(store, demo(tmp_path / "learn.pcap", seed=1), baseline=store.baseline().learn(seconds))
    assert res.stored and res.learned is not None


def test_merge_load_remove_clear(target):
    b = Baseline()
    b.see_request("a", "b", "modbus", "read_coils", 1.0)
    b.see_request("a", "b", "modbus", "write_single_coil", 2.0, [("unit1/coils", 3, 3)])
    b.see_request("c", "b", "s7comm", "read_var", 2.0)
    b.see_values("b", 1, 10, [7, 9], 2.0)
    with Store(target) as store:
        ch = store.merge_baseline(b)
        assert (ch.new_pairs, ch.new_values) == (2, 2)
        more = Baseline()
        more.see_request("a", "b", "modbus", "write_single_coil", 3.0, [("unit1/coils", 4, 9)])
        more.see_values("b", 1, 10, [1], 3.0)
        ch = store.merge_baseline(more)
        assert (ch.new_pairs, ch.updated_pairs, ch.updated_values) == (0, 1, 1)
        got = store.baseline()
        p = got.pairs[("a", "b", "modbus")]
        assert p.functions == {"read_coils": 1, "write_single_coil": 2} and p.writes == {"unit1/coils": [[3, 9]]}
        assert (got.values[("b", 1, 10)].low, got.values[("b", 1, 10)].high) == (1, 7)  # register 11 held 9
        assert store.remove_from_baseline(client="a", function="read_coils") == 1
        assert "read_coils" not in store.baseline().pairs[("a", "b", "modbus")].functions
        assert store.remove_from_baseline(server="b", register=(1, 11)) == 1
        assert store.remove_from_baseline(protocol="s7comm") == 1
        assert store.baseline().pairs.keys() == {("a", "b", "modbus")}
        assert store.clear_baseline() == (1, 1)
        assert not store.baseline()


def test_windows_add_list_remove(target):
    with Store(target) as store:
        w = store.add_window(ChangeWindow(10.0, 20.0, [PLC2], [EWS], "Ann", "OB1 change"))
        store.add_window(ChangeWindow(5.0, 6.0))
        assert [x.start for x in store.windows()] == [5.0, 10.0]
        got = store.windows()[1]
        assert (got.id, got.assets, got.hosts, got.person, got.note) == (w.id, [PLC2], [EWS], "Ann", "OB1 change")
        assert store.remove_window(w.id).id == w.id
        with pytest.raises(UnknownWindowError):
            store.remove_window(w.id)
        assert len(store.windows()) == 1


def test_learning_then_benign_traffic_raises_no_deviation(target, tmp_path):
    with Store(target) as store:
        _learn(store, tmp_path)
        b = store.baseline()
        assert set(b.pairs) == {(HMI, PLC1, "modbus"), (HMI, PLC2, "s7comm")}
        assert b.has_function(HMI, PLC1, "modbus", "write_single_register")  # the set-point write at t=30
        assert (PLC1, 1, 1) in b.values
        # more benign traffic: another day of polling (another seed), before the EWS arrives
        benign = cut(demo(tmp_path / "b2.pcap", seed=2), tmp_path / "benign.pcap", DEMO_START + 44.0)
        res = ingest(store, benign)
        assert res.stored and res.alerts == []


def test_the_attack_raises_deviations_and_learning_does_not(target, tmp_path):
    with Store(target) as store:
        _learn(store, tmp_path)
        learned_alerts = {a.alert.detection for a in store.alerts()}
        # while learning for 40 s the attack (after 120 s) was judged: rule and deviation alerts
        assert "ics.plc_stop" in learned_alerts
        res = ingest(store, demo(tmp_path / "attack.pcap", seed=2))
        hostile = [a for a in res.alerts if a.first_seen >= FIRST_ATTACK]
        assert {a.detection for a in hostile} >= DEVIATIONS | {"ics.plc_stop", "modbus.force_listen_only"}
        assert all(a.src == ATTACKER for a in hostile if a.detection in DEVIATIONS)
        benign = [a for a in res.alerts if a.first_seen < FIRST_ATTACK]
        assert {a.detection for a in benign} <= DEVIATIONS | ENGINEERING  # only the unannounced EWS work
        assert all(a.src == EWS for a in benign)


def test_learn_everything_raises_no_deviation_but_rules_fire(target, tmp_path):
    with Store(target) as store:
        res = ingest(store, demo(tmp_path / "all.pcap", seed=1), baseline=store.baseline().learn())
        got = {a.detection for a in res.alerts}
        assert not got & DEVIATIONS
        assert {"ics.plc_stop", "modbus.force_listen_only", "ics.device_restart"} <= got
        assert store.baseline().has_pair(ATTACKER, PLC1, "modbus")  # --learn trusts what it is given
        # learning a capture that is already stored reads it again for the baseline only
        store.clear_baseline()
        again = ingest(store, tmp_path / "all.pcap", baseline=store.baseline().learn())
        assert not again.stored and again.learned_changes is not None and again.learned_changes.new_pairs == 6
        # (HMI and EWS to their PLCs, PLC2's download jobs to the EWS, the attacker to both PLCs)
        assert len(store.captures()) == 1


def test_accept_a_deviation(target, tmp_path):
    with Store(target) as store:
        _learn(store, tmp_path)
        ingest(store, demo(tmp_path / "attack.pcap", seed=2))
        talker = next(a for a in store.alerts(detection="ics.new_talker") if a.alert.src == ATTACKER
                      and a.alert.dst == PLC1)
        st, ch = store.accept_alert(talker.id)
        assert st.alert.state == RESOLVED and st.state_reason == "accepted into the baseline" and ch.new_pairs == 1
        assert store.baseline().has_pair(ATTACKER, PLC1, "modbus")
        values = store.alerts(detection="modbus.value_out_of_range")[0]
        store.accept_alert(values.id)
        r = store.baseline().values[(PLC1, 1, 0)]
        assert r.high == 9999
        with pytest.raises(InvalidInput):
            store.accept_alert(store.alerts(detection="ics.plc_stop")[0].id)  # a rule, not a deviation


def test_a_change_window_approves_the_engineering_download(target, tmp_path):
    with Store(target) as store:
        store.add_window(ChangeWindow(DEMO_START + 44.0, DEMO_START + 60.0, [PLC2], [EWS], "Ann", "OB1 update"))
        _learn(store, tmp_path)
        res = ingest(store, demo(tmp_path / "attack.pcap", seed=2))
        assert res.alert_changes is not None and res.alert_changes.approved_ids
        approved = store.alerts(state=APPROVED)
        assert {a.alert.detection for a in approved} >= ENGINEERING
        assert all(a.alert.src == EWS and a.state_reason == f"change window {store.windows()[0].id} by Ann: OB1 update"
                   for a in approved)
        assert approved[0].history[0].state == APPROVED
        # outside the window the same commands alert: the attacker's PLC stop stays new
        stops = store.alerts(detection="ics.plc_stop", state=NEW)
        assert [a.alert.src for a in stops] == [ATTACKER]
        assert not [a for a in store.alerts(state=NEW) if a.alert.src == EWS]


def test_a_window_declared_after_the_analysis_approves_stored_alerts(target, tmp_path):
    with Store(target) as store:
        ingest(store, demo(tmp_path / "d.pcap", seed=1))
        before = {a.id for a in store.alerts(state=NEW) if a.alert.src == EWS}
        assert before
        w = store.add_window(ChangeWindow(DEMO_START + 44.0, DEMO_START + 60.0, [PLC2], [EWS]))
        assert set(store.approve_in_window(w)) == before
        assert not [a for a in store.alerts(state=NEW) if a.alert.src == EWS]
        # a later stop by the EWS outside the window does not merge into the approved alert
        assert all(a.alert.state == APPROVED for a in store.alerts() if a.id in before)


def test_save_applies_the_stored_windows_when_the_caller_did_not(target):
    """``plantwarden watch`` saves the engine's alerts without approvals: the store applies the windows."""
    from plantwarden.core.alerts import Alert
    from plantwarden.inventory.model import Inventory
    from plantwarden.store.service import CaptureInfo

    stop = Alert("ics.plc_stop", "T0858", "high", "S7 PLC stop", f"{EWS}->{PLC2}", EWS, PLC2, 150.0, 150.0,
                 evidence=[{"ts": 150.0}])
    other = Alert("ics.plc_stop", "T0858", "high", "S7 PLC stop", f"{ATTACKER}->{PLC2}", ATTACKER, PLC2, 150.0,
                  150.0, evidence=[{"ts": 150.0}])
    with Store(target) as store:
        store.add_window(ChangeWindow(100.0, 200.0, [PLC2], [EWS]))
        ch = store.save_analysis(CaptureInfo("w.pcap", "b" * 64, 1), Inventory(), [stop, other])
        assert ch is not None and len(ch.approved_ids) == 1 and len(ch.new_ids) == 1
        assert [a.alert.src for a in store.alerts(state=APPROVED)] == [EWS]
