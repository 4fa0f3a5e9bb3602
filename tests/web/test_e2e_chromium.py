"""The dashboard driven end to end by a real browser (Debian's Chromium through Playwright).

The service runs with uvicorn on loopback over a store holding the demo plant, with one account per
role the tests use. A capture of a real pymodbus server whose device identity is hostile (script,
attribute break-out, spreadsheet formulas: tests/web/hostile_modbus_server.py) is uploaded through the
page; its strings must come out as text, never as markup or script, and the CSV export must defuse the
formulas. Every page also runs under the watch of the Content-Security-Policy: a violation is a
console error, and none may happen.

Skips without Chromium, Playwright, root or tcpdump, except in CI (CI=true), where it fails instead.
"""

from __future__ import annotations

import csv
import importlib
import importlib.util
import io
import os
import re
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

try:
    from playwright import sync_api as pw
except ImportError:  # the browser fixture skips, or fails in CI
    pw = None  # type: ignore[assignment]

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
IN_CI = os.environ.get("CI", "").lower() == "true"
PASSWORDS = {"admin": "admin-e2e-password-1", "analyst": "analyst-e2e-password-1",
             "viewer": "viewer-e2e-password-1"}
TIMEOUT_MS = 15_000
#: how a cell may start that a spreadsheet runs as a formula (OWASP, CSV injection)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
#: records CSP violations as the page reports them to itself (a second witness beside the console)
CSP_WATCH = ("window.__cspViolations = [];"
             "document.addEventListener('securitypolicyviolation', function (e) {"
             "  window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI); });")


def _load_by_path(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


#: the hostile identity (a plain module: loading it needs no pymodbus)
IDENTITY: dict[str, str] = _load_by_path("plantwarden_e2e_hostile_modbus_server",
                                         HERE / "hostile_modbus_server.py").IDENTITY


def unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason}: CI must run the browser tests (make test installs what they need)", pytrace=False)
    pytest.skip(reason)


def capture_helpers() -> ModuleType:
    """tests/realstack/capture.py: a module of the package ``tests`` (it imports ``..conftest``), so it is
    imported by name with the project's root on the path, whatever import mode pytest uses."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    module = importlib.import_module("tests.realstack.capture")
    assert Path(module.__file__ or "").resolve() == ROOT / "tests" / "realstack" / "capture.py", module.__file__
    return module


# -- the service, the browser and the hostile capture -------------------------------------------------

@dataclass
class Service:
    url: str
    store: Any
    demo_pcap: Path


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The dashboard over the demo plant, served by uvicorn in a thread on a free loopback port."""
    import uvicorn

    from plantwarden.demo import generate_demo_capture
    from plantwarden.store.ingest import ingest
    from plantwarden.store.service import Store
    from plantwarden.web.app import create_app

    d = tmp_path_factory.mktemp("e2e")
    demo = generate_demo_capture(d / "plantwarden-demo.pcap", seed=1)
    store = Store(d / "plantwarden.db")
    ingest(store, demo)
    for name, password in PASSWORDS.items():
        store.add_user(name, name, password)
    app = create_app(store, uploads=d / "uploads")
    app.state.zone_model = None
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))  # handed to uvicorn still bound: no other process can take the port meanwhile
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="e2e-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield Service(f"http://127.0.0.1:{port}", store, demo)
    finally:
        server.should_exit = True
        thread.join(20)
        sock.close()
        store.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not os.access(CHROMIUM, os.X_OK):
        unavailable(f"{CHROMIUM} is not installed (scripts/system-deps.sh installs Debian's chromium)")
    if pw is None:
        unavailable("Python Playwright is not installed (pip install -e '.[dev]')")
    with pw.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def hostile_pcap(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A pymodbus client reading a pymodbus server with the hostile identity, recorded by tcpdump."""
    try:
        from pymodbus.client import ModbusTcpClient
    except ImportError:
        unavailable("pymodbus is not installed (pip install -e '.[dev]')")
    cap = capture_helpers()
    port = cap.free_port()
    path = tmp_path_factory.mktemp("hostile") / "hostile-modbus.pcap"
    with cap.tcpdump(path, f"tcp port {port}"), \
            cap.server_process(HERE / "hostile_modbus_server.py", str(port), ready_port=port):
        client = ModbusTcpClient("127.0.0.1", port=port, timeout=5)
        assert client.connect()
        try:
            ident = client.read_device_information(read_code=3, object_id=0, device_id=1)
            assert not ident.isError(), ident
            assert sorted(v.decode() for v in ident.information.values()) == sorted(IDENTITY.values())
            assert client.read_holding_registers(0, count=4, device_id=1).registers == [100, 101, 102, 103]
            assert not client.read_coils(0, count=8, device_id=1).isError()
            assert client.read_input_registers(0, count=2, device_id=1).registers == [42, 42]
        finally:
            client.close()
    assert path.stat().st_size > 24, "tcpdump recorded nothing"
    return path


# -- pages under watch ------------------------------------------------------------------------------

@dataclass
class Watched:
    """A page of a fresh browser context, and what it did that it should not have."""

    page: Any
    base: str
    dialogs: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base + path

    def goto(self, path: str) -> Any:
        return self.page.goto(self.url(path))

    def csp_violations(self) -> list[str]:
        reported = self.page.evaluate("window.__cspViolations || []")
        return [m for m in self.console_errors if "Content Security Policy" in m] + list(reported)

    def assert_clean(self) -> None:
        """No CSP violation on the current page or before it, no dialog, no uncaught script error,
        and nothing planted by a hostile string."""
        assert self.csp_violations() == []
        assert self.dialogs == []
        assert self.page_errors == []
        assert self.page.evaluate("typeof window.__pwned") == "undefined"


@pytest.fixture
def open_page(browser: Any, service: Service) -> Iterator[Callable[..., Watched]]:
    """``open_page(user=None)``: a page in a new browser context, signed in through the login form
    when ``user`` is given."""
    contexts: list[Any] = []

    def make(user: str | None = None) -> Watched:
        context = browser.new_context()
        contexts.append(context)
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(CSP_WATCH)
        page = context.new_page()
        w = Watched(page, service.url)

        def on_dialog(dialog: Any) -> None:
            w.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("console", lambda msg: w.console_errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: w.page_errors.append(str(exc)))
        if user is not None:
            w.goto("/login")
            sign_in(w, user, PASSWORDS[user])
            assert w.page.url == w.url("/"), w.page.url
        return w

    yield make
    for c in contexts:
        c.close()


def sign_in(w: Watched, user: str, password: str) -> None:
    """Fill and send the login form of the current page."""
    form = w.page.locator('form[action="/login"]')
    form.locator('input[name="username"]').fill(user)
    form.locator('input[name="password"]').fill(password)
    with w.page.expect_navigation():
        form.get_by_role("button", name="Sign in").click()


def flash(w: Watched, kind: str) -> str:
    box = w.page.locator(f"p.flash.{kind}")
    pw.expect(box).to_be_visible()
    return str(box.inner_text())


def upload(w: Watched, file: Any) -> tuple[int, str]:
    """Upload ``file`` (a path or Playwright's {name, mimeType, buffer}) on /captures and wait, without
    reloading, until the page's own polling shows the job done. Returns (job id, its result text)."""
    page = w.page
    w.goto("/captures")
    form = page.locator("form.upload")
    form.locator('input[type="file"][name="file"]').set_input_files(file)
    with page.expect_navigation():
        form.get_by_role("button", name="Upload and analyse").click()
    m = re.fullmatch(r"upload accepted: job (\d+)", flash(w, "ok"))
    assert m, "no job number in the flash"
    job = int(m.group(1))
    landed = page.url
    row = page.locator(f'tr[data-job="{job}"]')
    first_state = row.get_attribute("data-state")
    assert first_state in ("queued", "running", "done"), first_state
    polled: list[str] = []
    navigations: list[str] = []
    page.on("request", lambda r: polled.append(r.url) if r.url.endswith(f"/api/jobs/{job}") else None)
    page.on("framenavigated", lambda f: navigations.append(f.url) if f == page.main_frame else None)
    pw.expect(row.locator("td.job-state")).to_have_text("done", timeout=60_000)
    pw.expect(page.locator("body")).to_have_attribute("data-jobs-idle", "1")
    assert page.url == landed and navigations == [], "the page was reloaded"
    if first_state != "done":
        assert polled, "the job finished on the page without its script asking /api/jobs"
    assert row.locator("progress.job-progress").evaluate("function (p) { return p.value; }") == 100
    return job, str(row.locator("td.job-result").inner_text())


def triage(w: Watched, count: int, action: str, reason: str = "") -> list[str]:
    """On /alerts, tick the first ``count`` alerts, choose ``action`` (the option's label), Apply.
    Returns the ids ticked."""
    page = w.page
    w.goto("/alerts")
    boxes = page.locator('table#alerts input[type="checkbox"][name="ids"]')
    assert boxes.count() >= count, "not enough open alerts in the demo plant"
    ids = []
    for i in range(count):
        boxes.nth(i).check()
        ids.append(str(boxes.nth(i).get_attribute("value")))
    form = page.locator("form#triage")
    form.locator('select[name="state"]').select_option(label=action)
    form.locator('input[name="reason"]').fill(reason)
    with page.expect_navigation():
        form.get_by_role("button", name="Apply").click()
    return ids


def alert_ids_on(w: Watched, path: str) -> set[str]:
    w.goto(path)
    cells = w.page.locator("table#alerts tbody tr td:has(a[href^='/alerts/']) a")
    return {str(t).strip() for t in cells.all_inner_texts()}


def csv_rows(w: Watched, path: str) -> list[list[str]]:
    """A CSV export fetched with the session of the page's context."""
    resp = w.page.request.get(w.url(path))
    assert resp.status == 200, resp.status
    assert resp.headers["content-type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(resp.body().decode("utf-8-sig"), newline="")))


# -- the tests ----------------------------------------------------------------------------------------

def test_login_wrong_password_then_right(open_page):
    w = open_page()
    w.goto("/alerts")  # anonymous: sent to the login form, which remembers where to go next
    assert w.page.url == w.url("/login?next=/alerts")
    sign_in(w, "admin", "not-the-password-at-all")
    assert w.page.url.startswith(w.url("/login"))
    assert flash(w, "err") == "Wrong user name or password."
    pw.expect(w.page.locator('input[name="username"]')).to_have_value("admin")
    pw.expect(w.page.locator('input[name="password"]')).to_have_value("")
    assert w.page.context.cookies() and all(c["name"] != "pw_session" for c in w.page.context.cookies())
    sign_in(w, "admin", PASSWORDS["admin"])
    assert w.page.url == w.url("/alerts")
    pw.expect(w.page.locator("header form.who span")).to_have_text(re.compile(r"^admin\s*\(admin\)$"))
    session = [c for c in w.page.context.cookies() if c["name"] == "pw_session"]
    assert session and session[0]["httpOnly"] and session[0]["sameSite"] == "Strict"
    w.goto("/")
    pw.expect(w.page.get_by_role("link", name="Audit log")).to_be_visible()
    w.assert_clean()


def test_hostile_identity_shows_as_text_and_csv_is_defused(open_page, hostile_pcap):
    w = open_page("admin")
    page = w.page
    job, result = upload(w, hostile_pcap)
    assert re.fullmatch(r"\d+ packets, 1 assets, \d+ new alerts|already analysed", result), result
    assert page.locator(f'tr[data-job="{job}"] td', has_text="hostile-modbus.pcap").count() == 1
    w.assert_clean()

    w.goto("/assets")
    search = page.locator('form.filters input[name="q"]')
    search.fill("Evil")
    with page.expect_navigation():
        search.press("Enter")
    assert "q=Evil" in page.url
    rows = page.locator("table#assets tbody tr")
    pw.expect(rows).to_have_count(1)
    cells = rows.first.locator("td")
    assert cells.nth(1).inner_text() == IDENTITY["ProductName"]  # name
    assert cells.nth(2).inner_text() == IDENTITY["VendorName"]
    assert cells.nth(3).inner_text() == IDENTITY["ModelName"]
    assert cells.nth(4).inner_text() == IDENTITY["MajorMinorRevision"]  # firmware
    w.assert_clean()

    with page.expect_navigation():
        cells.first.locator("a").click()
    assert re.fullmatch(re.escape(w.url("/assets/")) + r"\d+", page.url), page.url
    facts = page.locator("table#facts")
    for value in IDENTITY.values():
        shown = facts.get_by_text(value, exact=True)
        pw.expect(shown).to_have_count(1)
        pw.expect(shown).to_be_visible()
    pw.expect(page.locator("h1")).to_contain_text(IDENTITY["ProductName"])
    dd = page.locator("dl.facts dd")
    for value in (IDENTITY["VendorName"], IDENTITY["ModelName"], IDENTITY["MajorMinorRevision"]):
        pw.expect(dd.filter(has_text=value)).to_have_count(1)
    assert page.locator('img[src="x"]').count() == 0
    assert page.locator("[onerror]").count() == 0
    scripts = page.evaluate("Array.from(document.scripts).map(function (s) { return s.src; })")
    assert scripts == [w.url("/static/app.js")]
    w.assert_clean()

    # the export: every formula-like cell is quoted, the hostile values are there (as data)
    table = csv_rows(w, "/assets.csv")
    head, body = table[0], table[1:]
    assert len(body) > 1
    for row in body:
        assert len(row) == len(head)
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS), f"formula not defused: {cell!r}"
    (mine,) = [dict(zip(head, r, strict=True)) for r in csv_rows(w, "/assets.csv?q=Evil")[1:]]
    assert mine["vendor"] == IDENTITY["VendorName"]
    assert mine["name"] == IDENTITY["ProductName"]
    assert mine["model"] == "'" + IDENTITY["ModelName"]
    assert mine["firmware"] == "'" + IDENTITY["MajorMinorRevision"]
    assert mine in [dict(zip(head, r, strict=True)) for r in body]


def test_network_map_links_to_assets(open_page):
    w = open_page("viewer")
    page = w.page
    w.goto("/map")
    svg = page.locator("div.map > svg")
    pw.expect(svg).to_be_visible()
    nodes = svg.locator('a.node[href^="/assets/"]')
    assert nodes.count() >= 5, "the demo plant has more devices"
    href = nodes.first.get_attribute("href")
    assert href and re.fullmatch(r"/assets/\d+", href)
    with page.expect_navigation():
        nodes.first.locator("circle.node-dot").click()
    assert page.url == w.url(href)
    pw.expect(page.locator("table#communications")).to_be_visible()
    pw.expect(page.locator("table#facts")).to_be_visible()
    w.assert_clean()


def test_analyst_triage_resolve_and_suppress_needs_reason(open_page):
    w = open_page("analyst")
    ids = triage(w, 2, "resolve")
    assert flash(w, "ok") == "2 alert(s) now resolved"
    assert w.page.locator("p.flash.err").count() == 0
    open_now = alert_ids_on(w, "/alerts")
    assert not set(ids) & open_now
    assert set(ids) <= alert_ids_on(w, "/alerts?state=resolved")

    (one,) = triage(w, 1, "suppress (needs a reason)")
    assert "needs a reason" in flash(w, "err")
    assert w.page.locator("p.flash.ok").count() == 0
    assert one in alert_ids_on(w, "/alerts")  # still open
    assert one not in alert_ids_on(w, "/alerts?state=suppressed")
    w.assert_clean()


def test_viewer_is_read_only_and_admin_reads_the_audit_trail(open_page, service):
    viewer = open_page("viewer")
    viewer.goto("/alerts")
    pw.expect(viewer.page.locator("table#alerts tbody tr").first).to_be_visible()
    assert viewer.page.locator('input[name="ids"]').count() == 0
    assert viewer.page.locator("input.select-all").count() == 0
    assert viewer.page.get_by_role("button", name="Apply").count() == 0
    viewer.goto("/captures")
    assert viewer.page.locator('input[type="file"]').count() == 0
    assert viewer.page.get_by_role("button", name="Upload and analyse").count() == 0
    assert viewer.page.get_by_role("link", name="Audit log").count() == 0
    resp = viewer.goto("/audit")
    assert resp is not None and resp.status == 403
    viewer.assert_clean()

    # what the audit trail must show: one triage by the analyst, one upload by the admin
    analyst = open_page("analyst")
    (acked,) = triage(analyst, 1, "acknowledge")
    assert flash(analyst, "ok") == "1 alert(s) now acknowledged"
    admin = open_page("admin")
    # the demo capture again (so analysed at once), under a unique name that is hostile too (a browser
    # sends no '"' or '/' in a file name: it would percent-encode the one and the other cannot be)
    unique = f"audit-{os.getpid()}-{time.monotonic_ns()}"
    name = f"<img src=x onerror=window.__pwned=3>{unique}.pcap"
    job, result = upload(admin, {"name": name, "mimeType": "application/vnd.tcpdump.pcap",
                                 "buffer": service.demo_pcap.read_bytes()})
    assert result == "already analysed"
    assert admin.page.locator(f'tr[data-job="{job}"] td').nth(1).inner_text() == name
    assert admin.page.locator('img[src="x"]').count() == 0
    admin.assert_clean()

    page = admin.page
    admin.goto("/audit")
    pw.expect(page.locator("table#audit")).to_be_visible()
    action = page.locator('form.filters input[name="action"]')
    action.fill("alert.state")
    with page.expect_navigation():
        page.get_by_role("button", name="Filter").click()
    rows = page.locator("table#audit tbody tr")
    mine = rows.filter(has=page.locator("td", has_text=re.compile(rf"^alert {acked}$")))
    pw.expect(mine.first).to_be_visible()
    cells = mine.first.locator("td")
    assert cells.nth(2).inner_text() == "web:analyst"
    assert cells.nth(3).inner_text() == "alert.state"
    assert '"acknowledged"' in cells.nth(6).inner_text()
    assert set(rows.locator("td:nth-child(4)").all_inner_texts()) == {"alert.state"}

    action.fill("capture.upload")
    with page.expect_navigation():
        page.get_by_role("button", name="Filter").click()
    up = page.locator("table#audit tbody tr").filter(has=page.locator("td", has_text=re.compile(rf"^job {job}$")))
    pw.expect(up).to_have_count(1)
    assert up.locator("td").nth(2).inner_text() == "web:admin"
    assert up.locator("td").nth(3).inner_text() == "capture.upload"
    assert f">{unique}.pcap" in up.locator("td").nth(6).inner_text()
    assert page.locator('img[src="x"]').count() == 0

    with page.expect_navigation():
        page.get_by_role("button", name="Verify the chain").click()
    verdict = page.locator("p#verification")
    pw.expect(verdict).to_be_visible()
    assert verdict.inner_text().startswith("Intact"), verdict.inner_text()
    admin.assert_clean()
    analyst.assert_clean()


def test_sign_out_ends_the_session(open_page, browser, service):
    w = open_page("analyst")
    page = w.page
    old = [c for c in page.context.cookies() if c["name"] == "pw_session"]
    assert old
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()
    assert page.url == w.url("/login")
    pw.expect(page.locator('form[action="/login"]')).to_be_visible()
    w.goto("/alerts")
    assert page.url == w.url("/login?next=/alerts")
    w.assert_clean()

    # the old session cookie, replayed from another browser, no longer opens anything
    replay = open_page()
    replay.page.context.add_cookies(old)
    replay.goto("/alerts")
    assert replay.page.url == replay.url("/login?next=/alerts")
