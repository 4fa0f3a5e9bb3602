"""HTTP from a real stack: Python's http.server and urllib on 127.0.0.1 (Basic auth, a POST with a
body, a chunked response, a HEAD and a 404), captured with tcpdump, decoded and compared with tshark.
"""

from __future__ import annotations

import base64
import http.client
import sys
import threading
import urllib.request
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from plantwarden.sensor.eventlog import iter_records

from .capture import free_port, tcpdump

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "oracle"))
import test_http_tshark as oracle  # noqa: E402

USER, PASSWORD = "maint-engineer", "Pl4nt-Secr3t"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "PlantHMI/2.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/missing":
            self.send_error(404)
            return
        if self.path == "/chunked":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b"pump 3 running\n", b"x" * 5000):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
            return
        body = b"<html>tags</html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_HEAD = do_GET

    def do_POST(self) -> None:
        n = int(self.headers["Content-Length"])
        self.rfile.read(n)
        self.send_response(204)
        self.end_headers()


@pytest.fixture(scope="module")
def http_capture(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    port = free_port()
    srv = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    path = tmp_path_factory.mktemp("http") / "http.pcap"
    try:
        with tcpdump(path, f"tcp port {port}"):
            auth = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
            req = urllib.request.Request(f"http://127.0.0.1:{port}/tags?plc=7", headers={"Authorization": f"Basic {auth}"})
            assert urllib.request.urlopen(req, timeout=10).read() == b"<html>tags</html>"
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)  # one keep-alive connection
            c.request("POST", "/setpoint", body=b"value=42" * 300, headers={"Content-Type": "application/x-www-form-urlencoded"})
            c.getresponse().read()
            c.request("GET", "/chunked")
            assert len(c.getresponse().read()) == 5015
            c.request("HEAD", "/")
            c.getresponse().read()
            c.request("GET", "/missing")
            c.getresponse().read()
            c.close()
    finally:
        srv.shutdown()
    return path, port


def test_http_events(http_capture: tuple[Path, int]) -> None:
    recs = [r for r in iter_records([http_capture[0]]) if r["proto"] == "http"]
    assert not [r for r in recs if r["event"] == "weird"], recs
    reqs = [r for r in recs if r["event"] == "http_request"]
    resps = [r for r in recs if r["event"] == "http_response"]
    assert [(r["method"], r["uri"]) for r in reqs] == [
        ("GET", "/tags?plc=7"), ("POST", "/setpoint"), ("GET", "/chunked"), ("HEAD", "/"), ("GET", "/missing")]
    assert reqs[0]["username"] == USER and reqs[0]["credentials_in_clear"] is True
    assert PASSWORD not in str(recs)
    assert reqs[1]["content_length"] == 2400 and not reqs[1]["credentials_in_clear"]
    assert [(r["status_code"], r["method"]) for r in resps] == [
        (200, "GET"), (204, "POST"), (200, "GET"), (200, "HEAD"), (404, "GET")]
    assert all(r["identity"] == {"product_name": r["server"]} and r["server"].startswith("PlantHMI/2.1") for r in resps)


@pytest.mark.tshark
def test_http_matches_tshark(http_capture: tuple[Path, int], record_property: Any) -> None:
    path, port = http_capture
    theirs = oracle.tshark_keys(path, decode_as=(f"tcp.port=={port},http",))
    ours = oracle.our_keys(path)
    assert sum(theirs.values()) >= 30
    # With http.desegment_body off (so that Wireshark reports heads at their own frame, as we do),
    # Wireshark loses track after the POST body that came in its own segment and shows the next
    # request (GET /chunked) as "Continuation": its four keys are ours only.
    fr = next(k[0] for k in ours if k[1:] == ("uri", "/chunked"))
    expected = Counter({(fr, "method", "GET"): 1, (fr, "uri", "/chunked"): 1, (fr, "version", "1.1"): 1,
                        (fr, "host", f"127.0.0.1:{port}"): 1})
    oracle.compare(record_property, theirs, ours, (Counter(), expected))
