"""`plantwarden serve` and `plantwarden demo` as a user runs them: a real uvicorn process, its printed URL
and generated first admin, and a sign-in with those (docs/web.md)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from plantwarden.demo import generate_demo_capture

from .conftest import csrf_of


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(args: list[str], want: str, timeout: float = 60.0) -> tuple[subprocess.Popen[str], str]:
    exe = Path(sys.executable).with_name("plantwarden")
    proc = subprocess.Popen([str(exe), *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    out = ""
    end = time.time() + timeout
    assert proc.stdout is not None
    while time.time() < end and want not in out:
        line = proc.stdout.readline()
        if not line:
            break
        out += line
    assert want in out, out
    return proc, out


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGINT)
    try:
        rest, _ = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        rest, _ = proc.communicate()
    return rest or ""


def _wait_up(url: str) -> None:
    for _ in range(100):
        try:
            httpx.get(url + "login", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError("the service did not answer")


def _sign_in(url: str, user: str, password: str) -> httpx.Client:
    c = httpx.Client(base_url=url, timeout=10)
    page = c.get("/login")
    r = c.post("/login", data={"username": user, "password": password, "csrf_token": csrf_of(page.text)})
    assert r.status_code == 303, r.text
    return c


def test_serve_creates_a_first_admin_once_and_signs_off_the_audit_log(tmp_path: Path) -> None:
    from plantwarden.store.service import Store

    db = tmp_path / "pw.db"
    port = _free_port()
    proc, out = _start(["serve", "--db", str(db), "--port", str(port)], "dashboard: ")
    try:
        url = re.search(r"dashboard: (http://\S+/)", out).group(1)  # type: ignore[union-attr]
        assert url == f"http://127.0.0.1:{port}/"
        user, password = re.search(r"first admin: user (\S+), password (\S+)", out).groups()  # type: ignore[union-attr]
        assert user == "admin" and len(password) >= 20
        _wait_up(url)
        c = _sign_in(url, user, password)
        assert c.get("/api/me").json()["role"] == "admin"
        assert httpx.get(url + "api/me").status_code == 401
    finally:
        _stop(proc)
    with Store(db) as store:
        assert [u.username for u in store.users()] == ["admin"]
        actions = [e.action for e in store.audit_entries()]
        assert actions[:2] == ["user.add", "user.login"]
        from plantwarden.store.models import AuditCheckpointRow

        with store.read() as s:
            assert s.query(AuditCheckpointRow).count() >= 1  # signed at shutdown
    proc, out = _start(["serve", "--db", str(db), "--port", str(port)], "dashboard: ")
    _stop(proc)
    assert "first admin" not in out  # never again, never a fixed default


def test_demo_ends_serving_the_plant(tmp_path: Path) -> None:
    port = _free_port()
    proc, out = _start(["demo", "--data", str(tmp_path), "--port", str(port)], "dashboard: ", timeout=120)
    try:
        assert "Assets" in out and "sign in as admin with password" in out
        password = re.search(r"sign in as admin with password (\S+)", out).group(1)  # type: ignore[union-attr]
        url = f"http://127.0.0.1:{port}/"
        _wait_up(url)
        c = _sign_in(url, "admin", password)
        overview = c.get("/api/overview").json()
        assert overview["assets"] >= 5 and sum(overview["open_alerts_by_severity"].values()) > 0
        assert "10.10.10.11" in c.get("/assets").text
    finally:
        _stop(proc)


def test_upload_then_inventory_over_real_http(tmp_path: Path) -> None:
    """An API token and a multipart upload over a real socket, as automation would do it."""
    from plantwarden.store.service import Store

    db = tmp_path / "pw.db"
    with Store(db) as store:
        store.add_user("bot", "ot_engineer", "a-long-test-password-1")
        _, token = store.create_token("bot", "ci")
    cap = generate_demo_capture(tmp_path / "plant.pcap", seed=5)
    port = _free_port()
    proc, _ = _start(["serve", "--db", str(db), "--port", str(port)], "dashboard: ")
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_up(url + "/")
        h = {"Authorization": f"Bearer {token}"}
        with open(cap, "rb") as f:
            r = httpx.post(url + "/api/captures", files={"file": ("plant.pcap", f)}, headers=h, timeout=30)
        assert r.status_code == 202, r.text
        job = r.json()["job"]
        for _ in range(600):
            j = httpx.get(f"{url}/api/jobs/{job}", headers=h).json()
            if j["state"] in ("done", "failed"):
                break
            time.sleep(0.1)
        assert j["state"] == "done", j
        assets = httpx.get(url + "/api/assets", headers=h).json()
        assert assets["total"] >= 5
    finally:
        _stop(proc)
