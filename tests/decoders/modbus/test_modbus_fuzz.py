"""Hypothesis: feed/gap/finish with arbitrary bytes and splits never raise and return Events."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st
from modbus_bytes import adu

from plantwarden.core.events import Event
from plantwarden.decoders.modbus import ModbusDecoder

# mostly well-formed ADUs with arbitrary PDUs (so the PDU parsers are reached), some raw junk
pdus = st.tuples(st.integers(0, 0xFFFF), st.integers(0, 255), st.binary(min_size=0, max_size=260)).map(
    lambda t: adu(t[0], t[1], t[2]))
chunks = st.one_of(pdus, pdus.map(lambda b: b[: len(b) // 2]), st.binary(max_size=64))
#: ADUs whose framing is valid (a PDU of 1 to 253 bytes): how a stream is cut cannot change their decoding
framed = st.tuples(st.integers(0, 0xFFFF), st.integers(0, 255), st.binary(min_size=1, max_size=253)).map(
    lambda t: adu(t[0], t[1], t[2]))
ops = st.lists(
    st.one_of(
        st.tuples(st.just("feed"), st.booleans(), chunks),
        st.tuples(st.just("gap"), st.booleans(), st.integers(1, 5000).map(lambda n: n.to_bytes(2, "big"))),
    ),
    max_size=40,
)


def _check(events: object) -> None:
    assert isinstance(events, list)
    for e in events:
        assert isinstance(e, Event)
        json.dumps(e.fields)


@settings(max_examples=400, deadline=None)
@given(ops)
def test_never_raises(seq: list[tuple[str, bool, bytes]]) -> None:
    dec = ModbusDecoder()
    for i, (op, is_orig, data) in enumerate(seq):
        if op == "feed":
            _check(dec.feed(data, is_orig, float(i), i + 1))
        else:
            _check(dec.gap(int.from_bytes(data, "big"), is_orig, float(i), i + 1))
    _check(dec.finish(99.0, 99))


@settings(max_examples=300, deadline=None)
@given(st.lists(framed, min_size=1, max_size=8), st.lists(st.integers(1, 300), max_size=10), st.booleans())
def test_splits_do_not_change_the_result(adus: list[bytes], cuts: list[int], is_orig: bool) -> None:
    stream = b"".join(adus)
    whole = ModbusDecoder()
    expected = [(e.name, e.fields) for e in whole.feed(stream, is_orig, 1.0, 1)]
    split = ModbusDecoder()
    got = []
    pos = 0
    for c in cuts:
        got += split.feed(stream[pos:pos + c], is_orig, 1.0, 1)
        pos += c
    got += split.feed(stream[pos:], is_orig, 1.0, 1)
    assert [(e.name, e.fields) for e in got] == expected


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300), st.booleans())
def test_probe_is_bounded(data: bytes, is_orig: bool) -> None:
    p = ModbusDecoder.probe(data, is_orig)
    assert p == -1.0 or 0.0 <= p <= 1.0
