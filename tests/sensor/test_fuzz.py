"""Hypothesis: no input makes the readers, the dissector or the sensor raise."""

import io
import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plantwarden.core.errors import NotACaptureError
from plantwarden.sensor.packet import dissect
from plantwarden.sensor.pipeline import Sensor
from plantwarden.sensor.readers import read_capture

from .frames import ether, ipv4, pcap, pcapng, tcp

PCAP_HEAD = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
SEED_FRAME = ether(ipv4("10.0.0.1", "10.0.0.2", 6, tcp(1234, 502, 1, payload=b"\x00\x01\x00\x00\x00\x06\x01\x03\x00\x00\x00\x01")))


def drain(data: bytes) -> int:
    weirds = []
    try:
        return sum(1 for _ in read_capture(io.BytesIO(data), lambda *a: weirds.append(a)))
    except NotACaptureError:
        return -1


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=600))
def test_pcap_reader_never_raises(tail):
    drain(PCAP_HEAD + tail)
    drain(b"\x0a\x0d\x0d\x0a" + tail)
    drain(tail)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 400), st.binary(min_size=1, max_size=8))
def test_corrupted_pcapng_never_raises(pos, junk):
    good = pcapng([(1, 6), (113, None)], [(0, 10, SEED_FRAME), (1, 20, b"\x00" * 16 + SEED_FRAME[14:])])
    pos %= len(good)
    drain(good[:pos] + junk + good[pos + len(junk):])


@settings(max_examples=500, deadline=None)
@given(st.sampled_from([0, 1, 12, 101, 108, 113, 228, 229, 276, 195]), st.binary(max_size=200),
       st.integers(0, 2000))
def test_dissect_never_raises(linktype, data, orig_len):
    dissect(linktype, data, orig_len)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 70), st.binary(min_size=1, max_size=4)), max_size=6))
def test_mutated_frames_through_the_whole_sensor_never_raise(tmp_path_factory, mutations):
    """Real decoders included: a frame with corrupted bytes anywhere is a weird, not a crash."""
    frames = []
    for pos, junk in mutations:
        f = bytearray(SEED_FRAME)
        f[pos:pos + len(junk)] = junk
        frames.append((1.0, bytes(f)))
    frames.append((2.0, SEED_FRAME))
    p = tmp_path_factory.mktemp("fz") / "f.pcap"
    p.write_bytes(pcap(frames))
    s = Sensor()
    for _ in s.iter_batches(p):
        pass
    assert s.stats["packets"] == len(frames)

