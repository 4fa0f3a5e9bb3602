"""The builder is a sensor sink: whatever fields a decoder emits, it must not raise."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from plantwarden.core.events import Event
from plantwarden.inventory import InventoryBuilder
from plantwarden.inventory.export import assets_document, flows_document

from .helpers import flow

scalars = st.one_of(st.none(), st.booleans(), st.sampled_from([0, 1, 2, 3, 4, 5, 7, 43, 90, 0x1A, 0x29, 0x34]), st.integers(-2**70, 2**70), st.text(max_size=20),
                    st.binary(max_size=8), st.floats(allow_nan=True))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                        st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                      max_leaves=6)
keys = st.sampled_from(["function_code", "function", "exception_code", "error_class", "identity", "umas_function",
                        "userdata_group", "userdata_subfunction", "userdata_group_name", "name", "x"])
names = st.sampled_from(["modbus_read_coils_request", "modbus_read_coils_response", "modbus_x_exception",
                         "s7comm_userdata_request", "s7comm_read_var_response", "weird", "other"])
events = st.builds(lambda n, d, o: Event(n, 1.0, 1, o, d), names, st.dictionaries(keys, values, max_size=6),
                   st.sampled_from([True, False, None]))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["modbus", "s7comm", None, ""]), events), max_size=12))
def test_builder_never_raises(items):
    b = InventoryBuilder()
    flows = {}
    for proto, ev in items:
        f = flows.get(proto)
        if f is None:
            f = flows[proto] = flow("10.0.0.1", "10.0.0.2", 502, proto, sport=40000 + len(flows))
        b.on_event("c", f, ev)
        b.on_event("c", None, ev)
    for f in flows.values():
        b.on_flow_end("c", f)
    inv = b.result()
    assets_document(inv.assets.values())
    flows_document(inv.communications.values())
