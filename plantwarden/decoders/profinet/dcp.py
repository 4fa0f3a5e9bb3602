"""PROFINET DCP (Discovery and Configuration Protocol): one frame -> one event's fields.

Layout after the 2-byte frame id: ServiceID (1), ServiceType (1), Xid (4), ResponseDelay or Reserved
(2), DCPDataLength (2), then blocks: Option (1), Suboption (1), DCPBlockLength (2), value, padded to
an even length. In responses and hellos the value starts with a 2-byte BlockInfo, in set requests
with a 2-byte BlockQualifier; identify-request filters and Control/Response blocks have neither. A
get request lists bare Option/Suboption pairs.
"""

from __future__ import annotations

import struct
from typing import Any, Final

from plantwarden.decoders.names import wire_text
from plantwarden.decoders.profinet.constants import (
    BLOCK_ERRORS,
    BLOCK_NAMES,
    DEVICE_ROLES,
    IP_BLOCK_INFO,
    SERVICE_TYPES,
    SERVICES,
    SET_ACTIONS,
    block_name,
)

_HEADER: Final = struct.Struct(">BBIHH")  # service id, service type, xid, delay/reserved, data length
_BLOCK: Final = struct.Struct(">BBH")
_u16 = struct.Struct(">H").unpack_from
#: the most blocks read from one frame (a 1500-byte frame holds at most ~370)
MAX_BLOCKS: Final = 400


def text(raw: bytes) -> str:
    """Attacker-controlled bytes as text: UTF-8 when valid, else Latin-1; trailing NULs removed."""
    return wire_text(raw.rstrip(b"\x00"))


def _ip(b: bytes) -> str:
    return f"{b[0]}.{b[1]}.{b[2]}.{b[3]}"


def _bname(opt: int, sub: int) -> str:
    name = BLOCK_NAMES.get(opt << 8 | sub)
    return name if name is not None else block_name(opt, sub)


def parse(data: bytes, fid: int) -> tuple[str, dict[str, Any], str | None]:
    """(event name, fields, weird name or None) of the DCP frame ``data`` (frame id included)."""
    n = len(data)
    if n < 12:
        return "profinet_dcp_unknown", {"frame_id": fid}, "profinet_dcp_short_header"
    sid, stype, xid, delay, dlen = _HEADER.unpack_from(data, 2)
    service = SERVICES.get(sid)
    st = SERVICE_TYPES.get(stype)
    is_response = bool(stype & 1)
    f: dict[str, Any] = {
        "frame_id": fid, "service": service if service is not None else f"unknown-{sid}",
        "service_id": sid, "service_type": st if st is not None else f"unknown-{stype}",
        "service_type_code": stype, "xid": xid,
    }
    if service is None:
        service = "unknown"
    if sid == 6:
        ev = "profinet_dcp_hello"
    else:
        ev = f"profinet_dcp_{service}_{'response' if is_response else 'request'}"
    if fid == 0xFEFE or (sid == 5 and not is_response):
        f["response_delay"] = delay
    problem = None
    end = 12 + dlen
    if end > n:
        problem = "profinet_dcp_truncated"
        end = n
    blocks: list[str] = []
    f["blocks"] = blocks
    p = 12
    if sid == 3 and not is_response:  # get request: bare option/suboption pairs
        while p + 2 <= end and len(blocks) < MAX_BLOCKS:
            blocks.append(_bname(data[p], data[p + 1]))
            p += 2
        return ev, f, problem
    # the value starts with BlockInfo (responses, hello) or BlockQualifier (set requests)
    lead = 2 if (is_response or sid == 6 or sid == 4) else 0
    setting = sid == 4 and not is_response
    while p + 4 <= end and len(blocks) < MAX_BLOCKS:
        opt, sub, blen = _BLOCK.unpack_from(data, p)
        v = p + 4
        vend = v + blen
        if vend > end:
            problem = problem or "profinet_dcp_bad_block_length"
            vend = end
        blocks.append(_bname(opt, sub))
        _block(data, opt, sub, v, vend, lead, is_response, setting, f)
        p = v + blen + (blen & 1)
    return ev, f, problem


def _block(b: bytes, opt: int, sub: int, v: int, vend: int, lead: int, is_response: bool, setting: bool,
           f: dict[str, Any]) -> None:
    """Store the value of one block in ``f``."""
    if opt == 5 and sub == 4:  # Control/Response: option, suboption, error
        if vend - v >= 3:
            err = b[v + 2]
            e = BLOCK_ERRORS.get(err)
            f.setdefault("results", []).append(
                {"block": _bname(b[v], b[v + 1]), "error": e if e is not None else f"unknown-{err}",
                 "error_code": err})
        return
    if lead and vend - v >= 2:
        info = _u16(b, v)[0]
        if setting:
            f.setdefault("block_qualifier", info)
            action = SET_ACTIONS.get((opt, sub))
            if action is not None:
                actions = f.setdefault("set", [])
                if action not in actions:
                    actions.append(action)
                if action in ("set_ip", "set_name", "set_alias"):
                    f["permanent"] = bool(info & 1)
            elif opt == 5:
                f.setdefault("control", []).append(_bname(opt, sub)[8:])
        elif opt == 1 and sub in (2, 3):
            ipinfo = IP_BLOCK_INFO.get(info & 0x7F)
            f["ip_block_info"] = ipinfo if ipinfo is not None else f"unknown-{info & 0x7F}"
            if info & 0x80:
                f["ip_conflict"] = True
        v += 2
    size = vend - v
    if opt == 2:
        if sub == 2:
            f["name_of_station"] = text(b[v:vend])
        elif sub == 1:
            f["type_of_station"] = text(b[v:vend])
        elif sub == 3 and size >= 4:
            f["vendor_id"] = _u16(b, v)[0]
            f["device_id"] = _u16(b, v + 2)[0]
        elif sub == 4 and size >= 1:
            role = b[v]
            f["device_role_code"] = role
            f["device_role"] = [name for bit, name in DEVICE_ROLES if role & bit]
        elif sub == 5:
            f["device_options"] = [_bname(b[q], b[q + 1]) for q in range(v, vend - 1, 2)]
        elif sub == 6:
            f["alias_name"] = text(b[v:vend])
        elif sub == 7 and size >= 2:
            f["device_instance"] = f"{b[v]}.{b[v + 1]}"
        elif sub == 8 and size >= 4:
            f["oem_vendor_id"] = _u16(b, v)[0]
            f["oem_device_id"] = _u16(b, v + 2)[0]
    elif opt == 1:
        if sub == 1 and size >= 6:
            f["mac"] = b[v:v + 6].hex(":")
        elif sub in (2, 3) and size >= 12:
            f["ip"] = _ip(b[v:v + 4])
            f["netmask"] = _ip(b[v + 4:v + 8])
            f["gateway"] = _ip(b[v + 8:v + 12])
            if sub == 3 and size >= 28:
                f["dns"] = [_ip(b[q:q + 4]) for q in range(v + 12, v + 28, 4)]
    elif opt == 5:
        if sub == 3 and size >= 2:
            f["signal_value"] = _u16(b, v)[0]
    elif opt == 6 and sub == 1 and size >= 2:
        f["device_initiative"] = _u16(b, v)[0]
    elif opt == 3 and not is_response and not setting and size:
        f.setdefault("dhcp_options", []).append(sub)


def identity(f: dict[str, Any]) -> dict[str, Any] | None:
    """The identity a device states about itself in an identify response or a hello."""
    ident: dict[str, Any] = {}
    if "type_of_station" in f:
        ident["vendor"] = f["type_of_station"]
    if "name_of_station" in f:
        ident["name"] = f["name_of_station"]
    if "vendor_id" in f:
        ident["vendor_id"] = f["vendor_id"]
        ident["device_id"] = f["device_id"]
    roles = f.get("device_role")
    if roles:
        ident["device_type"] = "+".join(roles)
    if "ip" in f:
        ident["ip"] = f["ip"]
    return ident or None
