#!/usr/bin/env python3
"""Time matching an inventory against the shared CISA advisories and write docs/benchmarks.md.

    .venv/bin/python scripts/bench_vulns.py --out docs/benchmarks.md      # (make bench)
    .venv/bin/python scripts/bench_vulns.py --quick                      # 200 devices, for tests

1. Generates ``--devices`` (10,000) devices from a seeded random generator, shaped like what the wire
   gives (``plantwarden.vulns.match.Device``): about half are products of the advisories themselves
   (their vendor as a MAC registrant, an identity answer or a served protocol spells it, their model
   numbers, product names or a sibling model the advisory does not list, firmware near the bounds of
   their ranges or none), the others are devices of vendors no advisory names (switches, cameras,
   printers, PCs ...) and advisory vendors' devices with models no advisory lists.
2. Loads every advisory under ``--csaf`` (../shared/advisories/csaf, ``cisagov/<year>/*.json``) with
   ``load_advisory``, builds the ``Matcher`` and matches every device, timing the three steps apart
   (wall clock, one process, one thread).
3. Prints a Markdown table and, with ``--out FILE``, replaces the section ``## Vulnerability matching``
   of that file (up to the next ``## `` heading), or appends it when the file has none.

The goal (issue 7): matching 10,000 assets against the 311 advisories in less than 10 s; the report says
whether load + index + match met it. Exits 2 when the advisories are absent, else 0.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

from plantwarden.vulns.csaf import Advisory, Product, load_advisory  # noqa: E402
from plantwarden.vulns.match import PROTOCOL_VENDORS, Device, Finding, Matcher  # noqa: E402

SECTION = "## Vulnerability matching"
DEFAULT_CSAF = ROOT / ".." / "shared" / "advisories" / "csaf"
GOAL_S = 10.0
FULL_DEVICES = 10_000
QUICK_DEVICES = 200

#: vendors no advisory of the corpus names, with model stems they use (MAC registrants as IEEE spells them)
UNRELATED: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Cisco Systems, Inc", ("IE-4000-8GT4G-E", "IE-3400-8T2S", "C9300-48P", "ISR4331")),
    ("Hewlett Packard", ("ProLiant DL380 Gen10", "Aruba 2930F-24G", "LaserJet M507")),
    ("Dell Inc.", ("OptiPlex 7090", "PowerEdge R740", "Precision 3660")),
    ("Axis Communications AB", ("P3245-V", "M3106-L Mk II", "Q6075-E")),
    ("Hangzhou Hikvision Digital Technology Co.,Ltd.", ("DS-2CD2143G2-I", "DS-7608NI-K2")),
    ("Lantronix", ("UDS1100", "XPort AR", "EDS2100")),
    ("Texas Instruments", ("CC3220SF", "AM3358")),
    ("Raspberry Pi Trading Ltd", ("Raspberry Pi 4 Model B", "Compute Module 4")),
    ("Ubiquiti Inc", ("UniFi U6-Pro", "EdgeRouter X")),
    ("Juniper Networks", ("EX2300-24T", "SRX300")),
    ("Fortinet, Inc.", ("FortiGate 60F", "FortiSwitch 124E")),
    ("Brother Industries, Ltd.", ("HL-L5100DN", "MFC-L8900CDW")),
    ("Zebra Technologies Inc.", ("ZT410", "TC52")),
    ("Intel Corporate", ("NUC11TNHi5", "I210-T1")),
    ("Turck", ("TBEN-S2-4IOL", "FEN20-16DXP")),
    ("ifm electronic gmbh", ("AL1322", "O3D303")),
)
UNRELATED_SOURCES = ("snmp sysDescr", "http server banner", "lldp system description", "dhcp vendor class")
VENDOR_SOURCES = ("enip list identity", "modbus device identification", "profinet dcp identify", "snmp sysDescr",
                  "bacnet device object")
_VERSION = re.compile(r"\d+(?:\.\d+){0,3}")
_VENDOR_PROTOCOL = {v: p for p, v in PROTOCOL_VENDORS.items()}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------- corpus


def advisory_files(csaf: Path) -> list[Path]:
    return sorted((csaf / "cisagov").glob("*/*.json")) if (csaf / "cisagov").is_dir() else []


@dataclass(frozen=True, slots=True)
class Profile:
    """What a device of one advisory product could say of itself."""

    vendor: str
    models: tuple[str, ...]
    versions: tuple[str, ...]


def profiles(advisories: Sequence[Advisory]) -> list[list[Profile]]:
    """Per advisory, the distinct (vendor, models) its products offer a device to be."""
    out: list[list[Profile]] = []
    for adv in advisories:
        seen: set[tuple[str, tuple[str, ...]]] = set()
        mine = []
        for p in adv.products.values():
            if not p.vendor or p.relationship is not None:
                continue
            models = _models_of(p)
            if not models or (p.vendor, models) in seen:
                continue
            seen.add((p.vendor, models))
            mine.append(Profile(p.vendor.strip(), models, tuple(_VERSION.findall(p.version_text or ""))))
        if mine:
            out.append(mine)
    return out


def _models_of(p: Product) -> tuple[str, ...]:
    names = [m for m in p.model_numbers if m.strip()]
    product = re.sub(r"\([^)]*\)", " ", p.product or "").strip()
    if product:
        names.append(" ".join(product.split()))
    return tuple(dict.fromkeys(names))


# -------------------------------------------------------------------------------------------- devices


def _spelling(rng: random.Random, vendor: str) -> str:
    """The vendor as another source might spell it."""
    r = rng.random()
    if r < 0.5:
        return vendor
    if r < 0.7:
        return vendor.upper()
    if r < 0.9:
        return vendor.split(",")[0] + rng.choice((" Inc.", " GmbH", " Co., Ltd.", " AG", " Corporation"))
    return vendor.lower()


def _sibling(rng: random.Random, model: str) -> str:
    """A model next to one the advisory lists: one digit or letter changed."""
    spots = [i for i, c in enumerate(model) if c.isalnum()]
    if not spots:
        return model + "X"
    i = rng.choice(spots)
    c = model[i]
    new = str((int(c) + rng.randint(1, 9)) % 10) if c.isdigit() else rng.choice("ABCDEFGHJKLMNPRSTXZ")
    return model[:i] + new + model[i + 1:]


def _near(rng: random.Random, versions: tuple[str, ...]) -> str:
    """A firmware version at, just under or just over a bound of the product's range, or a random one."""
    if not versions or rng.random() < 0.15:
        return f"{rng.randint(0, 12)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}"
    parts = [int(x) for x in rng.choice(versions).split(".")]
    parts[-1] = max(0, parts[-1] + rng.choice((-1, 0, 0, 1)))
    text = ".".join(map(str, parts))
    return ("V" + text) if rng.random() < 0.3 else text


def _src(kind: str, n: int) -> str:
    return f"{kind}, bench.pcap frame {n}"


def generate(n: int, corpus: Sequence[Sequence[Profile]], seed: int) -> list[Device]:
    """``n`` devices; a device of the advisories is drawn advisory first (each equally likely), then one
    of its products, so that the advisories with hundreds of product ids do not crowd the others out."""
    rng = random.Random(seed)
    corpus_vendors = sorted({p.vendor for ps in corpus for p in ps})
    devices = []
    for i in range(n):
        d = Device(f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}", i + 1)
        r = rng.random()
        if r < 0.5 and corpus:  # a product of the advisories, or its sibling
            prof = rng.choice(rng.choice(corpus))
            source = rng.choice(VENDOR_SOURCES)
            key_protocol = next((p for v, p in _VENDOR_PROTOCOL.items() if v in prof.vendor.lower()), None)
            if key_protocol and rng.random() < 0.3:
                d.vendors.setdefault(PROTOCOL_VENDORS[key_protocol], f"serves {key_protocol}")
            else:
                d.add_vendor(_spelling(rng, prof.vendor), _src(f"vendor from {source}", i))
            if rng.random() < 0.4:
                d.add_vendor(_spelling(rng, prof.vendor), f"MAC 00:00:5e:00:{i % 256:02x}:01 registrant")
            for m in rng.sample(prof.models, k=min(len(prof.models), rng.randint(1, 2))):
                d.models[_sibling(rng, m) if rng.random() < 0.25 else m] = _src(f"model from {source}", i)
            if rng.random() < 0.85:
                d.firmware[_near(rng, prof.versions)] = _src(f"firmware from {source}", i)
        elif r < 0.65 and corpus_vendors:  # an advisory vendor's device that no advisory lists
            vendor = rng.choice(corpus_vendors)
            d.add_vendor(_spelling(rng, vendor), f"MAC 00:00:5e:00:{i % 256:02x}:02 registrant")
            model = f"{rng.choice('ABCDEFGHKLMPRSTX')}{rng.choice('ABCDEFGHKLMPRSTX')}-{rng.randint(100, 9999)}"
            d.models[model] = _src("model from snmp sysDescr", i)
            d.firmware[_near(rng, ())] = _src("firmware from snmp sysDescr", i)
        else:  # a vendor no advisory names
            vendor, models = rng.choice(UNRELATED)
            source = rng.choice(UNRELATED_SOURCES)
            d.add_vendor(vendor, f"MAC 00:00:5e:00:{i % 256:02x}:03 registrant")
            if rng.random() < 0.8:
                d.models[rng.choice(models)] = _src(f"model from {source}", i)
            if rng.random() < 0.7:
                d.firmware[_near(rng, ())] = _src(f"firmware from {source}", i)
        devices.append(d)
    return devices


# ---------------------------------------------------------------------------------------------- run


@dataclass(frozen=True, slots=True)
class Result:
    files: int
    advisories: int
    products: int
    candidates: int
    devices: int
    load_s: float
    index_s: float
    match_s: float
    findings: int
    matched_devices: int
    verdicts: Counter[str]
    top: list[tuple[str, int]]

    @property
    def total_s(self) -> float:
        return self.load_s + self.index_s + self.match_s


def run(csaf: Path, n: int, seed: int) -> Result:
    files = advisory_files(csaf)
    t0 = time.perf_counter()
    advisories = [load_advisory(p) for p in files]
    t1 = time.perf_counter()
    matcher = Matcher(advisories)
    t2 = time.perf_counter()
    devices = generate(n, profiles(advisories), seed)
    log(f"{len(files)} advisories, {n:,} devices generated; matching ...")
    t3 = time.perf_counter()
    results: list[list[Finding]] = [matcher.match(d) for d in devices]
    t4 = time.perf_counter()
    verdicts: Counter[str] = Counter(f.verdict for fs in results for f in fs)
    by_adv: Counter[str] = Counter(f.advisory for fs in results for f in fs)
    return Result(
        files=len(files), advisories=matcher.count, products=sum(len(a.products) for a in advisories),
        candidates=sum(len(c) for c in matcher.by_vendor.values()), devices=n,
        load_s=t1 - t0, index_s=t2 - t1, match_s=t4 - t3,
        findings=sum(len(fs) for fs in results), matched_devices=sum(1 for fs in results if fs),
        verdicts=verdicts, top=by_adv.most_common(5),
    )


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def section(r: Result, seed: int) -> str:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    met = r.total_s < GOAL_S
    rate = r.devices / r.match_s if r.match_s > 0 else float("inf")
    lines = [
        SECTION,
        "",
        "Generated by `.venv/bin/python scripts/bench_vulns.py --out docs/benchmarks.md` (`make bench`); do not "
        "edit by hand.",
        "",
        "| | |",
        "|---|---|",
        f"| date | {now} |",
        f"| machine | {platform.platform()}, {_cpu()}, {os.cpu_count()} logical cores (one thread used) |",
        f"| Python | {platform.python_version()} ({platform.python_implementation()}) |",
        f"| advisories | {r.files} CISA ICS CSAF 2.0 files of ../shared/advisories/csaf ({r.products:,} product ids, "
        f"{r.candidates:,} indexed vendor/product candidates) |",
        f"| devices | {r.devices:,} generated with seed {seed}: about half products of the advisories (an advisory "
        "drawn first, each equally likely, then one of its products: its "
        "model numbers or names, sibling models, firmware near the range bounds or none), the rest advisory "
        "vendors' unlisted models and vendors no advisory names |",
        "",
        "Wall-clock seconds of one run in one process.",
        "",
        "| step | s | |",
        "|---|---:|---|",
        f"| load the advisories (`load_advisory`) | {r.load_s:.2f} | {r.files / r.load_s:,.0f} files/s |"
        if r.load_s > 0 else f"| load the advisories (`load_advisory`) | {r.load_s:.2f} | |",
        f"| index them (`Matcher(advisories)`) | {r.index_s:.2f} | |",
        f"| match every device (`Matcher.match`) | {r.match_s:.2f} | {rate:,.0f} devices/s |",
        f"| **total** | **{r.total_s:.2f}** | |",
        "",
        f"Findings: **{r.findings:,}** on {r.matched_devices:,} of the {r.devices:,} devices "
        f"({r.verdicts.get('affected', 0):,} affected, {r.verdicts.get('unknown', 0):,} with an unknown version). "
        "Most found advisories: " + ", ".join(f"{t} ({c:,})" for t, c in r.top) + ".",
        "",
        f"Goal: {r.devices:,} assets against the {r.files} advisories in < 10 s (load, index and match). "
        + (f"**Met**: {r.total_s:.2f} s." if met else f"**Not met**: {r.total_s:.2f} s."),
        "",
    ]
    return "\n".join(lines)


def write_section(out: Path, text: str) -> None:
    """Replace ``SECTION`` (its heading up to the next level-2 heading) in ``out``, or append it."""
    old = out.read_text(encoding="utf-8") if out.exists() else ""
    lines = old.splitlines(keepends=True)
    start = next((i for i, ln in enumerate(lines) if ln.rstrip("\n") == SECTION), None)
    body = text if text.endswith("\n") else text + "\n"
    if start is None:
        prefix = old if not old or old.endswith("\n\n") else (old + "\n" if old.endswith("\n") else old + "\n\n")
        out.write_text(prefix + body, encoding="utf-8")
        return
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    rest = "".join(lines[end:])
    if rest and not body.endswith("\n\n"):
        body += "\n"
    out.write_text("".join(lines[:start]) + body + rest, encoding="utf-8")


def table(r: Result) -> str:
    return "\n".join([
        "| advisories | devices | load s | index s | match s | total s | findings | devices with findings |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {r.files} | {r.devices:,} | {r.load_s:.2f} | {r.index_s:.2f} | {r.match_s:.2f} | {r.total_s:.2f} | "
        f"{r.findings:,} | {r.matched_devices:,} |",
    ])


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--csaf", type=Path, default=DEFAULT_CSAF,
                    help="folder holding cisagov/<year>/*.json (default: ../shared/advisories/csaf)")
    ap.add_argument("--devices", type=int, help=f"devices to generate (default {FULL_DEVICES:,}; "
                                                 f"{QUICK_DEVICES} with --quick)")
    ap.add_argument("--quick", action="store_true", help=f"{QUICK_DEVICES} devices, for tests")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, help=f"Markdown file whose section {SECTION!r} to write or replace")
    args = ap.parse_args(argv)
    n = args.devices if args.devices is not None else (QUICK_DEVICES if args.quick else FULL_DEVICES)
    if n < 1:
        ap.error("--devices must be at least 1")
    if not advisory_files(args.csaf):
        log(f"bench_vulns: the shared advisories are absent: {args.csaf} holds no cisagov/<year>/*.json "
            "(they are expected in ../shared/advisories/csaf beside the project)")
        return 2
    r = run(args.csaf, n, args.seed)
    print(table(r))
    print()
    print(f"goal: {r.devices:,} devices against {r.files} advisories in < {GOAL_S:.0f} s: "
          + ("met" if r.total_s < GOAL_S else "NOT met") + f" ({r.total_s:.2f} s)")
    if args.out:
        write_section(args.out, section(r, args.seed))
        log(f"wrote the section {SECTION!r} of {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
