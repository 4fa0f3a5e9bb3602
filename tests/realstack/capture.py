"""Record real protocol stacks talking on the loopback interface with Debian's tcpdump.

Used by the tests that decode traffic of real PLC/HMI software (pymodbus, python-snap7) instead of
hand-made bytes. Needs root (tcpdump on lo, port 102); skips without it, except in CI.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..conftest import IN_CI, need_tool


def need_root() -> None:
    if os.geteuid() != 0:
        if IN_CI:
            pytest.fail("CI runs as root; the real-stack capture tests need it")
        pytest.skip("capturing on the loopback interface needs root")


def free_port() -> int:
    """A free TCP port that no decoder claims, below the kernel's ephemeral range (32768-60999 on
    Linux), so that no client connection of a test running beside this one can take it as its source
    port and slip into the capture filter ``tcp port N``."""
    from plantwarden.decoders.registry import DECODERS

    claimed = {p for d in DECODERS for p in d.default_ports}  # the tests want a port no decoder claims
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(20000, 32000)
        if port in claimed:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port between 20000 and 32000")


def _settle(path: Path, quiet: float = 0.4, limit: float = 5.0) -> None:
    """Wait until tcpdump has written the last packets: the file has not grown for ``quiet`` seconds
    (a fixed pause lost the last packets when CI's two workers loaded the machine)."""
    deadline = time.monotonic() + limit
    size, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        now = path.stat().st_size if path.exists() else 0
        if now != size:
            size, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return
        time.sleep(0.05)


@contextlib.contextmanager
def tcpdump(path: Path, bpf: str) -> Iterator[Path]:
    """Capture loopback traffic matching ``bpf`` into ``path`` while the block runs."""
    need_root()
    exe = need_tool("tcpdump")
    # a 64 MiB kernel buffer: with the suite's two workers loading the machine, the default 2 MiB could
    # overflow and lose packets (a lost segment then shows as a weird)
    with running_capture([exe, "-i", "lo", "--immediate-mode", "-U", "-B", "65536", "-n", "-s", "0", "-w", str(path),
                          bpf], path):
        yield path


@contextlib.contextmanager
def running_capture(argv: list[str], path: Path) -> Iterator[Path]:
    """Run a tcpdump command line (``argv``, maybe behind ``ip netns exec``) while the block runs: wait
    for it to listen, and at the end for the file to settle, then stop it with SIGINT.

    ``--immediate-mode`` belongs in ``argv``: without it packets wait in kernel blocks that the SIGINT
    throws away."""
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        deadline = time.monotonic() + 15
        line = ""
        while time.monotonic() < deadline:  # tcpdump says so once it is capturing ("data link type" first
            line = proc.stderr.readline()   # with -i any)
            if "listening on" in line or not line:
                break
        if "listening on" not in line:
            raise RuntimeError(f"tcpdump did not start: {line!r}")
        time.sleep(0.5)  # the filter is attached just after the banner
        yield path
        _settle(path)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def server_process(script: Path, *args: str, ready_port: int, timeout: float = 20) -> Iterator[subprocess.Popen[str]]:
    """Run a server script in a subprocess until the block ends; wait until its port accepts."""
    proc = subprocess.Popen([sys.executable, str(script), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                out = proc.stdout.read() if proc.stdout else ""
                raise RuntimeError(f"{script.name} exited early: {out[-2000:]}")
            with socket.socket() as s:
                s.settimeout(0.2)
                if s.connect_ex(("127.0.0.1", ready_port)) == 0:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{script.name} did not listen on {ready_port}")
            time.sleep(0.1)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
