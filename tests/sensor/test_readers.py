import io

import pytest

from plantwarden.core.errors import NotACaptureError
from plantwarden.sensor.readers import read_capture

from .frames import ether, ipv4, pcap, pcapng, tcp


def records(data: bytes):
    weirds = []
    recs = list(read_capture(io.BytesIO(data), lambda n, f, d: weirds.append((n, f))))
    return recs, weirds


FRAME = ether(ipv4("10.0.0.1", "10.0.0.2", 6, tcp(1234, 502, 1, payload=b"x")))


@pytest.mark.parametrize("endian", ["<", ">"])
@pytest.mark.parametrize("nano", [False, True])
def test_pcap_byte_orders_and_resolutions(endian, nano):
    recs, weirds = records(pcap([(1.5, FRAME), (2.25, FRAME[:30])], endian=endian, nano=nano))
    assert weirds == []
    assert [(r[0], r[1], r[2], r[3]) for r in recs] == [(1.5, 1, FRAME, len(FRAME)), (2.25, 1, FRAME[:30], 30)]


def test_pcap_cut_mid_record_is_a_weird_and_keeps_earlier_records():
    data = pcap([(1.0, FRAME), (2.0, FRAME)])
    recs, weirds = records(data[:-5])
    assert len(recs) == 1
    assert weirds == [("truncated_capture_file", 2)]


def test_pcap_cut_mid_header():
    data = pcap([(1.0, FRAME)]) + b"\x01\x02\x03"
    recs, weirds = records(data)
    assert len(recs) == 1 and weirds == [("truncated_capture_file", 2)]


def test_garbage_record_length_stops_with_a_weird():
    data = pcap([(1.0, FRAME)]) + b"\xff" * 40
    recs, weirds = records(data)
    assert len(recs) == 1 and weirds[0][0] == "bad_record_length"


def test_not_a_capture():
    with pytest.raises(NotACaptureError, match="not a pcap or pcapng"):
        records(b"GIF89a this is an image")
    with pytest.raises(NotACaptureError):
        records(b"")


def test_records_across_chunk_boundaries(monkeypatch):
    import plantwarden.sensor.readers as r
    monkeypatch.setattr(r, "CHUNK", 7)
    frames = [(float(i), FRAME + bytes([i])) for i in range(50)]
    recs, weirds = records(pcap(frames))
    assert weirds == [] and [x[2] for x in recs] == [f for _, f in frames]


def test_pcapng_interfaces_resolutions_and_simple_blocks():
    data = pcapng([(1, None), (0, 9)], [(0, 1_500_000, FRAME), (1, 2_000_000_000, b"\x02\x00\x00\x00xx")],
                  simple=[FRAME])
    recs, weirds = records(data)
    assert weirds == []
    assert recs[0][:2] == (1.5, 1)
    assert recs[1][:2] == (2.0, 0)
    assert recs[2][1:3] == (1, FRAME)  # simple packet block: interface 0


def test_pcapng_truncated_block():
    data = pcapng([(1, None)], [(0, 1, FRAME), (0, 2, FRAME)])
    recs, weirds = records(data[:-10])
    assert len(recs) == 1 and weirds[0][0] == "truncated_capture_file"


def test_pcapng_big_endian_section():
    import struct
    body = struct.pack(">IHHq", 0x1A2B3C4D, 1, 0, -1)
    shb = struct.pack(">II", 0x0A0D0D0A, len(body) + 12) + body + struct.pack(">I", len(body) + 12)
    idb_body = struct.pack(">HHI", 1, 0, 65535)
    idb = struct.pack(">II", 1, 20) + idb_body + struct.pack(">I", 20)
    pad = FRAME + b"\x00" * (-len(FRAME) % 4)
    epb_body = struct.pack(">IIIII", 0, 0, 3_000_000, len(FRAME), len(FRAME)) + pad
    epb = struct.pack(">II", 6, len(epb_body) + 12) + epb_body + struct.pack(">I", len(epb_body) + 12)
    recs, weirds = records(shb + idb + epb)
    assert weirds == [] and recs == [(3.0, 1, FRAME, len(FRAME))]
