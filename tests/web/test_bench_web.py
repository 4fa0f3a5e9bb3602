"""scripts/bench_web.py (make bench) runs end to end on a tiny store and writes its section."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_quick_run_writes_its_section_and_keeps_the_rest(tmp_path: Path) -> None:
    out = tmp_path / "benchmarks.md"
    out.write_text("# Benchmarks\n\n## Throughput\nkept\n\n## Web service latency\nold\n\n## Later\nkept too\n")
    res = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench_web.py"), "--quick", "--work",
                          str(tmp_path / "w"), "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    text = out.read_text()
    assert "## Throughput\nkept" in text and "## Later\nkept too" in text and "\nold\n" not in text
    section = text.split("## Web service latency", 1)[1].split("\n## ", 1)[0]
    for route in ("`/`", "`/assets`", "`/map`", "`/api/alerts?host=IP`", "after an alert change"):
        assert route in section
    assert "| 200 |" in section
