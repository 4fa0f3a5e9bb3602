"""The PNIO blocks inside a PROFINET IO-CM request or response body (the DCE/RPC stub).

A request stub starts with ArgsMaximum, ArgsLength, MaximumCount, Offset, ActualCount (NDR u32s in
the DCE/RPC byte order); a response stub with the PNIO status instead of ArgsMaximum. Blocks follow:
BlockType (2), BlockLength (2, counting from the version), BlockVersionHigh/Low (1 + 1), content, all
big-endian. Record data follows an IOD read/write header (``RecordDataLength`` bytes); a write with
index 0xE040 (WriteMultiple) carries further write headers, each record padded to 4 bytes.
"""

from __future__ import annotations

import contextlib
import struct
from typing import Any, Final

from plantwarden.decoders.names import wire_text
from plantwarden.decoders.pnio_cm.constants import (
    AR_TYPES,
    BLOCK_TYPES,
    CONTROL_BLOCKS,
    CONTROL_COMMANDS,
    ERROR_CODES,
    ERROR_DECODES,
    INDEX_WRITE_MULTIPLE,
    INDICES,
    IOCR_TYPES,
    PNIORW_CODES,
    SUBMODULE_TYPES,
    index_name,
)

_BLOCK: Final = struct.Struct(">HH")
_NDR_BE: Final = struct.Struct(">IIIII")
_NDR_LE: Final = struct.Struct("<IIIII")
_u16 = struct.Struct(">H").unpack_from
_u32 = struct.Struct(">I").unpack_from
_IOD: Final = struct.Struct(">H16sIHH2xHI")  # seq, AR UUID, API, slot, subslot, padding, index, length
_AR_REQ: Final = struct.Struct(">H16sH6s16sIHHH")
_IOCR_REQ: Final = struct.Struct(">HHHIHHHHHHIHH")
_ALARM_CR_REQ: Final = struct.Struct(">HHIHHHH")
_CONTROL: Final = struct.Struct(">2x16sH2xH")
_CO: Final = struct.Struct(">2xIHH2xH")  # padding, API, slot, subslot, padding, index
#: list entries kept per event (expected submodules, IOCRs, writes)
MAX_ITEMS: Final = 256
MAX_BLOCKS: Final = 512


class BlockError(Exception):
    """The blocks do not fit their lengths (reported as the weird ``pnio_cm_malformed_block``)."""


def uuid_str(b: bytes) -> str:
    """A UUID stored big-endian (as PNIO blocks do) in its text form."""
    h = b.hex()
    return f"{h[0:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def text(raw: bytes) -> str:
    """Attacker-controlled bytes as text: UTF-8 when valid, else Latin-1; trailing NULs and blanks removed."""
    return wire_text(raw.rstrip(b"\x00 "))


def status_fields(code: int, f: dict[str, Any], prefix: str = "") -> None:
    """``status`` (a name) and ``status_code`` of a PNIO status word."""
    f[prefix + "status_code"] = code
    if code == 0:
        f[prefix + "status"] = "ok"
        return
    ec, ed, c1, c2 = code >> 24, (code >> 16) & 0xFF, (code >> 8) & 0xFF, code & 0xFF
    ecn = ERROR_CODES.get(ec) or f"unknown-{ec}"
    edn = ERROR_DECODES.get(ed) or f"unknown-{ed}"
    c1n = (PNIORW_CODES.get(c1) if ed == 0x80 else None) or f"{c1}"
    f[prefix + "status"] = f"{ecn}/{edn}/{c1n}/{c2}"


def stub(body: bytes, is_response: bool, little: bool, f: dict[str, Any]) -> None:
    """Decode the PNIO stub ``body`` into ``f``. Raises BlockError/IndexError/struct.error when malformed."""
    if len(body) < 20:
        raise BlockError(f"stub of {len(body)} bytes is shorter than its 20-byte NDR header")
    first, args_len, _max, _off, actual = (_NDR_LE if little else _NDR_BE).unpack_from(body, 0)
    if is_response:
        status_fields(first, f)
    else:
        f["args_maximum"] = first
    end = 20 + min(args_len, actual)
    if end > len(body):
        raise BlockError(f"NDR array of {actual} bytes runs past the {len(body) - 20}-byte stub")
    blocks(body, 20, end, f)


def blocks(b: bytes, p: int, end: int, f: dict[str, Any], multiple: bool = False) -> None:
    """The blocks in ``b[p:end]`` into ``f``; ``multiple``: the records of a WriteMultiple."""
    types: list[str] = f.setdefault("block_types", [])
    while p + 6 <= end and len(types) < MAX_BLOCKS:
        btype, blen = _BLOCK.unpack_from(b, p)
        bend = p + 4 + blen
        if blen < 2 or bend > end:
            raise BlockError(f"block 0x{btype:04x} of length {blen} does not fit at offset {p}")
        name = BLOCK_TYPES.get(btype)
        types.append(name if name is not None else f"unknown-{btype}")
        c = p + 6  # content, after the version bytes
        nxt = bend
        if btype in (0x0008, 0x0009, 0x8008, 0x8009):
            nxt = _iod(b, c, bend, end, btype, f, multiple)
            if btype == 0x8008 and f.get("index") == INDEX_WRITE_MULTIPLE:
                multiple = True
        elif btype == 0x0101:
            art, ar, skey, mac, _obj, props, tf, port, nlen = _AR_REQ.unpack_from(b, c)
            f["ar_type"] = AR_TYPES.get(art) or f"unknown-{art}"
            f["ar_uuid"] = uuid_str(ar)
            f["session_key"] = skey
            f["cm_initiator_mac"] = mac.hex(":")
            f["ar_properties"] = props
            f["cm_initiator_activity_timeout_factor"] = tf
            f["cm_initiator_udp_port"] = port
            s = c + _AR_REQ.size
            if s + nlen > bend:
                raise BlockError("station name runs past the AR block")
            f["cm_initiator_station_name"] = text(b[s:s + nlen])
        elif btype == 0x8101:
            art = _u16(b, c)[0]
            f["ar_type"] = AR_TYPES.get(art) or f"unknown-{art}"
            f["ar_uuid"] = uuid_str(b[c + 2:c + 18])
            f["session_key"] = _u16(b, c + 18)[0]
            f["cm_responder_mac"] = b[c + 20:c + 26].hex(":")
            f["cm_responder_udp_port"] = _u16(b, c + 26)[0]
        elif btype == 0x8106:  # ARServerBlock: the device's own station name
            nlen = _u16(b, c)[0]
            if c + 2 + nlen > bend:
                raise BlockError("station name runs past the AR server block")
            f["cm_responder_station_name"] = text(b[c + 2:c + 2 + nlen])
        elif btype == 0x0401:  # COContainerContent: one record of a CombinedObjectContainer
            api, slot, subslot, index = _CO.unpack_from(b, c)
            w = f.setdefault("writes", [])
            if len(w) < MAX_ITEMS:
                w.append({"api": api, "slot": slot, "subslot": subslot, "index": index,
                          "index_name": index_name(index), "container": True})
        elif btype == 0x0102 or btype == 0x8102:
            _iocr(b, c, btype, f)
        elif btype == 0x0103:
            _t, _lt, props, tf, retries, ref, maxlen = _ALARM_CR_REQ.unpack_from(b, c)
            f["alarm_cr"] = {"rta_timeout_factor": tf, "rta_retries": retries, "local_alarm_reference": ref,
                             "max_alarm_data_length": maxlen, "properties": props}
        elif btype == 0x0104:
            _expected(b, c, bend, f)
        elif btype in CONTROL_BLOCKS:
            ar, skey, cmd = _CONTROL.unpack_from(b, c)
            f.setdefault("ar_uuid", uuid_str(ar))
            f["session_key"] = skey
            f["control_command_code"] = cmd
            f["control_command"] = [n for bit, n in CONTROL_COMMANDS if cmd & bit]
        elif btype == 0x0020:
            _im0(b, c, bend, f)
        elif btype == 0x0021 and bend - c >= 54:
            ident = f.setdefault("identity", {})
            ident["name"] = text(b[c:c + 32])
            ident["location"] = text(b[c + 32:c + 54])
        p = nxt


def _iod(b: bytes, c: int, bend: int, end: int, btype: int, f: dict[str, Any], multiple: bool) -> int:
    """An IOD read/write request/response header; returns where the next block starts."""
    seq, ar, api, slot, subslot, index, rlen = _IOD.unpack_from(b, c)
    if "index" not in f:
        f["seq_number"] = seq
        f.setdefault("ar_uuid", uuid_str(ar))
        f["api"] = api
        f["slot"] = slot
        f["subslot"] = subslot
        f["index"] = index
        f["index_name"] = index_name(index)
        f["record_data_length"] = rlen
    elif multiple:
        w = f.setdefault("writes", [])
        if len(w) < MAX_ITEMS:
            w.append({"api": api, "slot": slot, "subslot": subslot, "index": index,
                      "index_name": index_name(index), "record_data_length": rlen})
    if btype == 0x8008 and bend - c >= 42:  # after AdditionalValue1 and 2: the PNIO status of this write
        wstatus = _u32(b, c + 38)[0]
        if wstatus and not f.get("status_code") and "write_status" not in f:
            status_fields(wstatus, f, "write_")
    if btype not in (0x0008, 0x8009) or not rlen:
        return bend
    # record data follows the header: a write's data, or what a read returns
    rend = min(bend + rlen, end)
    if index == INDEX_WRITE_MULTIPLE and btype == 0x0008:
        blocks(b, bend, rend, f, True)
    elif index in INDICES:
        # the records PNIO defines are blocks; vendors' and profiles' records are opaque
        with contextlib.suppress(BlockError, IndexError, struct.error):
            blocks(b, bend, rend, f)
    nxt = bend + rlen
    if multiple:
        nxt += -nxt % 4
    return nxt


def _iocr(b: bytes, c: int, btype: int, f: dict[str, Any]) -> None:
    crs = f.setdefault("iocrs", [])
    if len(crs) >= MAX_ITEMS:
        return
    if btype == 0x0102:
        (t, ref, _lt, props, dlen, fid, scf, rr, _phase, _seq, _fso, wdf, dhf) = _IOCR_REQ.unpack_from(b, c)
        crs.append({"type": IOCR_TYPES.get(t) or f"unknown-{t}", "reference": ref, "frame_id": fid,
                    "data_length": dlen, "send_clock_factor": scf, "reduction_ratio": rr,
                    "watchdog_factor": wdf, "data_hold_factor": dhf, "rt_class": props & 0x0F})
    else:
        t, ref, fid = struct.unpack_from(">HHH", b, c)
        crs.append({"type": IOCR_TYPES.get(t) or f"unknown-{t}", "reference": ref, "frame_id": fid})


def _expected(b: bytes, c: int, bend: int, f: dict[str, Any]) -> None:
    """ExpectedSubmoduleBlockReq: the configuration the controller expects, one item per submodule."""
    items = f.setdefault("expected_submodules", [])
    napis = _u16(b, c)[0]
    q = c + 2
    for _ in range(napis):
        api, slot, module_ident, _props, nsub = struct.unpack_from(">IHIHH", b, q)
        q += 14
        for _ in range(nsub):
            subslot, sub_ident, sprops = struct.unpack_from(">HIH", b, q)
            q += 8
            kind = sprops & 3
            q += 12 if kind == 3 else 6  # one DataDescription (two for input+output), 6 bytes each
            if q > bend:
                raise BlockError("expected submodule runs past its block")
            if len(items) < MAX_ITEMS:
                items.append({"api": api, "slot": slot, "module_ident": module_ident, "subslot": subslot,
                              "submodule_ident": sub_ident, "type": SUBMODULE_TYPES[kind]})


def _im0(b: bytes, c: int, bend: int, f: dict[str, Any]) -> None:
    """I&M0: who made the device, what it is, which revision (identity of the answering device)."""
    if bend - c < 54:
        raise BlockError("I&M0 block shorter than 54 bytes")
    ident = f.setdefault("identity", {})
    ident["vendor_id"] = _u16(b, c)[0]
    ident["order_number"] = text(b[c + 2:c + 22])
    ident["serial_number"] = text(b[c + 22:c + 38])
    ident["hardware"] = str(_u16(b, c + 38)[0])
    prefix = chr(b[c + 40]) if 0x20 < b[c + 40] < 0x7F else "?"
    ident["firmware"] = f"{prefix}{b[c + 41]}.{b[c + 42]}.{b[c + 43]}"
    f["im_revision_counter"] = _u16(b, c + 44)[0]
    f["im_profile_id"] = _u16(b, c + 46)[0]
    f["im_version"] = f"{b[c + 50]}.{b[c + 51]}"
    f["im_supported"] = _u16(b, c + 52)[0]
