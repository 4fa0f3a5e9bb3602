"""What a request event means for the baseline: its function and the addresses it writes.

``function_of`` names a request by its event name without the protocol prefix and ``_request``
suffix, refined where one event name covers several commands (Modbus UMAS sub-function and
diagnostics sub-function, S7 user-data sub-function, CIP services the decoder does not name).
``write_targets`` lists the (address space, low, high) ranges a write request touches, for the
protocols whose addresses the decoders give: Modbus coils and holding registers per unit id, S7comm
write-var areas and data blocks (byte offsets), DNP3 object groups (point indexes), IEC 104 command
types (information object addresses) and CIP set-attribute services (class, instance).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_MODBUS_WRITES = {
    "modbus_write_single_coil_request": "coils",
    "modbus_write_multiple_coils_request": "coils",
    "modbus_write_single_register_request": "holding",
    "modbus_write_multiple_registers_request": "holding",
    "modbus_mask_write_register_request": "holding",
    "modbus_read_write_multiple_registers_request": "holding",
}
_DNP3_WRITES = frozenset({"dnp3_write_request", "dnp3_select_request", "dnp3_operate_request",
                          "dnp3_direct_operate_request", "dnp3_direct_operate_no_ack_request"})
#: IEC 104 command types that write: single/double/regulating step commands, set-points, bitstrings
_IEC104_WRITES = frozenset({"c_sc", "c_dc", "c_rc", "c_se", "c_bo"})
_CIP_SETS = frozenset({"enip_set_attribute_single_request", "enip_set_attribute_list_request",
                       "enip_set_attribute_all_request"})


#: event names whose function depends on their fields (the others are memoised in ``_PLAIN``)
_REFINED = frozenset({"modbus_umas_request", "modbus_diagnostics_request", "s7comm_userdata_request"})
_PLAIN: dict[str, str] = {}


def function_of(name: str, proto: str, fields: Mapping[str, Any]) -> str:
    """The request's function as the baseline keeps it, e.g. ``write_single_register`` or ``umas/65``."""
    fn = _PLAIN.get(name)
    if fn is not None:
        return fn
    fn = _function_of(name, proto, fields)
    if name not in _REFINED and not fn.startswith("unknown") and len(_PLAIN) < 10_000:
        _PLAIN[name] = fn
    return fn


def _function_of(name: str, proto: str, fields: Mapping[str, Any]) -> str:
    fn = name[len(proto) + 1:] if name.startswith(proto + "_") else name
    if fn.endswith("_request"):
        fn = fn[:-8]
    if "umas_function" in fields:
        return f"{fn}/{fields['umas_function']}"
    if name == "modbus_diagnostics_request":
        return f"{fn}/{fields.get('subfunction')}"
    sub = fields.get("userdata_subfunction_name")
    if sub is not None:
        return f"{fn}/{fields.get('userdata_group_name', fields.get('userdata_group'))}/{sub}"
    if fn.startswith("unknown") and isinstance(fields.get("service_code"), int):
        return f"{fn}/0x{fields['service_code']:02x}"
    return fn


def _int(v: Any) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def write_targets(name: str, fields: Mapping[str, Any]) -> list[tuple[str, int, int]]:
    """The (space, low, high) address ranges a write request touches; empty when it writes none we know."""
    space = _MODBUS_WRITES.get(name)
    if space is not None:
        unit = _int(fields.get("unit_id"))
        if name == "modbus_read_write_multiple_registers_request":
            addr, qty = _int(fields.get("write_address")), _int(fields.get("write_quantity"))
        else:
            addr, qty = _int(fields.get("address")), _int(fields.get("quantity"))
        if addr is None or unit is None:
            return []
        return [(f"unit{unit}/{space}", addr, addr + max(qty or 1, 1) - 1)]
    if name == "s7comm_write_var_request":
        out = []
        for it in fields.get("items") or ():
            area, start, length = it.get("area"), _int(it.get("byte_address")), _int(it.get("length"))
            if area is None or start is None:
                continue
            sp = f"db{it.get('db_number')}" if area == "db" else str(area)
            out.append((sp, start, start + max(length or 1, 1) - 1))
        return out
    if name in _DNP3_WRITES:
        out = []
        for obj in fields.get("objects") or ():
            idx = [i for i in obj.get("indexes") or () if isinstance(i, int)]
            if idx and obj.get("group") is not None:
                out.append((f"g{obj['group']}", min(idx), max(idx)))
        return out
    if name[7:11] in _IEC104_WRITES and name.startswith("iec104_"):
        ioa = _int(fields.get("ioa"))
        return [(name[7:], ioa, ioa)] if ioa is not None else []
    if name in _CIP_SETS:
        cls, inst = _int(fields.get("class")), _int(fields.get("instance"))
        return [(f"class{cls}", inst, inst)] if cls is not None and inst is not None else []
    return []
