"""Function classes from the decoders' activity plus the mode table (docs/zones.md, "Function classes")."""

from __future__ import annotations

import pytest

from plantwarden.zones.classes import CLASSES, MODE_FUNCTIONS, function_class


@pytest.mark.parametrize(("proto", "key", "name", "cls"), [
    ("modbus", "3", "read_holding_registers", "read"),
    ("modbus", "1", "read_coils", "read"),
    ("modbus", "6", "write_single_register", "write"),
    ("modbus", "16", "write_multiple_registers", "write"),
    ("modbus", "43", "encapsulated_interface_transport", "diagnostic"),
    ("modbus", "17", "report_server_id", "diagnostic"),
    ("modbus", "90", "umas", "program"),
    ("s7comm", "4", "read_var", "read"),
    ("s7comm", "5", "write_var", "write"),
    ("s7comm", "26", "request_download", "program"),
    ("s7comm", "27", "download_block", "program"),
    ("s7comm", "29", "start_upload", "program"),
    ("s7comm", "41", "plc_stop", "mode"),
    ("s7comm", "40", "plc_control", "mode"),
    ("s7comm", "userdata/4/1", "cpu_functions/read_szl", "diagnostic"),
    ("s7comm", "userdata/1/1", "programmer_commands/x", "program"),
    ("s7comm", "userdata/7/2", "time_functions/set_clock", "write"),
    ("s7comm", "userdata/7/1", "time_functions/read_clock", "read"),
])
def test_known_functions(proto, key, name, cls):
    assert function_class(proto, key, name) == cls


@pytest.mark.parametrize(("proto", "key", "name"), [
    ("s7comm", "240", "setup_communication"),
    ("s7comm", "cotp_connect", "cotp_connect"),
    ("modbus", "99", "unknown-99"),
    ("tcp/4444", "x", "x"),
    ("s7comm", "userdata/x/y", "odd"),
])
def test_unclassified_functions_are_none(proto, key, name):
    assert function_class(proto, key, name) is None


def test_mode_table_wins_over_activity_and_uses_known_protocols():
    from plantwarden.decoders.registry import DECODERS

    names = {d.name for d in DECODERS}
    assert set(MODE_FUNCTIONS) <= names
    for proto, funcs in MODE_FUNCTIONS.items():
        for f in funcs:
            assert function_class(proto, "x", f) == "mode"
    assert CLASSES == ("read", "write", "program", "mode", "diagnostic")
