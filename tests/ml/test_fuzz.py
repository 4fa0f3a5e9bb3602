"""Hostile input never crashes the process-value code: random event fields through the recorder and the
process.anomaly detection, random bytes and text through the historian reader."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plantwarden.core.errors import InvalidInput
from plantwarden.core.events import Event
from plantwarden.core.flow import Flow
from plantwarden.ml.historian import load_mapping, read_historian
from plantwarden.ml.series import VALUE_EVENTS, ValueRecorder, frame, guess_types

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=True),
                    st.text(max_size=20), st.binary(max_size=8).map(bytes.hex))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=6),
                                                       st.dictionaries(st.sampled_from(
                                                           ["ioa", "value", "quality", "index", "group", "indexes",
                                                            "values", "commands", "transport_size", "area",
                                                            "byte_address", "bit_address", "db_number",
                                                            "return_code"]), inner, max_size=6)), max_leaves=30)
FIELDS = st.dictionaries(st.sampled_from(["unit_id", "address", "quantity", "values", "exception_code",
                                          "read_address", "write_address", "items", "objects", "type_name",
                                          "common_address", "cause", "negative"]), VALUES, max_size=8)
NAMES = st.sampled_from(sorted(VALUE_EVENTS) + ["modbus_diagnostics_request", "weird"])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(NAMES, st.floats(0, 1e6), FIELDS), max_size=12))
def test_random_events_are_counted_or_recorded_never_a_crash(events: list[tuple[str, float, dict[str, Any]]]) -> None:
    rec = ValueRecorder(max_points=50, max_samples=8)
    fl = Flow("tcp", "10.0.0.9", 50000, "10.0.0.5", 502, 0.0, 1, 1)
    for name, ts, fields in events:
        rec.on_event("c", fl, Event(name, ts, 1, None, fields))
    for p in rec.points.values():
        assert len(p.samples_v) == len(p.samples_ts) <= 8
        assert all(isinstance(v, float) for v in p.samples_v)
    guess_types(rec.points)
    if rec.points:
        frame(rec.points, 1000.0)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=400),
                 st.text(alphabet=st.sampled_from(list("t,a;b\n\r\"0123456789.-e:TZ+ \x00é")), max_size=400)
                 .map(lambda s: s.encode("utf-8"))))
def test_random_exports_are_read_or_refused(raw: bytes) -> None:
    for mapping in (load_mapping(None), load_mapping({"timestamp": "t", "tags": {"a": {"dtype": "bool"}}})):
        try:
            f, report = read_historian(raw, mapping)
        except InvalidInput:
            continue
        assert f.values.shape == (len(f.ts), len(f.columns))
        assert report.rows == len(f.ts)
