#!/usr/bin/env python3
"""Measure the latency of the web service's main pages and API calls on a large SQLite store.

    make bench          # runs .venv/bin/python scripts/bench_web.py --out docs/benchmarks.md

1. Builds (or reuses, when it is there and complete) a SQLite store of 10,000 assets with their
   identity facts, 30,000 communications with their function codes and 1,000,000 alerts spread over
   90 days (about 5% of them open). The schema comes from the store's own migrations (``Store(path)``),
   so every index the product creates is there; the rows are then bulk-inserted with ``sqlite3``
   in one transaction (the alert indexes are dropped and re-created around the insert, from their
   own SQL, which is much faster than updating seven indexes row by row).
2. Serves ``create_app(store)`` with uvicorn on 127.0.0.1 in a thread of this process and sends, one
   after the other over one keep-alive connection (httpx), ``--requests`` requests per route after
   ``--warmup`` unmeasured ones, authenticated with an API token (``Authorization: Bearer``). The
   parameterised routes get ids, pages, hosts and search terms drawn from a seeded random generator.
3. Prints a Markdown table of p50, p95 and max per route and, with ``--out FILE``, replaces the section
   ``## Web service latency`` of that file (the rest of the file is kept).

The goal (docs/benchmarks.md) is p95 < 100 ms per route. The exit status is 1 when a route answered
anything but 200, else 0, whatever the latencies. ``--quick`` uses a tiny dataset (200 assets, 5,000
alerts, 5 requests per route) for tests.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import itertools
import json
import math
import os
import platform
import random
import socket
import sqlite3
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

SECTION = "## Web service latency"
GOAL_MS = 100.0
USER = "bench"
PASSWORD = "bench-web-password-0123"
END_TS = 1_795_000_000.0  # traffic time of the newest alert (2026-11-18); the data spans 90 days before
SPAN = 90 * 86400.0
CAPTURE_ID = 1
CHUNK = 20_000
DATASET_VERSION = 1  # of the generator below: a store built by another version is built again


@dataclass(frozen=True, slots=True)
class Sizes:
    assets: int
    communications: int
    alerts: int


Pair = tuple[str, str, str]  # a communication: client, server, protocol
Row = tuple[Any, ...]
FULL = Sizes(assets=10_000, communications=30_000, alerts=1_000_000)
QUICK = Sizes(assets=200, communications=600, alerts=5_000)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# -- the dataset ----------------------------------------------------------------------------------

#: vendor -> (MAC OUI, PLC protocols, PLC models, firmware versions)
PLC_VENDORS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "Siemens AG": ("00:1b:1b", ("s7comm", "profinet", "pnio_cm"),
                   ("CPU 1516-3 PN/DP", "CPU 1214C DC/DC/DC", "CPU 315-2 PN/DP", "CPU 1511-1 PN"),
                   ("V2.9.4", "V4.5.2", "V3.2.16", "V2.8.3")),
    "Rockwell Automation": ("00:00:bc", ("enip",),
                            ("1756-L83E ControlLogix", "1769-L33ER CompactLogix", "5069-L320ER"),
                            ("33.011", "32.012", "30.014")),
    "Schneider Electric": ("00:80:f4", ("modbus", "opcua"),
                           ("BMEP584040 M580", "TM241CE40R M241", "BMXP342020"),
                           ("SV3.20", "SV4.01", "V5.1.9")),
    "Phoenix Contact": ("00:a0:45", ("modbus", "profinet"), ("AXC F 2152", "ILC 191 ETH 2TX"),
                        ("2023.0.4", "4.84")),
    "OMRON Corporation": ("00:00:0a", ("fins",), ("CJ2M-CPU33", "NX1P2-9024DT"), ("2.1", "1.40")),
    "Mitsubishi Electric": ("00:26:92", ("slmp",), ("Q03UDVCPU", "R04CPU"), ("26", "45")),
    "Beckhoff Automation": ("00:01:05", ("ads",), ("CX5140", "CX9020"), ("3.1.4024.35", "3.1.4022.30")),
}
HMI_MODELS = (("Siemens AG", "00:1b:1b", "TP1500 Comfort", "V17.0.0.1"),
              ("Rockwell Automation", "00:00:bc", "PanelView Plus 7 2711P", "12.001"),
              ("Schneider Electric", "00:80:f4", "HMIGTU Harmony GTU", "3.4.2"),
              ("Advantech", "00:d0:c9", "WebOP-3100T", "1.2.8"))
PC_VENDORS = (("Dell Inc.", "f8:bc:12", "OptiPlex 7090", "Windows 10 Enterprise LTSC 21H2"),
              ("HP Inc.", "3c:52:82", "Z2 Tower G5", "Windows 10 Enterprise LTSC 1809"),
              ("Lenovo", "54:e1:ad", "ThinkStation P340", "Windows 11 Enterprise 22H2"))
#: (vendor, MAC OUI, model, firmware, protocols) of the other devices
OTHER_DEVICES: tuple[tuple[str | None, str | None, str | None, str | None, tuple[str, ...]], ...] = (
    ("Moxa Inc.", "00:90:e8", "NPort 5150", "3.11", ("modbus", "http", "snmp")),
    ("Hirschmann", "00:80:63", "RSP35", "09.4.04", ("snmp", "http")),
    ("Cisco Systems", "00:1e:bd", "IE-3400-8T2S", "17.9.4", ("snmp", "ssh")),
    (None, None, None, None, ("dns", "http")),
)
PORTS = {
    "s7comm": ("tcp", 102), "profinet": ("udp", 34964), "pnio_cm": ("udp", 34964), "enip": ("tcp", 44818),
    "modbus": ("tcp", 502), "opcua": ("tcp", 4840), "fins": ("udp", 9600), "slmp": ("tcp", 5007),
    "ads": ("tcp", 48898), "http": ("tcp", 80), "snmp": ("udp", 161), "ssh": ("tcp", 22), "dns": ("udp", 53),
    "rdp": ("tcp", 3389), "smb": ("tcp", 445), "vnc": ("tcp", 5900), "telnet": ("tcp", 23),
    "ftp": ("tcp", 21),
}
FUNCTIONS = {
    "modbus": (("3", "read_holding_registers"), ("4", "read_input_registers"), ("6", "write_single_register"),
               ("16", "write_multiple_registers"), ("43", "encapsulated_interface_transport")),
    "s7comm": (("0xf0", "setup_communication"), ("0x04", "read_var"), ("0x05", "write_var"),
               ("userdata", "cpu_functions")),
    "enip": (("0x4c", "read_tag"), ("0x4d", "write_tag"), ("0x01", "get_attributes_all"),
             ("0x52", "unconnected_send")),
    "fins": (("0x0101", "memory_area_read"), ("0x0102", "memory_area_write"),
             ("0x0501", "controller_data_read")),
    "slmp": (("0x0401", "device_read"), ("0x1401", "device_write")),
    "ads": (("2", "read"), ("3", "write"), ("4", "read_state")),
    "opcua": (("631", "read"), ("673", "write"), ("527", "browse")),
}
#: (detection, technique, severity weights (critical, high, medium, low), title template)
DETECTIONS: tuple[tuple[str, str, tuple[int, int, int, int], str], ...] = (
    ("ics.write_from_unknown_master", "T0855", (1, 6, 3, 0), "Write from an unknown master {src} to {dst}"),
    ("ics.new_talker", "T0848", (0, 2, 6, 2), "New industrial talker {src} -> {dst}"),
    ("ics.coil_forcing", "T0836", (1, 5, 4, 0), "Coil forcing by {src} on {dst}"),
    ("ics.program_download", "T0843", (5, 5, 0, 0), "Program download from {src} to {dst}"),
    ("ics.plc_stop", "T0858", (6, 4, 0, 0), "Stop command from {src} to {dst}"),
    ("ics.firmware_update", "T0839", (6, 4, 0, 0), "Firmware update of {dst} by {src}"),
    ("discovery.identification_scan", "T0846", (0, 1, 5, 4), "Identification scan by {src}"),
    ("baseline.value_out_of_range", "T0836", (0, 2, 5, 3),
     "Register value out of its learned range on {dst}"),
    ("baseline.new_pair", "T0886", (0, 0, 4, 6), "Communication outside the baseline: {src} -> {dst}"),
    ("credentials.cleartext", "T0859", (0, 3, 7, 0), "Credentials in clear text from {src} to {dst}"),
    ("ioc.address", "T0883", (2, 6, 2, 0), "Traffic with an indicator of compromise: {src} -> {dst}"),
    ("ics.time_change", "T0836", (0, 1, 4, 5), "Clock change of {dst} by {src}"),
)
SEVERITIES = ("critical", "high", "medium", "low")
SEARCH_TERMS = ("CPU 1516", "Siemens", "ControlLogix", "NPort", "PLC-L3", "10.20.4.", "00:1b:1b", "V2.9",
                "HMI-", "OptiPlex", "M580", "33.011")


@dataclass(slots=True)
class Asset:
    id: int
    ip: str
    site: int
    role: str
    level: int | None
    vendor: str | None
    mac: str | None
    protocols: list[str]


@dataclass(slots=True)
class Built:
    """What the benchmark needs to know about the store: ids and addresses to draw from."""

    sizes: Sizes
    facts: int = 0
    functions: int = 0
    open_alerts: int = 0
    ips: list[str] = field(default_factory=list)
    seconds: float = 0.0
    reused: bool = False


def _mac(rng: random.Random, oui: str | None) -> str | None:
    if oui is None:
        return None
    return f"{oui}:{rng.randrange(256):02x}:{rng.randrange(256):02x}:{rng.randrange(256):02x}"


def make_assets(rng: random.Random, n: int) -> list[Asset]:
    """``n`` assets (at most 50,000) in /24s of up to 200 hosts, sites of ten cells each (10.10.0.0/20 is
    site 1; cell 0: level 3, cells 1-2: HMIs, cells 3-9: controllers), dealt over the cells in turn."""
    if n > 50_000:
        raise ValueError("at most 50,000 assets")
    out: list[Asset] = []
    cells = 10 * max(1, math.ceil(n / 2000))  # whole sites, at most 200 hosts a cell
    for i in range(n):
        host, cell_no = divmod(i, cells)
        site, cell = divmod(cell_no, 10)
        ip = f"10.{10 * (site + 1)}.{cell}.{host + 10}"
        roll = rng.random()
        if cell == 0:
            role = "engineering_workstation" if roll < 0.35 else "unknown"
        elif cell <= 2:
            role = "hmi" if roll < 0.6 else ("engineering_workstation" if roll < 0.65 else "unknown")
        else:
            role = "plc" if roll < 0.72 else "unknown"
        vendor: str | None
        oui: str | None
        if role == "plc":
            vendor = rng.choice(list(PLC_VENDORS))
            oui, protos, _, _ = PLC_VENDORS[vendor]
            level: int | None = 1
            protocols = list(protos[:rng.randint(1, len(protos))])
        elif role == "hmi":
            vendor, oui, _, _ = rng.choice(HMI_MODELS)
            level = 2
            protocols = sorted({rng.choice(("s7comm", "enip", "modbus", "opcua")), "http", "vnc"})
        elif role == "engineering_workstation":
            vendor, oui, _, _ = rng.choice(PC_VENDORS)
            level = 3 if cell == 0 else 2
            engineering = rng.sample(("s7comm", "enip", "modbus", "fins", "ads"), 2)
            protocols = sorted({*engineering, "rdp", "smb", "dns"})
        else:
            vendor, oui, _, _, protos = rng.choice(OTHER_DEVICES)
            level = None if rng.random() < 0.6 else (3 if cell == 0 else 2 if cell <= 2 else 1)
            protocols = list(protos)
        out.append(Asset(i + 1, ip, site, role, level, vendor, _mac(rng, oui), protocols))
    return out


def asset_rows(rng: random.Random, assets: Sequence[Asset]) -> Iterator[Row]:
    for a in assets:
        first = END_TS - SPAN + rng.random() * 20 * 86400
        last = END_TS - rng.random() * 3 * 86400
        macs = {a.mac: rng.randint(1, 5000)} if a.mac else {}
        serves = rng.randint(1, 400) if a.role in ("plc", "hmi") else 0
        writes = rng.randint(0, 50) if a.role == "engineering_workstation" else 0
        yield (a.id, a.ip, a.mac, a.vendor, a.role, a.level, first, last, serves, rng.randint(0, 300), writes,
               int(a.role == "engineering_workstation" and rng.random() < 0.3), rng.randint(0, 4),
               json.dumps(macs), json.dumps(a.protocols))


def _facts_of(rng: random.Random, a: Asset) -> list[tuple[str, str]]:
    serial = f"S C-{rng.randrange(16**6):06X}{rng.randrange(100):02d}"
    if a.role == "plc" and a.vendor is not None:
        _, _, models, firmwares = PLC_VENDORS[a.vendor]
        facts = [("vendor", a.vendor), ("model", rng.choice(models)), ("firmware", rng.choice(firmwares)),
                 ("plc_name", f"PLC-L{a.site + 1}-{a.ip.split('.')[2]}{int(a.ip.split('.')[3]):03d}")]
        if rng.random() < 0.7:
            facts.append(("serial_number", serial))
        if rng.random() < 0.15:  # upgraded during the observed period: a conflict
            facts.append(("firmware", rng.choice(firmwares)))
        return facts
    if a.role == "hmi":
        vendor, _, model, firmware = next(h for h in HMI_MODELS if h[0] == a.vendor)
        facts = [("vendor", vendor), ("model", model), ("firmware", firmware),
                 ("hostname", f"HMI-{a.site + 1}-{a.ip.split('.')[3]}"), ("serial_number", serial)]
        return facts[:rng.randint(3, 5)]
    if a.role == "engineering_workstation":
        vendor, _, model, os_name = next(p for p in PC_VENDORS if p[0] == a.vendor)
        return [("hostname", f"EWS-{a.site + 1}-{a.ip.split('.')[3]}"), ("vendor", vendor), ("model", model),
                ("firmware", os_name)]
    for maker, _, product, version, _ in OTHER_DEVICES:
        if maker == a.vendor and maker is not None and product is not None and version is not None:
            return [("vendor", maker), ("model", product), ("firmware", version),
                    ("serial_number", serial)][:rng.randint(3, 4)]
    return [("hostname", f"host-{a.ip.replace('.', '-')}"), ("vendor", "unknown"), ("model", "generic")]


def fact_rows(rng: random.Random, assets: Sequence[Asset]) -> Iterator[Row]:
    fid = 0
    for a in assets:
        proto = a.protocols[0]
        seen: set[tuple[str, str]] = set()
        for name, value in _facts_of(rng, a):
            if (name, value) in seen:
                continue
            seen.add((name, value))
            fid += 1
            first = END_TS - SPAN + rng.random() * 30 * 86400
            yield (fid, a.id, name, value, proto, rng.choice((0.9, 1.0, 0.8)), CAPTURE_ID,
                   rng.randint(1, 5_000_000), f"{proto}_identification_response", first,
                   first + rng.random() * 60 * 86400, rng.randint(1, 2000))


def make_communications(rng: random.Random, assets: Sequence[Asset], n: int) -> list[tuple[str, str, str]]:
    """``n`` distinct (client, server, protocol): masters talking to controllers and HMIs of their own site,
    and some IT traffic."""
    by_site: dict[int, tuple[list[Asset], list[Asset], list[Asset]]] = {}
    for a in assets:
        masters, servers, others = by_site.setdefault(a.site, ([], [], []))
        if a.role in ("engineering_workstation", "hmi"):
            masters.append(a)
        if a.role in ("plc", "hmi"):
            servers.append(a)
        others.append(a)
    sites = [s for s, (m, srv, _) in by_site.items() if m and srv]
    out: dict[tuple[str, str, str], None] = {}
    tries = 0
    while len(out) < n and tries < 50 * n and sites:
        tries += 1
        masters, servers, others = by_site[rng.choice(sites)]
        if rng.random() < 0.85:
            client, server = rng.choice(masters), rng.choice(servers)
            proto = rng.choice(server.protocols)
        else:
            client, server = rng.choice(others), rng.choice(others)
            proto = rng.choice(("dns", "snmp", "http", "smb", "rdp", "telnet", "ftp", "ssh"))
        if client.ip != server.ip:
            out[(client.ip, server.ip, proto)] = None
    return list(out)


def communication_rows(rng: random.Random, comms: Sequence[Pair]) -> Iterator[Row]:
    for i, (client, server, proto) in enumerate(comms, 1):
        transport, port = PORTS.get(proto, ("tcp", 0))
        flows = int(rng.paretovariate(1.2)) + rng.randint(0, 20)
        cpk, spk = flows * rng.randint(5, 400), flows * rng.randint(5, 400)
        first = END_TS - SPAN + rng.random() * 60 * 86400
        yield (i, client, server, proto, transport, json.dumps([port]), flows, cpk, spk,
               cpk * rng.randint(60, 200), spk * rng.randint(60, 400), first,
               first + rng.random() * (END_TS - first))


def function_rows(rng: random.Random, comms: Sequence[Pair]) -> Iterator[Row]:
    fid = 0
    for i, (_, _, proto) in enumerate(comms, 1):
        table = FUNCTIONS.get(proto)
        if not table:
            continue
        for code, name in rng.sample(table, min(len(table), rng.randint(2, 4))):
            fid += 1
            req = rng.randint(1, 100_000)
            act = "write" if "write" in name else "read"
            yield (fid, i, code, name, req, req - rng.randint(0, 3), rng.randint(0, 2),
                   json.dumps({act: req}))


def security_rows(rng: random.Random, comms: Sequence[Pair]) -> Iterator[Row]:
    sid = 0
    for i, (_, _, proto) in enumerate(comms, 1):
        fact: tuple[str, str] | None = None
        if proto in ("telnet", "ftp") or (proto == "http" and rng.random() < 0.2):
            fact = ("credentials_in_clear", proto)
        elif proto == "snmp":
            fact = ("snmp_version", rng.choice(("1", "2c", "2c", "3")))
        elif proto == "opcua":
            fact = ("opcua_security_mode", rng.choice(("none", "sign", "sign_and_encrypt")))
        if fact is not None:
            sid += 1
            yield (sid, i, fact[0], fact[1], rng.randint(1, 500))


def alert_rows(rng: random.Random, assets: Sequence[Asset], n: int) -> Iterator[Row]:
    """``n`` alerts between assets, mostly resolved; recent ones more often open (about 5% overall)."""
    everyone = [a.ip for a in assets]
    masters = [a.ip for a in assets if a.role in ("engineering_workstation", "unknown")] or everyone
    targets = [a.ip for a in assets if a.role in ("plc", "hmi")] or everyone
    cum_weights = [list(itertools.accumulate(d[2])) for d in DETECTIONS]
    events = [f"{d[0].split('.')[-1]}_event" for d in DETECTIONS]
    start = END_TS - SPAN - 86400
    weeks = [f"{dt.datetime.fromtimestamp(start + k * 7 * 86400, dt.UTC):%Y-%m-%d}" for k in range(15)]
    for i in range(1, n + 1):
        d = rng.randrange(len(DETECTIONS))
        detection, technique, _, title = DETECTIONS[d]
        severity = rng.choices(SEVERITIES, cum_weights=cum_weights[d])[0]
        src = rng.choice(masters) if rng.random() < 0.8 else rng.choice(everyone)
        dst = rng.choice(targets)
        if dst == src:
            dst = rng.choice(everyone)
        last = END_TS - rng.random() * SPAN
        first = last - rng.expovariate(1 / 1800.0)
        count = int(rng.expovariate(1 / 20.0)) + 1
        p_open = 0.15 if END_TS - last < 14 * 86400 else 0.03
        roll = rng.random()
        reason: str | None = None
        changed: float | None = last + rng.random() * 86400
        if roll < p_open * 0.6:
            state, changed = "new", None
        elif roll < p_open:
            state = "acknowledged"
        elif roll < p_open + 0.01:
            state, reason = "suppressed", "known maintenance laptop"
        elif roll < p_open + 0.015:
            state, reason = "approved", "change window 2026-10-02 (firmware upgrade)"
        else:
            state, reason = "resolved", rng.choice((None, "fixed", "false positive", "duplicate"))
        # the JSON by hand (its strings are plain ASCII without quotes): json.dumps would cost seconds here
        capture = f"site{d % 3 + 1}-{weeks[int((first - start) // 604800)]}.pcapng"
        evidence = (f'[{{"ts": {first:.6f}, "capture": "{capture}", '
                    f'"frame": {int(first * 7) % 4_999_999 + 1}, "src": "{src}", "dst": "{dst}", '
                    f'"event": "{events[d]}"}}]')
        created = last + rng.random() * 600
        yield (i, detection, technique, severity, title.format(src=src, dst=dst), f"{detection}|{src}|{dst}",
               src, dst, first, last, count, state, reason, changed, evidence, CAPTURE_ID, created,
               changed if changed is not None else created)


#: the columns the bulk insert writes, per table (names as in plantwarden/store/models.py)
COLUMNS = {
    "assets": "id, ip, mac, vendor, role, purdue_level, first_seen, last_seen, serves, reads, writes, "
              "programs, identifies, macs, protocols",
    "asset_facts": "id, asset_id, name, value, protocol, confidence, capture_id, frame, event, first_seen, "
                   "last_seen, count",
    "communications": "id, client, server, protocol, transport, server_ports, flows, client_packets, "
                      "server_packets, client_bytes, server_bytes, first_seen, last_seen",
    "communication_functions": "id, communication_id, code, name, requests, responses, exceptions, "
                               "activities",
    "communication_security": "id, communication_id, name, value, count",
    "alerts": "id, detection, technique, severity, title, key, src, dst, first_seen, last_seen, count, "
              "state, state_reason, state_changed_at, evidence, capture_id, created_at, updated_at",
}


def _insert(conn: sqlite3.Connection, table: str, columns: str, rows: Iterator[Row]) -> int:
    marks = ", ".join("?" * len(columns.split(",")))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"
    total = 0
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            conn.executemany(sql, chunk)
            total += len(chunk)
            chunk = []
    if chunk:
        conn.executemany(sql, chunk)
        total += len(chunk)
    return total


def _count(conn: sqlite3.Connection, table: str) -> int:
    return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def _marker(path: Path) -> Path:
    """The file beside the store that says which dataset it holds (written once the build committed)."""
    return Path(f"{path}.dataset.json")


def _spec(sizes: Sizes, seed: int) -> dict[str, int]:
    return {"version": DATASET_VERSION, "seed": seed, "assets": sizes.assets,
            "communications": sizes.communications, "alerts": sizes.alerts}


def _complete(path: Path, sizes: Sizes, seed: int) -> bool:
    """The store at ``path`` holds exactly the dataset of ``sizes`` and ``seed``, and the benchmark's user."""
    try:
        if json.loads(_marker(path).read_text()) != _spec(sizes, seed) or not path.exists():
            return False
    except (OSError, ValueError):
        return False
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return (_count(conn, "assets"), _count(conn, "communications"), _count(conn, "alerts")) == (
                sizes.assets, sizes.communications, sizes.alerts) and conn.execute(
                "SELECT 1 FROM users WHERE username = ?", (USER,)).fetchone() is not None
        finally:
            conn.close()
    except sqlite3.Error:
        return False


def _remove_store(path: Path) -> None:
    for suffix in (".dataset.json", "", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            Path(f"{path}{suffix}").unlink()


def build(path: Path, sizes: Sizes, seed: int, rebuild: bool) -> Built:
    """The store at ``path``: reused when complete (and not ``rebuild``), else built from scratch."""
    from plantwarden.store.service import Store

    t0 = time.perf_counter()
    rng = random.Random(seed)
    assets = make_assets(rng, sizes.assets)
    comms = make_communications(rng, assets, sizes.communications)
    built = Built(Sizes(sizes.assets, len(comms), sizes.alerts), ips=[a.ip for a in assets])
    if not rebuild and _complete(path, built.sizes, seed):
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            built.facts = _count(conn, "asset_facts")
            built.functions = _count(conn, "communication_functions")
            built.open_alerts = int(conn.execute(
                "SELECT count(*) FROM alerts WHERE state IN ('new', 'acknowledged')").fetchone()[0])
        finally:
            conn.close()
        built.reused, built.seconds = True, time.perf_counter() - t0
        log(f"reusing {path} ({sizes.assets:,} assets, {sizes.alerts:,} alerts)")
        return built
    _remove_store(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    log(f"building {path}: {sizes.assets:,} assets, {len(comms):,} communications, "
        f"{sizes.alerts:,} alerts ...")
    store = Store(str(path), actor="bench")  # the schema and its indexes, from the migrations
    try:
        store.add_user(USER, "analyst", PASSWORD)  # analyst: the "after a change" routes triage alerts
    finally:
        store.close()
    conn = sqlite3.connect(path, isolation_level=None)
    phase = time.perf_counter()

    def done(what: str) -> None:
        nonlocal phase
        now = time.perf_counter()
        log(f"  {what}: {now - phase:.1f} s")
        phase = now

    try:
        # no journal while building (a failed build is deleted); the store is WAL again afterwards
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-262144")  # 256 MiB
        conn.execute("PRAGMA temp_store=MEMORY")
        conn.execute("BEGIN")
        conn.execute(
            "INSERT INTO captures (id, sha256, name, size, packets, first_ts, last_ts, analyzed_at, stats) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (CAPTURE_ID, hashlib.sha256(b"bench-web").hexdigest(), "plant-2026-q3.pcapng", 48_318_234_112,
             61_250_000, END_TS - SPAN, END_TS, END_TS + 3600, json.dumps({"packets": 61_250_000})))
        _insert(conn, "assets", COLUMNS["assets"], asset_rows(rng, assets))
        built.facts = _insert(conn, "asset_facts", COLUMNS["asset_facts"], fact_rows(rng, assets))
        _insert(conn, "communications", COLUMNS["communications"], communication_rows(rng, comms))
        built.functions = _insert(conn, "communication_functions", COLUMNS["communication_functions"],
                                  function_rows(rng, comms))
        _insert(conn, "communication_security", COLUMNS["communication_security"], security_rows(rng, comms))
        done("assets, facts and communications")
        # the migrations' own alert indexes, dropped for the bulk insert and re-created from their SQL
        indexes = list(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                                    "AND tbl_name = 'alerts' AND sql IS NOT NULL"))
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        _insert(conn, "alerts", COLUMNS["alerts"], alert_rows(rng, assets, sizes.alerts))
        done("alerts")
        for _, sql in indexes:
            conn.execute(sql)
        done(f"{len(indexes)} alert indexes")
        conn.execute(
            "INSERT INTO alert_state_changes (alert_id, state, reason, at) SELECT id, state, state_reason, "
            "state_changed_at FROM alerts WHERE state != 'new' AND id % 10 = 0")
        built.open_alerts = int(conn.execute(
            "SELECT count(*) FROM alerts WHERE state IN ('new', 'acknowledged')").fetchone()[0])
        conn.execute("COMMIT")
        conn.execute("PRAGMA journal_mode=WAL")
    except BaseException:
        conn.close()
        _remove_store(path)
        raise
    conn.close()
    _marker(path).write_text(json.dumps(_spec(built.sizes, seed)) + "\n")
    built.seconds = time.perf_counter() - t0
    log(f"built in {built.seconds:.1f} s")
    return built


# -- the measurement ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Route:
    label: str
    kind: str  # "page" or "API"
    url: Callable[[random.Random], str]
    #: run (untimed) before each request: a change that invalidates the service's cached results
    before: Callable[[Any, random.Random], None] | None = None


def routes(built: Built) -> list[Route]:
    n_assets, n_alerts = built.sizes.assets, built.sizes.alerts
    pages = max(1, math.ceil(n_assets / 50))

    def fixed(url: str) -> Callable[[random.Random], str]:
        return lambda _rng: url

    def change(client: Any, rng: random.Random) -> None:
        """Acknowledge or reopen one alert: the overview and the map are computed again."""
        r = client.post("/api/alerts/triage", json={"ids": [rng.randint(1, n_alerts)],
                                                    "state": rng.choice(["acknowledged", "new"])})
        if r.status_code != 200:
            raise RuntimeError(f"triage failed: {r.status_code} {r.text[:200]}")

    return [
        Route("/", "page", fixed("/")),
        Route("/assets", "page", fixed("/assets")),
        Route("/assets?q=TERM", "page", lambda r: f"/assets?q={r.choice(SEARCH_TERMS).replace(' ', '+')}"),
        Route("/assets/{id}", "page", lambda r: f"/assets/{r.randint(1, n_assets)}"),
        Route("/alerts", "page", fixed("/alerts")),
        Route("/alerts?severity=high", "page", fixed("/alerts?severity=high")),
        Route("/alerts/{id}", "page", lambda r: f"/alerts/{r.randint(1, n_alerts)}"),
        Route("/map", "page", fixed("/map")),
        Route("/ after an alert change", "page", fixed("/"), before=change),
        Route("/map after an alert change", "page", fixed("/map"), before=change),
        Route("/api/overview", "API", fixed("/api/overview")),
        Route("/api/assets?page=N", "API", lambda r: f"/api/assets?page={r.randint(1, pages)}"),
        Route("/api/assets/{id}", "API", lambda r: f"/api/assets/{r.randint(1, n_assets)}"),
        Route("/api/alerts?state=open", "API", fixed("/api/alerts?state=open")),
        Route("/api/alerts?host=IP", "API", lambda r: f"/api/alerts?host={r.choice(built.ips)}"),
        Route("/api/alerts/{id}", "API", lambda r: f"/api/alerts/{r.randint(1, n_alerts)}"),
    ]


@dataclass(slots=True)
class Result:
    route: Route
    times_ms: list[float] = field(default_factory=list)
    status: int = 200
    failure: str = ""

    @property
    def ok(self) -> bool:
        return self.status == 200 and not self.failure

    def meets(self) -> bool:
        return self.ok and bool(self.times_ms) and percentile(self.times_ms, 95) < GOAL_MS


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile, interpolated linearly between the closest ranks."""
    if not values:
        return math.nan
    xs = sorted(values)
    k = (len(xs) - 1) * p / 100.0
    lo, hi = math.floor(k), math.ceil(k)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


@contextlib.contextmanager
def serving(store_path: Path) -> Iterator[tuple[str, str]]:
    """The web service over the store in a uvicorn thread: (base URL, API token secret)."""
    import uvicorn

    from plantwarden.store.service import Store
    from plantwarden.web.app import create_app

    store = Store(str(store_path), actor="bench")
    if next(u for u in store.users() if u.username == USER).role != "analyst":  # a store built before
        store.set_user_role(USER, "analyst")
    _, secret = store.create_token(USER, f"bench-web {time.strftime('%Y-%m-%d %H:%M:%S')}")
    app = create_app(store, uploads=store_path.parent / "bench-uploads", start_jobs=False)
    app.state.zone_model = None
    # uvicorn binds the port itself, as ``plantwarden serve`` does: a socket handed over without
    # IPPROTO_TCP would not get TCP_NODELAY from asyncio, and every keep-alive answer would wait 40 ms
    # for a delayed ACK
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the web service did not start")
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}", secret
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        store.close()


def measure(base: str, secret: str, todo: Sequence[Route], requests: int, warmup: int,
            seed: int) -> list[Result]:
    import httpx

    rng = random.Random(seed)
    results: list[Result] = []
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {secret}"}, timeout=120.0,
                      trust_env=False, follow_redirects=False) as client:
        for route in todo:
            res = Result(route)
            for i in range(warmup + requests):
                url = route.url(rng)
                if route.before is not None:
                    route.before(client, rng)
                t0 = time.perf_counter()
                resp = client.get(url)
                body = resp.content  # read in full
                elapsed = (time.perf_counter() - t0) * 1000.0
                if resp.status_code != 200:
                    res.status = resp.status_code
                    res.failure = f"GET {url} -> {resp.status_code}: {body[:300]!r}"
                    log(f"FAILED: {res.failure}")
                    break
                if i >= warmup:
                    res.times_ms.append(elapsed)
            if res.ok:
                log(f"{route.label:<28} p50 {percentile(res.times_ms, 50):8.1f} ms   "
                    f"p95 {percentile(res.times_ms, 95):8.1f} ms")
            results.append(res)
    return results


# -- the report -----------------------------------------------------------------------------------

def table(results: Sequence[Result]) -> str:
    lines = ["| route | kind | requests | p50 ms | p95 ms | max ms | status | p95 < 100 ms |",
             "|---|---|---:|---:|---:|---:|---:|---|"]
    for r in results:
        t = r.times_ms
        cells = (f"{percentile(t, 50):.1f}", f"{percentile(t, 95):.1f}", f"{max(t):.1f}") if t else ("-",) * 3
        verdict = "yes" if r.meets() else ("**no**" if r.ok else "**failed**")
        lines.append(f"| `{r.route.label}` | {r.route.kind} | {len(t)} | {' | '.join(cells)} | {r.status} "
                     f"| {verdict} |")
    return "\n".join(lines)


def section(results: Sequence[Result], built: Built, args: argparse.Namespace) -> str:
    met = [r for r in results if r.meets()]
    missed = [r for r in results if not r.meets()]
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    s = built.sizes
    quick = " **`--quick`: the tiny test dataset, not the one of the goal.**" if args.quick else ""
    verdict = (f"All {len(results)} routes meet it." if not missed else
               f"{len(met)} of {len(results)} routes meet it; not met: "
               + ", ".join(f"`{r.route.label}`" for r in missed) + ".")
    return "\n".join([
        SECTION,
        "",
        "Generated by `make bench`, i.e. `.venv/bin/python scripts/bench_web.py --out docs/benchmarks.md`; "
        f"do not edit by hand.{quick}",
        "",
        "| | |",
        "|---|---|",
        f"| date | {when} |",
        f"| machine | {platform.platform()}, {os.cpu_count()} logical cores |",
        f"| Python | {platform.python_version()} (SQLite {sqlite3.sqlite_version}) |",
        f"| store | SQLite file, {s.assets:,} assets ({built.facts:,} identity facts), {s.communications:,} "
        f"communications ({built.functions:,} function rows), {s.alerts:,} alerts over 90 days "
        f"({built.open_alerts:,} open) |",
        f"| method | uvicorn in-process on 127.0.0.1, one httpx keep-alive client, requests one at a time; "
        f"{args.requests} measured requests per route after {args.warmup} warm-ups; API token auth; "
        f"seed {args.seed} |",
        "",
        "Times are wall-clock milliseconds from sending the request to reading the whole answer. "
        "Parameterised routes draw their ids, pages, hosts and search terms at random (seeded). "
        "The overview and the map keep their results until the data changes (docs/web.md, \"Performance\"): "
        "`/` and `/map` are answered from that cache; the \"after an alert change\" rows acknowledge or reopen "
        "an alert (untimed) before each request, so the counts and the alert marks are computed again; the "
        "first request after a capture is analysed computes the plots and the map's layout too, and is not "
        "measured here.",
        "",
        table(results),
        "",
        f"Goal: p95 < {GOAL_MS:.0f} ms on every route. {verdict}",
        "",
    ])


def write_section(out: Path, text: str) -> None:
    """Replace the section of ``out`` from its ``SECTION`` heading to the next ``## `` heading (or the end);
    append it when absent."""
    old = out.read_text().splitlines(keepends=True) if out.exists() else []
    start = next((i for i, line in enumerate(old) if line.rstrip() == SECTION), None)
    new = text if text.endswith("\n") else text + "\n"
    if start is None:
        body = "".join(old)
        if body and not body.endswith("\n"):
            body += "\n"
        out.write_text(body + ("\n" if body else "") + new)
        return
    end = next((i for i in range(start + 1, len(old)) if old[i].startswith("## ")), len(old))
    tail = "".join(old[end:])
    out.write_text("".join(old[:start]) + new + ("\n" + tail if tail else ""))


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--db", type=Path, help="the SQLite store to build or reuse (default: under --work)")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "plantwarden-bench-web",
                    help="folder of the default store (default: %(default)s)")
    ap.add_argument("--out", type=Path, help=f"Markdown file whose section {SECTION!r} to write or replace")
    ap.add_argument("--quick", action="store_true", help="tiny dataset and 5 requests per route (for tests)")
    ap.add_argument("--requests", type=int, help="measured requests per route (default 50; 5 with --quick)")
    ap.add_argument("--warmup", type=int, default=3, help="unmeasured requests per route first (default 3)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the dataset and of the drawn parameters")
    ap.add_argument("--rebuild", action="store_true", help="build the store again even when it is complete")
    args = ap.parse_args(argv)
    if args.requests is None:
        args.requests = 5 if args.quick else 50
    if args.requests < 1 or args.warmup < 0:
        ap.error("--requests must be at least 1 and --warmup at least 0")
    sizes = QUICK if args.quick else FULL
    db: Path = args.db or args.work / ("bench-web-quick.sqlite" if args.quick else "bench-web.sqlite")
    built = build(db, sizes, args.seed, args.rebuild)
    with serving(db) as (base, secret):
        results = measure(base, secret, routes(built), args.requests, args.warmup, args.seed)
    print(table(results))
    failed = [r for r in results if not r.ok]
    missed = [r for r in results if r.ok and not r.meets()]
    if missed:
        print(f"\np95 >= {GOAL_MS:.0f} ms: " + ", ".join(r.route.label for r in missed))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        write_section(args.out, section(results, built, args))
        log(f"wrote the section {SECTION!r} of {args.out}")
    if failed:
        log("FAILED (status other than 200): " + "; ".join(r.failure for r in failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
