"""docs/function-classes.md is what scripts/class_table.py writes, and places the functions that matter
in the right class."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from ..conftest import ROOT


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("class_table", ROOT / "scripts" / "class_table.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["class_table"] = mod
    spec.loader.exec_module(mod)
    return mod


def test_the_doc_is_current(script) -> None:
    assert (ROOT / "docs" / "function-classes.md").read_text() == script.render(), \
        "docs/function-classes.md is stale: run python scripts/class_table.py"


def test_every_listed_function_has_one_row(script) -> None:
    text = script.render()
    for proto, items in script.entries().items():
        section = text.split(f"## {proto}\n", 1)[1].split("\n## ", 1)[0]
        for code, name, _ in items:
            cell = f"`{name}` ({code})" if code != name else f"`{name}`"
            rows = [line for line in section.splitlines() if line.startswith("| ") and cell in line.split(" | ", 1)[1]]
            assert len(rows) == 1, (proto, name, rows)


@pytest.mark.parametrize(("proto", "name", "cls"), [
    ("modbus", "write_single_register", "write"), ("modbus", "write_multiple_coils", "write"),
    ("modbus", "encapsulated_interface_transport", "diagnostic"), ("modbus", "read_holding_registers", "read"),
    ("s7comm", "plc_stop", "mode"), ("s7comm", "download_block", "program"), ("s7comm", "write_var", "write"),
    ("dnp3", "cold_restart", "mode"), ("dnp3", "direct_operate", "write"), ("dnp3", "read", "read"),
    ("iec104", "C_SC_NA_1", "write"), ("iec104", "C_RP_NA_1", "mode"), ("iec104", "C_IC_NA_1", "read"),
    ("enip", "reset", "mode"), ("enip", "set_attribute_single", "write"), ("enip", "list_identity", "diagnostic"),
    ("bacnet", "reinitialize_device", "mode"), ("bacnet", "write_property", "write"),
    ("bacnet", "read_property", "read"), ("bacnet", "who_is", "diagnostic"),
    ("opcua", "write", "write"), ("opcua", "read", "read"), ("opcua", "call", "write"),
    ("opcua", "get_endpoints", "diagnostic"), ("hartip", "perform_device_reset", "mode"),
    ("fins", "stop", "mode"), ("slmp", "remote_reset", "mode"), ("ads", "write_control", "mode"),
])
def test_spot_checks(script, proto, name, cls) -> None:
    fields = next(f for _, n, f in script.entries()[proto] if n == name)
    assert script.classify(proto, name, fields) == cls
