"""Make the labelled attack captures in tests/data/attacks/ with real stacks (pymodbus) on loopback.

Run as root from the repository root: ``.venv/bin/python -m tests.detections.make_attack_captures``.
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


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
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
