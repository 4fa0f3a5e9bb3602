"""A small plant in network namespaces: one namespace per zone behind a router namespace, real protocol
stacks (pymodbus, python-snap7, Python's http.server) on the hosts, tcpdump on the router.

Zones (``10.<n>.<z>.0/24``, router ``.1`` on each): control z=1 (PLC1 .11 Modbus/TCP, PLC2 .12 S7comm),
ops z=2 (HMI .10, engineering workstation .50 with a Modbus slave, an HTTP and a Telnet-like service),
dmz z=3 (historian .10), enterprise z=4 (office PC .10). Used by test_multizone_netns.py.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ..conftest import IN_CI, need_tool

ZONES = {"control": 1, "ops": 2, "dmz": 3, "enterprise": 4}

MODBUS_SERVER = r"""
import asyncio, sys
from pymodbus.datastore import ModbusDeviceContext, ModbusSequentialDataBlock, ModbusServerContext
from pymodbus.server import StartAsyncTcpServer
block = ModbusDeviceContext(di=ModbusSequentialDataBlock(1, [0] * 100), co=ModbusSequentialDataBlock(1, [0] * 100),
                            hr=ModbusSequentialDataBlock(1, list(range(100))), ir=ModbusSequentialDataBlock(1, [7] * 100))
asyncio.run(StartAsyncTcpServer(context=ModbusServerContext(devices=block, single=True), address=(sys.argv[1], 502)))
"""

S7_SERVER = r"""
import time
from snap7.server import Server
from snap7.type import SrvArea
srv = Server(log=False)
srv.register_area(SrvArea.DB, 1, bytearray(range(64)))
srv.start(tcp_port=102)
time.sleep(120)
"""

HTTP_SERVER = r"""
import sys
from http.server import HTTPServer, BaseHTTPRequestHandler
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"line 2 OEE 87%"
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
HTTPServer((sys.argv[1], int(sys.argv[2])), H).serve_forever()
"""

TELNET_SERVER = r"""
import socket, sys
s = socket.create_server((sys.argv[1], 23))
while True:
    c, _ = s.accept()
    try:  # the readiness probe connects and leaves at once
        c.sendall(b"\xff\xfb\x01\xff\xfb\x03login: ")
        c.recv(100)
    except OSError:
        pass
    c.close()
"""

MODBUS_CLIENT = r"""
import sys
from pymodbus.client import ModbusTcpClient
src, dst, write = sys.argv[1], sys.argv[2], sys.argv[3] == "write"
c = ModbusTcpClient(dst, port=502, source_address=(src, 0))
assert c.connect()
assert not c.read_holding_registers(10, count=4, device_id=1).isError()
if write:
    assert not c.write_register(3, 1234, device_id=1).isError()
c.close()
"""

S7_CLIENT = r"""
import socket, sys
import snap7
# snap7's client cannot choose its source address; the zone namespace's default route decides
import time
c = snap7.client.Client()
for attempt in range(5):  # the pure-Python server may still be settling after the readiness probe
    try:
        c.connect(sys.argv[1], 0, 1, tcp_port=102)
        break
    except Exception:
        if attempt == 4:
            raise
        time.sleep(0.3)
assert c.db_read(1, 0, 8) == bytearray(range(8))
c.disconnect()
"""

TCP_CLIENT = r"""
import socket, sys
src, dst, port, payload = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4].encode()
s = socket.create_connection((dst, port), timeout=5, source_address=(src, 0))
s.sendall(payload.replace(b"\\r\\n", b"\r\n"))
data = s.recv(1000)
assert data, "no answer"
s.close()
"""


def need_root() -> None:
    if os.geteuid() != 0:
        if IN_CI:
            pytest.fail("CI runs as root; the multi-zone namespace test needs it")
        pytest.skip("network namespaces need root")


class Plant:
    def __init__(self, base: Path) -> None:
        self.tag = uuid.uuid4().hex[:6]
        self.n = random.randrange(100, 250)
        self.base = base
        self.ip = need_tool("ip")
        self.router = f"pwz{self.tag}r"
        self.ns = {z: f"pwz{self.tag}{z[:3]}" for z in ZONES}
        self.procs: list[subprocess.Popen[bytes]] = []

    def addr(self, zone: str, host: int) -> str:
        return f"10.{self.n}.{ZONES[zone]}.{host}"

    def _run(self, *cmd: str) -> None:
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)}: {res.stderr.strip()}")

    def build(self, hosts: dict[str, list[int]]) -> None:
        ip = self.ip
        self._run(ip, "netns", "add", self.router)
        self._run(ip, "-n", self.router, "link", "set", "lo", "up")
        self._run("ip", "netns", "exec", self.router, "sysctl", "-qw", "net.ipv4.ip_forward=1")
        for zone, z in ZONES.items():
            ns = self.ns[zone]
            self._run(ip, "netns", "add", ns)
            self._run(ip, "link", "add", f"r{zone[:3]}", "netns", self.router, "type", "veth", "peer", "name",
                      "eth0", "netns", ns)
            self._run(ip, "-n", self.router, "addr", "add", f"10.{self.n}.{z}.1/24", "dev", f"r{zone[:3]}")
            self._run(ip, "-n", self.router, "link", "set", f"r{zone[:3]}", "up")
            for h in hosts.get(zone, []):
                self._run(ip, "-n", ns, "addr", "add", f"10.{self.n}.{z}.{h}/24", "dev", "eth0")
            self._run(ip, "-n", ns, "link", "set", "eth0", "up")
            self._run(ip, "-n", ns, "link", "set", "lo", "up")
            self._run(ip, "-n", ns, "route", "add", "default", "via", f"10.{self.n}.{z}.1")

    def start(self, zone: str, code: str, *args: str, ready: tuple[str, int]) -> None:
        """Start a server in ``zone``'s namespace and wait until ``ready`` (address, port) accepts."""
        p = subprocess.Popen([self.ip, "netns", "exec", self.ns[zone], sys.executable, "-c", code, *args],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.procs.append(p)
        probe = (f"import socket,time\nfor _ in range(200):\n    try:\n        socket.create_connection("
                 f"('{ready[0]}', {ready[1]}), timeout=0.2).close(); break\n    except OSError: time.sleep(0.05)\n"
                 "else: raise SystemExit('not ready')")
        res = subprocess.run([self.ip, "netns", "exec", self.ns[zone], sys.executable, "-c", probe],
                             capture_output=True, text=True, timeout=30)
        if res.returncode != 0:
            err = p.stderr.read().decode(errors="replace") if p.poll() is not None and p.stderr else ""
            raise RuntimeError(f"server in {zone} not ready on {ready}: {res.stderr} {err}")

    def client(self, zone: str, code: str, *args: str) -> None:
        res = subprocess.run([self.ip, "netns", "exec", self.ns[zone], sys.executable, "-c", code, *args],
                             capture_output=True, text=True, timeout=60)
        assert res.returncode == 0, f"client in {zone} {args}: {res.stderr[-2000:]}"

    @contextmanager
    def capture(self, path: Path) -> Iterator[Path]:
        """tcpdump in the router on every interface, inbound only: each forwarded packet once."""
        from ..realstack.capture import running_capture

        with running_capture([self.ip, "netns", "exec", self.router, need_tool("tcpdump"), "-i", "any", "-Q", "in",
                              "--immediate-mode", "-U", "-n", "-s", "0", "-w", str(path), "tcp"], path):
            yield path

    def teardown(self) -> None:
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
        for ns in (*self.ns.values(), self.router):
            subprocess.run([self.ip, "netns", "delete", ns], capture_output=True)
