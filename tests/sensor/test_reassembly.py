from hypothesis import given, settings
from hypothesis import strategies as st

from plantwarden.sensor.reassembly import Half, seq_diff


def data_of(pieces):
    return b"".join(p for p, _, _ in pieces if isinstance(p, bytes))


def test_in_order_and_wraparound():
    h = Half()
    h.start(0xFFFFFFFE)
    assert data_of(h.accept(0xFFFFFFFE, b"abcd", 1.0, 1)) == b"abcd"
    assert h.next_seq == 2
    assert data_of(h.accept(2, b"ef", 2.0, 2)) == b"ef"


def test_out_of_order_is_held_then_released_with_its_own_frame():
    h = Half()
    h.start(100)
    assert h.accept(104, b"efgh", 1.0, 1) == []
    pieces = h.accept(100, b"abcd", 2.0, 2)
    assert pieces == [(b"abcd", 2.0, 2), (b"efgh", 1.0, 1)]


def test_retransmission_and_overlap_deliver_only_new_bytes():
    h = Half()
    h.start(0)
    h.accept(0, b"abcd", 1, 1)
    assert h.accept(0, b"abcd", 2, 2) == []
    assert h.retransmitted == 1
    assert data_of(h.accept(2, b"cdef", 3, 3)) == b"ef"
    assert h.overlaps == 1
    assert h.pending == {}


def test_mid_stream_start_takes_first_segment():
    h = Half()
    assert data_of(h.accept(123456, b"xy", 1, 1)) == b"xy"


def test_gap_when_too_much_is_held():
    h = Half(max_pending=10)
    h.start(0)
    assert h.accept(5, b"123456", 1, 1) == []
    pieces = h.accept(11, b"789012", 2, 2)
    assert pieces[0] == (5, 2, 2)
    assert data_of(pieces) == b"123456789012"
    assert h.pending_bytes == 0


def test_skip_hole_up_to_ack_and_flush():
    h = Half()
    h.start(0)
    h.accept(10, b"later", 1, 1)
    assert h.skip_hole(2, 2, upto=10) == [(10, 2, 2), (b"later", 1, 1)]
    h.accept(20, b"x", 3, 3)
    h.accept(30, b"y", 4, 4)
    out = h.flush(5, 5)
    assert [p for p, _, _ in out] == [5, b"x", 9, b"y"]


def test_seq_diff():
    assert seq_diff(5, 0xFFFFFFFB) == 10
    assert seq_diff(0xFFFFFFFB, 5) == -10


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=1, max_size=300), st.lists(st.tuples(st.integers(0, 299), st.integers(1, 40)),
                                                     min_size=1, max_size=40), st.integers(0, 0xFFFFFFFF))
def test_any_segmentation_and_order_rebuilds_the_stream(stream, cuts, isn):
    """Segments in any order, repeated and overlapping: the stream comes out exactly once, in order."""
    h = Half()
    h.start(isn)
    segs = [(off, stream[off:off + ln]) for off, ln in cuts if off < len(stream)]
    segs.append((0, stream))  # make sure every byte is covered at least once
    got = b""
    for i, (off, data) in enumerate(segs):
        for p, _, _ in h.accept(isn + off, data, float(i), i):
            assert isinstance(p, bytes)
            got += p
    got += data_of(h.flush(0, 0))
    assert got == stream
