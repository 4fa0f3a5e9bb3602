"""Every event, field and weird the decoder can emit is documented in docs/protocols/modbus.md."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from modbus_bytes import adu, feed

from plantwarden.decoders.modbus import ModbusDecoder
from plantwarden.decoders.modbus import constants as C

ROOT = Path(__file__).resolve().parents[3]
DOC = (ROOT / "docs" / "protocols" / "modbus.md").read_text()
SRC = "".join((ROOT / "plantwarden" / "decoders" / "modbus" / f).read_text() for f in ("decoder.py", "messages.py"))

# one request and one response PDU per function, rich enough to reach every field
SAMPLES = [
    ("01 0000 0003", "01 01 05"), ("03 0000 0001", "03 02 0001"), ("05 0001 ff00", "05 0001 ff00"),
    ("06 0001 0002", "06 0001 0002"), ("07", "07 01"), ("08 0000 1234", "08 0000 1234"), ("0b", "0b 0000 0001"),
    ("0c", "0c 07 0000 0001 0002 20"), ("0f 0000 0003 01 05", "0f 0000 0003"),
    ("10 0000 0001 02 0001", "10 0000 0001"), ("11", "11 03 01 ff 41"),
    ("14 07 06 0001 0002 0001", "14 04 03 06 0001"), ("15 09 06 0001 0002 0001 0005", "15 09 06 0001 0002 0001 0005"),
    ("16 0001 00ff 0000", "16 0001 00ff 0000"), ("17 0000 0001 0001 0001 02 0001", "17 02 0001"),
    ("18 0001", "18 0004 0001 0007"), ("2b 0e 01 00", "2b 0e 01 01 00 00 02 00 01 41 80 01 42"),
    ("2b 0d 01", "2b 0d 02"), ("5a 00 02", "5a 00 fe 00"), ("41 00", "41 00"), ("03 0000 0001", "83 02"),
]


def _emitted() -> tuple[set[str], set[str]]:
    events, fields = set(), set()
    for i, (req, resp) in enumerate(SAMPLES):
        dec = ModbusDecoder()
        evs = feed(dec, adu(i, 1, bytes.fromhex(req)), True) + feed(dec, adu(i, 1, bytes.fromhex(resp)), False)
        for e in evs:
            assert not e.is_weird, e
            events.add(e.name)
            stack: list[Any] = [e.fields]
            while stack:
                d = stack.pop()
                for k, v in d.items():
                    if not k.startswith("0x"):
                        fields.add(k)
                    if isinstance(v, dict):
                        stack.append(v)
                    elif isinstance(v, list):
                        stack.extend(x for x in v if isinstance(x, dict))
    return events, fields


def test_every_field_is_documented() -> None:
    _, fields = _emitted()
    assert len(fields) > 40
    missing = sorted(f for f in fields if f"`{f}`" not in DOC)
    assert missing == []


def test_every_event_is_documented() -> None:
    events, _ = _emitted()
    doc_patterns = set(re.findall(r"`(modbus_[a-z_<>{},]+)`", DOC))
    for ev in events:
        fn = ev.removeprefix("modbus_").rsplit("_", 1)[0]
        assert (ev in doc_patterns or f"`{fn}`" in DOC
                or any(ev.startswith(p.split("{")[0]) for p in doc_patterns if "{" in p)), ev


def test_every_weird_is_documented() -> None:
    names = set(re.findall(r'"(modbus_[a-z_]+)"', SRC)) | {"modbus_malformed_pdu"}
    names.discard("modbus_")  # a prefix, not a name
    assert len(names) >= 12
    missing = sorted(n for n in names if f"`{n}`" not in DOC)
    assert missing == []


def test_every_function_name_is_documented() -> None:
    for name in C.FUNCTIONS.values():
        assert f"`{name}`" in DOC, name
    for name in C.EXCEPTIONS.values():
        assert f"`{name}`" in DOC, name
