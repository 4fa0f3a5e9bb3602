"""scripts/make_scale_capture.py: exact packet counts, distinct flows, consistent TCP, valid checksums."""

from __future__ import annotations

import importlib.util
import struct
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

from plantwarden.demo import generate_demo_capture
from plantwarden.demo.pcapwriter import internet_checksum

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / ".." / "shared" / "pcaps" / "bench" / "modbus-200k.pcap"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_scale_capture", ROOT / "scripts" / "make_scale_capture.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


msc = load_script()


def records(path: Path) -> list[tuple[float, bytes]]:
    data = path.read_bytes()
    assert struct.unpack_from("<I", data)[0] == 0xA1B2C3D4
    out, off = [], 24
    while off < len(data):
        sec, usec, incl, orig = struct.unpack_from("<IIII", data, off)
        assert incl == orig
        out.append((sec + usec / 1e6, data[off + 16:off + 16 + incl]))
        off += 16 + incl
    return out


def tcp_tuple(frame: bytes) -> tuple[bytes, int, bytes, int, int, int, int]:
    ihl = (frame[14] & 0x0F) * 4
    t = 14 + ihl
    sport, dport, seq, ack, _off, flags = struct.unpack_from("!HHIIBB", frame, t)
    return frame[26:30], sport, frame[30:34], dport, seq, ack, flags


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_demo_capture(tmp_path_factory.mktemp("src") / "src.pcap", seed=3)


@pytest.mark.parametrize("extra", [0, 1, 777])
def test_exact_packet_count(source: Path, tmp_path: Path, extra: int) -> None:
    n_src = len(records(source))
    total = 2 * n_src + extra
    stats = msc.build(source, tmp_path / "out.pcap", total)
    assert stats["packets"] == total == len(records(tmp_path / "out.pcap"))
    assert stats["copies"] == 2 + (1 if extra else 0)


def test_copies_are_distinct_flows_later_in_time(source: Path, tmp_path: Path) -> None:
    src = records(source)
    msc.build(source, tmp_path / "o.pcap", 3 * len(src))
    out = records(tmp_path / "o.pcap")
    times = [ts for ts, _ in out]
    assert times == sorted(times)
    src_flows = {frozenset([(a, b), (c, d)]) for a, b, c, d, *_ in map(tcp_tuple, (f for _, f in src))}
    out_flows = Counter(frozenset([(a, b), (c, d)]) for a, b, c, d, *_ in map(tcp_tuple, (f for _, f in out)))
    assert len(out_flows) == 3 * len(src_flows)
    assert not src_flows & set(out_flows)  # new addresses: no flow of the source reappears
    # each copy keeps the MACs, the TCP options and the payload of the source
    for k in range(3):
        for (_, a), (_, b) in zip(src, out[k * len(src):(k + 1) * len(src)], strict=True):
            assert a[:12] == b[:12] and a[54:] == b[54:]


def test_checksums_and_sequence_continuity(source: Path, tmp_path: Path) -> None:
    src = records(source)
    msc.build(source, tmp_path / "o.pcap", 2 * len(src) + 100)
    out = records(tmp_path / "o.pcap")
    next_seq: dict[tuple[bytes, int, bytes, int], int] = {}
    for _, frame in out:
        ip = frame[14:34]
        assert internet_checksum(ip) == 0
        total = struct.unpack_from("!H", ip, 2)[0]
        seg = frame[34:14 + total]
        assert internet_checksum(ip[12:20] + struct.pack("!BBH", 0, 6, len(seg)) + seg) == 0
        a, sp, b, dp, seq, ack, flags = tcp_tuple(frame)
        if flags & 0x04:
            continue
        key = (a, sp, b, dp)
        if key in next_seq:
            assert seq == next_seq[key]
        payload = len(seg) - (seg[12] >> 4) * 4
        next_seq[key] = (seq + payload + (1 if flags & 0x03 else 0)) & 0xFFFFFFFF
        rev = (b, dp, a, sp)
        if flags & 0x10 and rev in next_seq:
            assert ack == next_seq[rev]


def test_adjust_matches_a_full_recomputation() -> None:
    data = bytes(range(40))
    ck = internet_checksum(data)
    new = bytearray(data)
    new[4:8] = b"\xff\xfe\x00\x01"
    delta = msc._wsum(bytes(new[4:8])) - msc._wsum(data[4:8])
    assert msc._adjust(ck, delta) == internet_checksum(bytes(new))


def test_rejects_pcapng(tmp_path: Path) -> None:
    bad = tmp_path / "x.pcapng"
    bad.write_bytes(b"\x0a\x0d\x0d\x0a" + bytes(60))
    with pytest.raises(SystemExit):
        msc.build(bad, tmp_path / "o.pcap", 10)


@pytest.mark.shared
def test_bench_capture_small_n(tmp_path: Path) -> None:
    if not BENCH.exists():
        pytest.skip("../shared is absent")
    stats = msc.build(BENCH, tmp_path / "o.pcap", 1500)
    assert stats == {"packets": 1500, "copies": 1, "source_packets": 200_040}
    out = records(tmp_path / "o.pcap")
    assert {tcp_tuple(f)[0] for _, f in out} == {bytes((10, 100, 0, 1)), bytes((10, 200, 0, 1))}
    assert {tcp_tuple(f)[3] for _, f in out} >= {5020}


def test_cli(source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert msc.main(["--src", str(source), "--packets", "10", "--out", str(tmp_path / "c.pcap")]) == 0
    assert len(records(tmp_path / "c.pcap")) == 10
    assert "10 packets, 1 copies" in capsys.readouterr().out
