"""Live capture: the record path shared with files, libpcap through ctypes, and `plantwarden watch`
on a veth in network namespaces, checking that the sensor transmits nothing.

Topology of the namespace tests (all namespaces are removed in a finally):

    client ns  c0 10.77.0.1 ---+
    server ns  s0 10.77.0.2 ---+-- br0 (hub ns; ageing time 0: floods every frame, a hub)
    sensor ns  m0 (no address, IPv6 off) ---+

`watch` runs in the sensor ns on m0, which sees the client/server traffic but has no reason to
send anything: its transmit counter must stay still while watch runs.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

from plantwarden.sensor.live import LiveCapture
from plantwarden.sensor.pipeline import TICK, Limits, Sensor
from plantwarden.sensor.readers import read_capture

from ..conftest import IN_CI, ROOT
from . import frames

PY = sys.executable
LIVE_SRC = ROOT / "plantwarden" / "sensor" / "live.py"


class Collect:
    def __init__(self) -> None:
        self.items: list[tuple[str, object]] = []

    def on_event(self, capture, flow, ev):
        self.items.append(("event", ev.name, ev.frame))

    def on_flow_end(self, capture, flow):
        self.items.append(("end", flow.uid))


def _modbus_records(t0: float = 1000.0):
    """A TCP handshake and a Modbus read request/response on port 502, as file records."""
    req = bytes.fromhex("000100000006010300000002")
    resp = bytes.fromhex("00010000000701030400070008")

    def c2s(seq: int, ack: int, flags: int, payload: bytes = b"") -> bytes:
        return frames.ether(frames.ipv4("10.0.0.1", "10.0.0.2", 6, frames.tcp(40000, 502, seq, ack, flags, payload)))

    def s2c(seq: int, ack: int, flags: int, payload: bytes = b"") -> bytes:
        return frames.ether(frames.ipv4("10.0.0.2", "10.0.0.1", 6, frames.tcp(502, 40000, seq, ack, flags, payload)),
                            src=frames.MAC_B, dst=frames.MAC_A)

    pkts = [c2s(100, 0, 0x02), s2c(500, 101, 0x12), c2s(101, 501, 0x18, req), s2c(501, 113, 0x18, resp)]
    return [(t0 + i * 0.01, 1, p, len(p)) for i, p in enumerate(pkts)]


# -- the shared record path (no root needed) ---------------------------------------------------------


def test_process_records_matches_process_file(tmp_path):
    recs = _modbus_records()
    path = tmp_path / "m.pcap"
    path.write_bytes(frames.pcap([(ts, data) for ts, _, data, _ in recs]))
    a, b = Collect(), Collect()
    Sensor(sinks=[a]).process_file(path)
    with open(path, "rb") as f:
        from_file = list(read_capture(f))
    s = Sensor(sinks=[b])
    stats = s.process_records(from_file, name="x")
    assert a.items == b.items
    assert [i[1] for i in a.items if i[0] == "event"] == ["modbus_read_holding_registers_request",
                                                         "modbus_read_holding_registers_response"]
    assert stats["packets"] == 4 and stats["events"] == 2


def test_tick_flushes_the_batch_and_is_no_packet():
    recs = _modbus_records()
    s = Sensor()
    batches = list(s.iter_record_batches([*recs[:3], (recs[2][0] + 0.1, TICK, b"", 0), recs[3]]))
    # the tick made the request go out at once; without ticks one batch holds everything
    assert [[ev.name for _, evs in b if evs for ev in evs] for b in batches] == [
        ["modbus_read_holding_registers_request"], ["modbus_read_holding_registers_response"]]
    assert s.stats["packets"] == 4
    assert len(list(Sensor().iter_record_batches(recs))) == 1
    # frames keep counting packets only
    frames_seen = [ev.frame for b in batches for _, evs in b if evs for ev in evs]
    assert frames_seen == [3, 4]


def test_tick_on_an_idle_network_ends_idle_flows():
    recs = _modbus_records()
    lim = Limits(tcp_idle_timeout=30, sweep_interval=5)
    c = Collect()
    ticks = [(recs[-1][0] + k, TICK, b"", 0) for k in range(1, 60)]
    calls = []
    order: list[str] = []

    def source():
        yield from recs
        for t in ticks:
            order.append(f"tick {t[0] - recs[-1][0]:.0f}")
            yield t

    s = Sensor(sinks=[c], limits=lim)
    s.process_records(source(), name="live", on_batch=lambda: calls.append(len(c.items)))
    end_at = calls.index(3)  # the two events, then the flow's end
    # the flow ended while ticks were still coming (idle for 30 s), not at the end of the source
    assert 30 <= end_at < len(ticks)
    assert c.items[-1][0] == "end"
    assert s.stats["packets"] == 4


def test_the_live_reader_cannot_send():
    src = LIVE_SRC.read_text()
    assert "pcap_inject" not in src.replace("``pcap_inject``", "")
    assert "pcap_sendpacket" not in src.replace("``pcap_sendpacket``", "")
    assert not re.search(r"\bsocket\b|\bsend\(|sendto", src)


# -- libpcap ----------------------------------------------------------------------------------------


def _need_root() -> None:
    if os.geteuid() != 0:
        if IN_CI:
            pytest.fail("CI runs as root; the live capture tests need it")
        pytest.skip("live capture needs root")


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        if IN_CI:
            pytest.fail(f"{tool} is missing in CI")
        pytest.skip(f"{tool} is not installed")
    return path


def _watch_cmd(*args: str) -> list[str]:
    return [PY, "-c", "import sys; from plantwarden.cli.main import main; sys.argv[0] = 'plantwarden'; main()",
            "watch", *args]


def test_without_capture_rights_a_clear_error(tmp_path):
    db = tmp_path / "w.db"
    cmd = _watch_cmd("--interface", "lo", "--db", str(db), "--duration", "1")
    if os.geteuid() == 0:  # drop to nobody for this one
        cmd = [_need("setpriv"), "--reuid=65534", "--regid=65534", "--clear-groups", *cmd]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr
    assert "Error: no permission to capture on lo" in r.stderr
    assert "cap_net_raw" in r.stderr
    assert not db.exists()  # nothing created for a capture that could not start


def test_bad_filter_and_unknown_interface(tmp_path):
    _need_root()
    r = subprocess.run(_watch_cmd("-i", "lo", "--filter", "tcp port nonsense(", "--db", str(tmp_path / "a.db")),
                       capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "invalid BPF filter" in r.stderr
    r = subprocess.run(_watch_cmd("-i", "nosuchif0", "--db", str(tmp_path / "b.db")),
                       capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "no interface named nosuchif0" in r.stderr
    assert not (tmp_path / "a.db").exists() and not (tmp_path / "b.db").exists()


def test_live_capture_on_loopback_count_and_stats():
    _need_root()
    import socket

    port = 47123
    with LiveCapture("lo", f"udp port {port}", tick=0.05) as cap:
        assert cap.linktype == 1
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for i in range(5):
                s.sendto(bytes([i]) * 10, ("127.0.0.1", port))
            s.sendto(b"x", ("127.0.0.1", port + 1))  # filtered out
        t0 = time.monotonic()
        recs = list(cap.records(count=3, duration=10))
        assert time.monotonic() - t0 < 5
        pkts = [r for r in recs if r[1] != TICK]
        assert len(pkts) == 3 and cap.packets == 3
        assert all(r[1] == 1 and len(r[2]) == r[3] == 14 + 20 + 8 + 10 for r in pkts)
        assert [r[2][-1] for r in pkts] == [0, 1, 2]
        assert abs(pkts[0][0] - time.time()) < 60
        more = [r for r in cap.records(count=5, duration=10) if r[1] != TICK]  # continues: 2 left
        assert [r[2][-1] for r in more] == [3, 4]
        # a quiet interface: ticks come, duration ends the reading
        t0 = time.monotonic()
        quiet = list(cap.records(duration=0.5))
        assert 0.4 < time.monotonic() - t0 < 3
        assert quiet and all(r[1] == TICK for r in quiet)
        st = cap.stats()
        assert st["received"] >= 5 and st["dropped"] == 0
        cap.stop()
        assert list(cap.records(duration=5)) == []  # stopped: nothing more, at once


# -- watch in network namespaces --------------------------------------------------------------------

SERVER = """
import asyncio, sys
from pymodbus.datastore import ModbusDeviceContext, ModbusSequentialDataBlock, ModbusServerContext
from pymodbus.server import StartAsyncTcpServer
block = ModbusDeviceContext(di=ModbusSequentialDataBlock(1, [0] * 100), co=ModbusSequentialDataBlock(1, [0] * 100),
                            hr=ModbusSequentialDataBlock(1, list(range(100))), ir=ModbusSequentialDataBlock(1, [7] * 100))
asyncio.run(StartAsyncTcpServer(context=ModbusServerContext(devices=block, single=True), address=("10.77.0.2", 502)))
"""

CLIENT = """
import socket, time
from pymodbus.client import ModbusTcpClient
deadline = time.monotonic() + 20
while True:
    c = ModbusTcpClient("10.77.0.2", port=502, timeout=2)
    if c.connect():
        break
    c.close()
    if time.monotonic() > deadline:
        raise SystemExit("server not reachable")
    time.sleep(0.2)
assert c.read_holding_registers(10, count=5, device_id=1).registers == [10, 11, 12, 13, 14]
c.write_register(3, 1234, device_id=1)
c.write_coils(0, [True, False, True], device_id=1)
c.diag_restart_communication(False, device_id=1)  # ics.device_restart (T0816)
c.close()
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:  # outside the BPF filter
    s.sendto(b"not modbus", ("10.77.0.2", 9999))
print("client done")
"""


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=20)


def _in(ns: str, *cmd: str) -> list[str]:
    return ["ip", "netns", "exec", ns, *cmd]


def _tx_packets(ns: str, dev: str) -> int:
    out = subprocess.run(_in(ns, "cat", f"/sys/class/net/{dev}/statistics/tx_packets"), check=True,
                         capture_output=True, text=True, timeout=20).stdout
    return int(out)


@pytest.fixture(scope="module")
def netns():
    _need_root()
    _need("ip")
    pytest.importorskip("pymodbus")
    tag = f"pw{os.getpid() % 100000}"
    hub, cli, srv, mon = (f"{tag}{x}" for x in "hcsm")
    names = (hub, cli, srv, mon)
    made: list[str] = []
    try:
        for ns in names:
            _ip("netns", "add", ns)
            made.append(ns)
            subprocess.run(_in(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                               "net.ipv6.conf.default.disable_ipv6=1"), check=True, capture_output=True, timeout=20)
            _ip("-n", ns, "link", "set", "lo", "up")
        _ip("-n", hub, "link", "add", "br0", "type", "bridge", "ageing_time", "0")
        for port, peer, ns in (("hc", "c0", cli), ("hs", "s0", srv), ("hm", "m0", mon)):
            _ip("-n", hub, "link", "add", port, "type", "veth", "peer", "name", peer, "netns", ns)
            _ip("-n", hub, "link", "set", port, "master", "br0")
            _ip("-n", hub, "link", "set", port, "up")
        _ip("-n", hub, "link", "set", "br0", "up")
        _ip("-n", cli, "addr", "add", "10.77.0.1/24", "dev", "c0")
        _ip("-n", srv, "addr", "add", "10.77.0.2/24", "dev", "s0")
        for ns, dev in ((cli, "c0"), (srv, "s0"), (mon, "m0")):
            _ip("-n", ns, "link", "set", dev, "up")
        server = subprocess.Popen(_in(srv, PY, "-c", SERVER), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            yield {"cli": cli, "srv": srv, "mon": mon}
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    finally:
        for ns in reversed(made):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=20)


class _Reader(threading.Thread):
    """Collects a pipe's lines while the process runs (bounded by the process's life)."""

    def __init__(self, pipe) -> None:
        super().__init__(daemon=True)
        self.pipe = pipe
        self.lines: list[str] = []
        self.start()

    def run(self) -> None:
        for line in self.pipe:
            self.lines.append(line)


def _start_watch(ns: str, *args: str) -> tuple[subprocess.Popen[str], _Reader, _Reader]:
    return _start_watch_on(ns, "m0", *args)


def _start_watch_on(ns: str, dev: str, *args: str) -> tuple[subprocess.Popen[str], _Reader, _Reader]:
    proc = subprocess.Popen(_in(ns, *_watch_cmd("--interface", dev, *args)), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT)
    out, err = _Reader(proc.stdout), _Reader(proc.stderr)
    deadline = time.monotonic() + 30
    while not any(ln.startswith(f"watching {dev}") for ln in err.lines):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            raise AssertionError(f"watch did not start: {''.join(err.lines)}")
        time.sleep(0.05)
    return proc, out, err


def _stop(proc: subprocess.Popen[str], sig: int = signal.SIGTERM) -> int:
    """Signal ``proc``; kill it only if it does not end in time (then the test fails)."""
    # ip netns exec execs the command, so the pid is watch's own
    proc.send_signal(sig)
    try:
        return proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError("watch did not stop on the signal") from None


def test_watch_in_a_namespace_decodes_stores_and_sends_nothing(netns, tmp_path):
    mon, cli = netns["mon"], netns["cli"]
    db = tmp_path / "live.db"
    tx_before = _tx_packets(mon, "m0")
    proc, out, err = _start_watch(mon, "--filter", "tcp port 502", "--db", str(db), "--format", "jsonl",
                                  "--save-every", "1")
    try:
        r = subprocess.run(_in(cli, PY, "-c", CLIENT), capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        # (a) the events arrive while watch runs (flushed by the reader's ticks, not at exit)
        deadline = time.monotonic() + 10
        want = {"modbus_read_holding_registers_response", "modbus_write_single_register_request",
                "modbus_write_multiple_coils_response"}
        while time.monotonic() < deadline:
            seen = {json.loads(ln)["event"] for ln in list(out.lines)}
            if want <= seen:
                break
            time.sleep(0.1)
        assert want <= seen, seen
        time.sleep(1.5)  # a periodic save happens while running
        assert db.exists()
        # the same attack again, in a later segment: the store merges it into the same alert
        r = subprocess.run(_in(cli, PY, "-c", CLIENT), capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        time.sleep(1.5)
        # (b) the sensor sent nothing on the monitored interface
        assert _tx_packets(mon, "m0") == tx_before
    finally:
        rc = _stop(proc)  # (c) SIGTERM: a clean stop
    out.join(5)
    err.join(5)
    stderr = "".join(err.lines)
    assert rc == 0, stderr
    assert "Traceback" not in stderr
    assert re.search(r"stopped: \d+ packets, 2 flows, \d+ events, 1 new alerts, 0 updated, [2-9]\d* segments "
                     r"stored; libpcap: \d+ received, 0 dropped by the kernel", stderr), stderr
    assert re.search(r"live:m0@\S+#\d+: alerts: 1 new \(1 high\), 0 updated", stderr), stderr
    assert _tx_packets(mon, "m0") == tx_before
    recs = [json.loads(ln) for ln in out.lines]
    assert {r["capture"] for r in recs} == {"live:m0"}
    assert {(r["src"], r["dst"]) for r in recs if r["is_orig"]} == {("10.77.0.1", "10.77.0.2")}
    assert all(r["proto"] == "modbus" for r in recs)  # the UDP datagram was filtered out
    req = next(r for r in recs if r["event"] == "modbus_write_single_register_request")
    assert req["values"] == [1234] and req["dport"] == 502
    # the store: the two hosts and their Modbus communication, in live segments
    flows = subprocess.run(_watch_cmd()[:-1] + ["flows", "--db", str(db), "--format", "json"],
                           capture_output=True, text=True, timeout=60, cwd=ROOT)
    doc = json.loads(flows.stdout)
    items = doc if isinstance(doc, list) else next(v for v in doc.values() if isinstance(v, list))
    assert [(c["client"], c["server"], c["protocol"]) for c in items] == [("10.77.0.1", "10.77.0.2", "modbus")]
    from plantwarden.store.service import Store

    with Store(str(db)) as store:
        caps = store.captures()
        assert caps and all(c.name.startswith("live:m0@") for c in caps)
        assert sum(c.packets for c in caps) >= 10
        assert {"live.received", "live.dropped"} <= set(caps[-1].stats)
        assert {a.ip for a in store.assets()} == {"10.77.0.1", "10.77.0.2"}
        alerts = [a.alert for a in store.alerts()]
        assert [(a.detection, a.technique) for a in alerts] == [("ics.device_restart", "T0816")]
        assert alerts[0].count == 2  # one alert across the two segments, not one per segment
        assert len({c.name for c in caps}) == len(caps) >= 2


def test_the_tx_check_would_see_a_transmission(netns):
    """The counter check of the test above is able to fail: one frame sent on m0 moves it."""
    mon = netns["mon"]
    before = _tx_packets(mon, "m0")
    send = ("import socket; s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind(('m0', 0)); "
            "s.send(b'\\xff' * 6 + b'\\x02' * 6 + b'\\x88\\xb5' + bytes(46))")
    subprocess.run(_in(mon, PY, "-c", send), check=True, timeout=30)
    assert _tx_packets(mon, "m0") == before + 1


def test_watch_stops_after_count_and_duration(netns, tmp_path):
    mon, cli = netns["mon"], netns["cli"]
    proc, _out, err = _start_watch(mon, "--filter", "tcp port 502", "--db", str(tmp_path / "c.db"), "--count", "4")
    r = subprocess.run(_in(cli, PY, "-c", CLIENT), capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    try:
        assert proc.wait(timeout=20) == 0
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError("--count did not stop watch") from None
    err.join(5)
    assert "stopped: 4 packets" in "".join(err.lines)
    t0 = time.monotonic()
    proc, _out, err = _start_watch(mon, "--db", str(tmp_path / "d.db"), "--duration", "1")
    try:
        assert proc.wait(timeout=20) == 0
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError("--duration did not stop watch") from None
    assert time.monotonic() - t0 < 15
    err.join(5)
    assert "stopped: 0 packets" in "".join(err.lines)


def test_watch_stops_on_sigint(netns, tmp_path):
    proc, _out, err = _start_watch(netns["mon"], "--db", str(tmp_path / "e.db"))
    rc = _stop(proc, signal.SIGINT)
    err.join(5)
    assert rc == 0 and "stopped:" in "".join(err.lines) and "Traceback" not in "".join(err.lines)


def test_libpcap_is_found():
    from plantwarden.sensor.live import CaptureError, libpcap_version

    try:
        version = libpcap_version()
    except CaptureError as exc:
        if IN_CI:
            raise
        pytest.skip(str(exc))
    assert version.startswith("libpcap version")


def test_interface_going_away_stores_and_says_so(tmp_path):
    _need_root()
    _need("ip")
    ns = f"pw{os.getpid() % 100000}x"
    _ip("netns", "add", ns)
    try:
        _ip("-n", ns, "link", "add", "v0", "type", "veth", "peer", "name", "v1")
        r = subprocess.run(_in(ns, *_watch_cmd("-i", "v0", "--db", str(tmp_path / "x.db"))), capture_output=True,
                           text=True, timeout=60, cwd=ROOT)
        assert r.returncode == 1 and "Traceback" not in r.stderr
        assert "interface v0 is down: bring it up first" in r.stderr
        for dev in ("v0", "v1"):
            _ip("-n", ns, "link", "set", dev, "up")
        db = tmp_path / "y.db"
        proc, _out, err = _start_watch_on(ns, "v0", "--db", str(db), "--duration", "30")
        _ip("-n", ns, "link", "del", "v0")
        try:
            rc = proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise AssertionError("watch did not notice the interface going away") from None
        err.join(5)
        text = "".join(err.lines)
        assert rc == 1 and "Traceback" not in text, text
        assert "Error: capture on v0 failed: The interface disappeared (what was captured until then is stored)" in text
        assert "segments stored" in text and db.exists()
    finally:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=20)


# -- watch's segments, without a network ------------------------------------------------------------


class _FakeCapture:
    interface = "eth9"

    def __init__(self) -> None:
        self.packets = 0
        self.bytes = 0

    def stats(self) -> dict[str, int]:
        return {"received": self.packets, "dropped": 1, "if_dropped": 0}


class _FlakyStore:
    """Fails the first save (a database gone away), then records what it is given."""

    def __init__(self) -> None:
        self.calls = 0
        self.saved: list[tuple[object, object, list[object]]] = []

    def save_analysis(self, info, inv, alerts):
        self.calls += 1
        if self.calls == 1:
            raise OSError("database is gone")
        self.saved.append((info, inv, list(alerts)))


def test_segments_keep_everything_when_a_save_fails():
    from plantwarden.cli.watch import _Segments
    from plantwarden.core.alerts import Alert
    from plantwarden.detections.engine import DetectionEngine

    cap, store = _FakeCapture(), _FlakyStore()
    engine = DetectionEngine(())
    s = Sensor()
    seg = _Segments(store, cap, s, engine, "live:eth9@T")
    s.sinks = [seg]
    s.process_records(_modbus_records()[:3], name="live:eth9")
    cap.packets, cap.bytes = 3, 200
    engine._open[("x", "k")] = Alert("x", "T0816", "high", "t", "k", "a", "b", 1.0, 1.0)
    with pytest.raises(OSError):
        seg.save()
    assert seg.saved == 0 and not engine.alerts()  # drained, but kept by the segment
    seg.save()
    assert seg.saved == 1
    info, inv, alerts = store.saved[0]
    assert info.name == "live:eth9@T#1" and info.packets == 3 and info.size == 200
    assert info.stats["live.dropped"] == 1 and info.stats["packets"] == 3
    assert "10.0.0.2" in inv.assets  # the events before the failed save are in it
    assert [a.key for a in alerts] == ["k"]
    seg.save()  # nothing new: no empty segment
    assert seg.saved == 1
    cap.packets = 5
    seg.save()
    info2, _, alerts2 = store.saved[1]
    assert info2.name == "live:eth9@T#2" and info2.packets == 2 and info2.sha256 != info.sha256
    assert alerts2 == [] and info2.stats["live.dropped"] == 0
