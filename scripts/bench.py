#!/usr/bin/env python3
"""Benchmark ``plantwarden analyze`` against tshark and write docs/benchmarks.md.

    make bench          # = .venv/bin/python scripts/bench.py --out docs/benchmarks.md

In one run, on the bench capture (../shared/pcaps/bench/modbus-200k.pcap by default):

1. ``plantwarden analyze CAPTURE --db <temp sqlite>`` in a child process, best of ``--runs`` wall
   times (interpreter start-up, imports, SHA-256 of the file and the store write included), with every
   decoder registered and with ``--decoders modbus`` (the cost of the other decoders being there).
2. ``tshark -n -r CAPTURE -d tcp.port==5020,mbtcp -Y modbus -T fields -e modbus.func_code``, best of
   ``--runs`` (its start-up included too); packets/s of both and their ratio.
3. A cProfile of one analyze run: the top functions by cumulative and by own time.
4. Peak RSS (``wait4`` of the child) of analyze on 1M and 5M packets, captures built by
   scripts/make_scale_capture.py in a temporary directory that is deleted afterwards.

Timings are wall-clock seconds on whatever machine runs it; the report records the machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import os
import platform
import pstats
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CAPTURE = ROOT / ".." / "shared" / "pcaps" / "bench" / "modbus-200k.pcap"
CLI = "import sys; from plantwarden.cli.main import main; sys.argv[0] = 'plantwarden'; main()"
PROFILE = """
import cProfile, sys
from plantwarden.cli.main import main
out = sys.argv.pop(1)
sys.argv[0] = 'plantwarden'
prof = cProfile.Profile()
prof.enable()
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
prof.disable()
prof.dump_stats(out)
sys.exit(code)
"""
STARTUP_PACKETS = 100
MODBUS_ONLY = ("--decoders", "modbus")
NO_DETECTIONS = ("--detections", "none")
TSHARK_ARGS = ["-n", "-r", "{capture}", "-d", "tcp.port==5020,mbtcp", "-Y", "modbus", "-T", "fields",
               "-e", "modbus.func_code"]


@dataclass(slots=True)
class Run:
    wall: float  # seconds
    maxrss_kib: int
    cpu: float  # user + system seconds of the child


def run_child(cmd: list[str], stdout_path: Path | None = None, cwd: Path | None = None) -> Run:
    """Run ``cmd``; wall time, peak RSS and CPU time of that child alone (``os.wait4``)."""
    with tempfile.TemporaryFile() as err, \
            (open(stdout_path, "wb") if stdout_path else open(os.devnull, "wb")) as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err.read().decode(errors='replace')}")
    return Run(wall, usage.ru_maxrss, usage.ru_utime + usage.ru_stime)


def count_packets(path: Path) -> int:
    """Records in a classic pcap file (header walk, no decoding)."""
    with open(path, "rb") as fh:
        head = fh.read(24)
        order = "<" if head[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
        rec = struct.Struct(order + "IIII")
        n = 0
        while True:
            hdr = fh.read(16)
            if len(hdr) < 16:
                return n
            fh.seek(rec.unpack(hdr)[2], os.SEEK_CUR)
            n += 1


def analyze_cmd(python: str, capture: Path, db: Path, code: str = CLI, extra: tuple[str, ...] = ()) -> list[str]:
    return [python, "-c", code, "analyze", str(capture), "--db", str(db), *extra]


def train_model(python: str, capture: Path, tmp: Path) -> tuple[Path, int]:
    """A process model of the capture's varying values (``plantwarden ml train``): its path and points."""
    model = tmp / "process-model.npz"
    out = tmp / "train.out"
    run_child([python, "-c", CLI, "ml", "train", str(capture), "--model", str(model)], out, cwd=ROOT)
    points = sum(1 for line in out.read_text().splitlines()
                 if line.startswith("  ") and not line.startswith(("  (", "  rule:")))
    return model, points


def best(runs: list[Run]) -> Run:
    return min(runs, key=lambda r: r.wall)


def bench_analyze(python: str, capture: Path, n: int, tmp: Path, extra: tuple[str, ...] = ()) -> list[Run]:
    runs = []
    for i in range(n):
        db = tmp / f"bench-{i}.db"
        runs.append(run_child(analyze_cmd(python, capture, db, extra=extra), cwd=ROOT))
        db.unlink(missing_ok=True)
    return runs


def bench_tshark(tshark: str, capture: Path, n: int, tmp: Path) -> tuple[list[Run], int]:
    """Runs of the tshark field extraction and the number of lines it printed (frames matched)."""
    runs, lines = [], 0
    out = tmp / "tshark.out"
    for _ in range(n):
        runs.append(run_child([tshark] + [a.format(capture=capture) for a in TSHARK_ARGS], out))
        with open(out, "rb") as fh:
            lines = sum(1 for _ in fh)
    return runs, lines


def profile_analyze(python: str, capture: Path, tmp: Path) -> pstats.Stats:
    out = tmp / "analyze.prof"
    cmd = analyze_cmd(python, capture, tmp / "profile.db", PROFILE)
    cmd.insert(3, str(out))  # the profile path is argv[1] of the profiling snippet
    run_child(cmd, cwd=ROOT)
    return pstats.Stats(str(out))


def _where(filename: str, line: int, func: str) -> str:
    path = filename
    for prefix in (str(ROOT) + os.sep, sys.prefix + os.sep, sys.base_prefix + os.sep):
        if path.startswith(prefix):
            path = path[len(prefix):]
            break
    if "site-packages" in path:
        path = path.split("site-packages" + os.sep, 1)[1]
    if filename == "~":
        return func
    return f"{path}:{line}({func})"


def profile_table(stats: pstats.Stats, key: str, top: int = 20, skip: tuple[str, ...] = ()) -> str:
    """Markdown table of the ``top`` functions by ``key`` ("cumulative" or "tottime"), leaving out
    functions whose location starts with one of ``skip``."""
    rows = []
    for (filename, line, func), (cc, nc, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        where = _where(filename, line, func)
        if where.startswith(skip):
            continue
        rows.append((ct if key == "cumulative" else tt, nc, cc, tt, ct, where))
    rows.sort(key=lambda r: -r[0])
    out = ["| calls | own s | cumulative s | function |", "|---:|---:|---:|---|"]
    for _, nc, cc, tt, ct, where in rows[:top]:
        calls = f"{nc}/{cc}" if nc != cc else f"{nc}"
        out.append(f"| {calls} | {tt:.3f} | {ct:.3f} | `{where}` |")
    return "\n".join(out)


def load_scale_builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_scale_capture", ROOT / "scripts" / "make_scale_capture.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def machine_info(python: str, tshark: str | None) -> list[tuple[str, str]]:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    pyver = subprocess.run([python, "-c", "import sys; print(sys.version.split()[0])"], capture_output=True,
                           text=True).stdout.strip()
    pwver = subprocess.run([python, "-c", "import plantwarden; print(plantwarden.__version__)"],
                           capture_output=True, text=True, cwd=ROOT).stdout.strip()
    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                         cwd=ROOT).stdout.strip() or "?"
    tver = "not installed"
    if tshark:
        tver = subprocess.run([tshark, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return [
        ("date (UTC)", dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M")),
        ("load average before the run (1, 5, 15 min)", load),
        ("machine", f"{platform.system()} {platform.release()} {platform.machine()}"),
        ("CPU", f"{cpu}, {os.cpu_count()} logical cores (all runs single-threaded)"),
        ("memory", mem),
        ("Python", pyver),
        ("plantwarden", f"{pwver} (git {rev})"),
        ("tshark", tver),
    ]


def fmt_rate(packets: int, seconds: float) -> str:
    return f"{packets / seconds:,.0f}" if seconds > 0 else "-"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Benchmark plantwarden analyze against tshark.")
    ap.add_argument("--out", type=Path, help="write the Markdown report here (else print it)")
    ap.add_argument("--capture", type=Path, default=DEFAULT_CAPTURE, help="classic pcap to time")
    ap.add_argument("--runs", type=int, default=3, help="runs per tool; the best wall time counts")
    ap.add_argument("--sizes", default="1000000,5000000",
                    help="packet counts of the scale captures (comma separated; empty: skip)")
    ap.add_argument("--python", default=sys.executable, help="interpreter that runs plantwarden")
    args = ap.parse_args(argv)
    capture = args.capture.resolve()
    if not capture.exists():
        raise SystemExit(f"{capture} is missing: the benchmark needs ../shared/pcaps (see its README)")
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    tshark = shutil.which("tshark")
    packets = count_packets(capture)
    info = machine_info(args.python, tshark)
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731

    with tempfile.TemporaryDirectory(prefix="plantwarden-bench-") as tmpname:
        tmp = Path(tmpname)
        log(f"analyze x{args.runs} on {capture.name} ({packets} packets)")
        a_runs = bench_analyze(args.python, capture, args.runs, tmp)
        log(f"analyze --decoders modbus x{args.runs}")
        m_runs = bench_analyze(args.python, capture, args.runs, tmp, MODBUS_ONLY)
        log(f"analyze --detections none x{args.runs}")
        n_runs = bench_analyze(args.python, capture, args.runs, tmp, NO_DETECTIONS)
        log("ml train (a process model of every varying value of the capture)")
        model, points = train_model(args.python, capture, tmp)
        log(f"analyze --process-model ({points} points) x{args.runs}")
        p_runs = bench_analyze(args.python, capture, args.runs, tmp, ("--process-model", str(model)))
        t_runs: list[Run] = []
        t_lines = 0
        if tshark:
            log(f"tshark x{args.runs}")
            t_runs, t_lines = bench_tshark(tshark, capture, args.runs, tmp)
        log("cProfile")
        stats = profile_analyze(args.python, capture, tmp)
        builder = load_scale_builder()
        tiny = tmp / "startup.pcap"
        builder.build(capture, tiny, STARTUP_PACKETS)
        n_start = max(args.runs, 5)  # cheap, and the noisiest number: more runs
        log(f"start-up: analyze and tshark x{n_start} on {STARTUP_PACKETS} packets")
        a_start = best(bench_analyze(args.python, tiny, n_start, tmp))
        t_start = best(bench_tshark(tshark, tiny, n_start, tmp)[0]) if tshark else None
        scale: list[tuple[int, Run]] = []
        if sizes:
            for n in sizes:
                big = tmp / f"scale-{n}.pcap"
                log(f"building {n} packets")
                builder.build(capture, big, n)
                log(f"analyze on {n} packets")
                scale.append((n, run_child(analyze_cmd(args.python, big, tmp / f"scale-{n}.db"), cwd=ROOT)))
                big.unlink()

    report = render(Results(capture, packets, args.runs, a_runs, m_runs, n_runs, t_runs, t_lines, a_start, t_start,
                            stats, scale, info, p_runs, points), argv)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report)
        log(f"wrote {args.out}")
    else:
        print(report)
    return 0


@dataclass(slots=True)
class Results:
    capture: Path
    packets: int
    runs: int
    a_runs: list[Run]
    m_runs: list[Run]  # analyze --decoders modbus
    n_runs: list[Run]  # analyze --detections none
    t_runs: list[Run]
    t_lines: int
    a_start: Run  # best run on the start-up capture
    t_start: Run | None
    stats: pstats.Stats
    scale: list[tuple[int, Run]]
    info: list[tuple[str, str]]
    p_runs: list[Run] = field(default_factory=list)  # analyze --process-model
    p_points: int = 0  # points of that model


def _net_rate(packets: int, run: Run, start: Run | None) -> str:
    if start is None or run.wall <= start.wall:
        return "-"
    return fmt_rate(packets - STARTUP_PACKETS, run.wall - start.wall)


def render(res: Results, argv: list[str] | None) -> str:
    capture, packets, runs, a_runs, t_runs = res.capture, res.packets, res.runs, res.a_runs, res.t_runs
    t_lines, stats, scale, info = res.t_lines, res.stats, res.scale, res.info
    a, m, nd = best(a_runs), best(res.m_runs), best(res.n_runs)
    what = "`plantwarden analyze CAPTURE --db <temp sqlite>`"
    lines = [
        "# Benchmarks",
        "",
        "Generated by `make bench`, i.e. `.venv/bin/python scripts/bench.py --out docs/benchmarks.md`"
        + (f" (this run: `scripts/bench.py {' '.join(argv)}`)" if argv else "") + ". Do not edit by hand:",
        "run it again. Every time is the wall time of a child process, best of "
        f"{runs} runs, single-threaded. Both tools' times include their start-up; plantwarden's also "
        "includes hashing the file (SHA-256), building the inventory and writing the SQLite store.",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in info],
        "",
        f"## Throughput on `{capture.name}` ({packets:,} packets)",
        "",
        f"`start-up s` is the best of at least 5 runs on the first {STARTUP_PACKETS} packets of the same capture; "
        "`packets/s after start-up` divides the remaining packets by the remaining time.",
        "",
        "| tool | command | best s | runs s | packets/s | start-up s | packets/s after start-up | peak RSS MiB |",
        "|---|---|---:|---|---:|---:|---:|---:|",
        f"| plantwarden | {what} | {a.wall:.2f} | {', '.join(f'{r.wall:.2f}' for r in a_runs)} | "
        f"{fmt_rate(packets, a.wall)} | {res.a_start.wall:.2f} | {_net_rate(packets, a, res.a_start)} | "
        f"{a.maxrss_kib / 1024:.0f} |",
        f"| plantwarden, Modbus decoder only | {what[:-1]} --decoders modbus` | {m.wall:.2f} | "
        f"{', '.join(f'{r.wall:.2f}' for r in res.m_runs)} | {fmt_rate(packets, m.wall)} | - | "
        f"{_net_rate(packets, m, res.a_start)} | {m.maxrss_kib / 1024:.0f} |",
        f"| plantwarden, no detections | {what[:-1]} --detections none` | {nd.wall:.2f} | "
        f"{', '.join(f'{r.wall:.2f}' for r in res.n_runs)} | {fmt_rate(packets, nd.wall)} | - | "
        f"{_net_rate(packets, nd, res.a_start)} | {nd.maxrss_kib / 1024:.0f} |",
    ]
    if res.p_runs:
        pm = best(res.p_runs)
        lines.append(
            f"| plantwarden, with a process model of {res.p_points} points | {what[:-1]} --process-model MODEL` | "
            f"{pm.wall:.2f} | {', '.join(f'{r.wall:.2f}' for r in res.p_runs)} | {fmt_rate(packets, pm.wall)} | - | "
            f"{_net_rate(packets, pm, res.a_start)} | {pm.maxrss_kib / 1024:.0f} |")
    if t_runs:
        t = best(t_runs)
        t_start = f"{res.t_start.wall:.2f}" if res.t_start else "-"
        lines.append(f"| tshark | `tshark {' '.join(TSHARK_ARGS).replace('{capture}', 'CAPTURE')}` | {t.wall:.2f} | "
                     f"{', '.join(f'{r.wall:.2f}' for r in t_runs)} | {fmt_rate(packets, t.wall)} | {t_start} | "
                     f"{_net_rate(packets, t, res.t_start)} | {t.maxrss_kib / 1024:.0f} |")
        lines += ["", f"plantwarden / tshark throughput ratio: **{t.wall / a.wall:.1f}x** "
                  f"(tshark printed {t_lines:,} Modbus frames)."]
    else:
        lines += ["", "tshark is not installed: no comparison."]
    lines += ["", f"With every decoder registered, analyze runs at **{100 * m.wall / a.wall:.0f} %** of its "
              "speed with the Modbus decoder alone (best runs; the goal is at least 90 %).",
              "", f"With every detection on, analyze runs at **{100 * nd.wall / a.wall:.0f} %** of its speed "
              "without detections (best runs; the goal is at least 80 %)."]
    if scale:
        lines += [
            "",
            "## Scale: peak memory",
            "",
            f"Captures built by `scripts/make_scale_capture.py` from `{capture.name}` (copies shifted in time, "
            "addresses, client ports and TCP sequence numbers: distinct flows), one run each.",
            "",
            "| packets | wall s | packets/s | CPU s | peak RSS MiB |",
            "|---:|---:|---:|---:|---:|",
            *[f"| {n:,} | {r.wall:.2f} | {fmt_rate(n, r.wall)} | {r.cpu:.2f} | {r.maxrss_kib / 1024:.0f} |"
              for n, r in scale],
        ]
    total = getattr(stats, "total_tt", 0.0)
    lines += [
        "",
        "## Profile of one analyze run",
        "",
        f"cProfile (which slows the run down; {total:.2f} s profiled). Top 20 by cumulative time "
        "(click's dispatch and the import machinery left out):",
        "",
        profile_table(stats, "cumulative", skip=("click/", "<frozen importlib", "<built-in method builtins.exec",
                                                 "<built-in method builtins.__import__")),
        "",
        "Top 20 by own time:",
        "",
        profile_table(stats, "tottime"),
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
