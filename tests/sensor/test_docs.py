"""Every weird the sensor can emit is documented in docs/event-log.md."""

import re

from ..conftest import ROOT


def test_every_sensor_weird_is_documented():
    doc = (ROOT / "docs" / "event-log.md").read_text()
    src = "".join(p.read_text() for p in (ROOT / "plantwarden" / "sensor").glob("*.py"))
    names = set(re.findall(r'(?:on_weird|_weird\(out,|weird)\(\s*"([a-z0-9_]+)"', src))
    names |= set(re.findall(r'return "([a-z0-9_]+)"', src)) - {"pcap", "pcapng"}  # dissect() returns weird names
    assert len(names) > 15
    missing = sorted(n for n in names if f"`{n}`" not in doc)
    assert not missing, f"undocumented weirds: {missing}"
