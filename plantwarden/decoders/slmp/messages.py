"""SLMP request and response data per command (docs/protocols/slmp.md).

Request parsers read ``buf[s:e]`` (after command and subcommand) and return what the response needs
(e.g. the points of a batch read); response parsers read the data after the end code. Data cut short
raises :class:`Malformed`; the fields read so far are kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from plantwarden.decoders.names import c_string
from plantwarden.decoders.slmp.constants import (
    DEVICES,
    HEX_DEVICES,
    MAX_VALUES,
    PASSWORD_COMMANDS,
    name_of,
)

Fields = dict[str, Any]
RequestParser = Callable[[bytes, int, int, Fields, int], Any]
ResponseParser = Callable[[bytes, int, int, Fields, Any], None]


class Malformed(Exception):
    """SLMP data shorter than its command needs."""


def _need(s: int, e: int, n: int, what: str) -> None:
    if e - s < n:
        raise Malformed(f"{what}: {e - s} bytes, {n} needed")


def text(raw: bytes) -> str:
    """Attacker-controlled text: up to the first NUL, UTF-8 when valid else Latin-1, stripped."""
    return c_string(raw)


def device_label(code: int, number: int) -> str:
    """``D100``, ``X1F`` (hex-addressed devices), ``unknown-<code>:<number>``."""
    name = DEVICES.get(code)
    if name is None:
        return f"unknown-{code}:{number}"
    return f"{name}{number:X}" if code in HEX_DEVICES else f"{name}{number}"


def _device(buf: bytes, off: int, wide: bool) -> tuple[int, int, int]:
    """(device code, device number, size of the reference) at ``off``."""
    if wide:  # iQ-R: 4-byte number, 2-byte code
        return buf[off + 4] | (buf[off + 5] << 8), int.from_bytes(buf[off:off + 4], "little"), 6
    return buf[off + 3], int.from_bytes(buf[off:off + 3], "little"), 4


def _words(buf: bytes, s: int, n: int) -> list[int]:
    n = min(n, MAX_VALUES)
    return [buf[i] | (buf[i + 1] << 8) for i in range(s, s + 2 * n, 2)]


def _bits(buf: bytes, s: int, n: int) -> list[int]:
    """Bit units: two devices per byte, the first in the high nibble."""
    out: list[int] = []
    for i in range(min(n, MAX_VALUES)):
        b = buf[s + (i >> 1)]
        out.append((b >> 4) & 1 if not i & 1 else b & 1)
    return out


# -- batch device access -------------------------------------------------------------------------

def req_device_read(buf: bytes, s: int, e: int, f: Fields, sub: int) -> Any:
    wide = bool(sub & 0x02)
    _need(s, e, (6 if wide else 4) + 2, "device read")
    code, number, size = _device(buf, s, wide)
    points = buf[s + size] | (buf[s + size + 1] << 8)
    f["device_code"] = code
    f["device"] = name_of(DEVICES, code)
    f["device_number"] = number
    f["head_device"] = device_label(code, number)
    f["points"] = points
    return (bool(sub & 0x01), points)


def req_device_write(buf: bytes, s: int, e: int, f: Fields, sub: int) -> Any:
    bits, points = req_device_read(buf, s, e, f, sub)
    d = s + (8 if sub & 0x02 else 6)
    if bits:
        _need(d, e, (points + 1) >> 1, "device write bits")
        f["values"] = _bits(buf, d, points)
    else:
        _need(d, e, 2 * points, "device write words")
        f["values"] = _words(buf, d, points)
    return None


def resp_device_read(buf: bytes, s: int, e: int, f: Fields, ctx: Any) -> None:
    if ctx is None:
        f["data"] = buf[s:min(e, s + 512)].hex()
        return
    bits, points = ctx
    f["points"] = points
    if bits:
        _need(s, e, (points + 1) >> 1, "device read bits")
        f["values"] = _bits(buf, s, points)
    else:
        _need(s, e, 2 * points, "device read words")
        f["values"] = _words(buf, s, points)


def req_read_random(buf: bytes, s: int, e: int, f: Fields, sub: int) -> Any:
    _need(s, e, 2, "random read")
    wide = bool(sub & 0x02)
    size = 6 if wide else 4
    nw, nd = buf[s], buf[s + 1]
    f["word_points"], f["dword_points"] = nw, nd
    devices: list[str] = []
    off = s + 2
    for _ in range(min(nw + nd, 192)):
        _need(off, e, size, "random read device")
        code, number, _ = _device(buf, off, wide)
        devices.append(device_label(code, number))
        off += size
    f["devices"] = devices
    return None


def req_write_random(buf: bytes, s: int, e: int, f: Fields, sub: int) -> Any:
    wide = bool(sub & 0x02)
    size = 6 if wide else 4
    devices: list[str] = []
    values: list[int] = []
    if sub & 0x01:  # bit units: points, then device + 1 (or 2) value bytes
        _need(s, e, 1, "random bit write")
        n = buf[s]
        f["bit_points"] = n
        off, vsize = s + 1, (2 if wide else 1)
        for _ in range(min(n, 188)):
            _need(off, e, size + vsize, "random bit write device")
            code, number, _ = _device(buf, off, wide)
            devices.append(device_label(code, number))
            values.append(buf[off + size] & 1)
            off += size + vsize
    else:
        _need(s, e, 2, "random word write")
        nw, nd = buf[s], buf[s + 1]
        f["word_points"], f["dword_points"] = nw, nd
        off = s + 2
        for i in range(min(nw + nd, 160)):
            vsize = 2 if i < nw else 4
            _need(off, e, size + vsize, "random word write device")
            code, number, _ = _device(buf, off, wide)
            devices.append(device_label(code, number))
            values.append(int.from_bytes(buf[off + size:off + size + vsize], "little"))
            off += size + vsize
    f["devices"], f["values"] = devices, values
    return None


# -- remote control, model, loopback, password --------------------------------------------------

def req_remote_run(buf: bytes, s: int, e: int, f: Fields, sub: int) -> Any:
    _need(s, e, 4, "remote run")
    mode = buf[s] | (buf[s + 1] << 8)
    f["force"] = mode == 0x0003
    f["clear_mode"] = buf[s + 2]
    f["clear_mode_name"] = name_of({0: "no_clear", 1: "clear_except_latch", 2: "clear_all"}, buf[s + 2])
    return None


def resp_cpu_model(buf: bytes, s: int, e: int, f: Fields, ctx: Any) -> None:
    _need(s, e, 16, "CPU model name")
    identity: Fields = {}
    model = text(buf[s:s + 16])
    if model:
        identity["model"] = model
    if e - s >= 18:
        identity["product_code"] = f"0x{buf[s + 16] | (buf[s + 17] << 8):04X}"
    f["identity"] = identity


def req_loopback(buf: bytes, s: int, e: int, f: Fields, sub: int) -> Any:
    _need(s, e, 2, "loopback")
    f["loopback_length"] = buf[s] | (buf[s + 1] << 8)
    f["loopback_data"] = text(buf[s + 2:min(e, s + 2 + 960)])
    return None


def resp_loopback(buf: bytes, s: int, e: int, f: Fields, ctx: Any) -> None:
    req_loopback(buf, s, e, f, 0)


def req_password(buf: bytes, s: int, e: int, f: Fields, sub: int) -> Any:
    _need(s, e, 2, "remote password")
    f["password_length"] = buf[s] | (buf[s + 1] << 8)  # the password itself is never logged
    return None


def req_generic(buf: bytes, s: int, e: int, f: Fields, sub: int) -> Any:
    if e > s:
        f["data"] = buf[s:min(e, s + 512)].hex()
    return None


def resp_generic(buf: bytes, s: int, e: int, f: Fields, ctx: Any) -> None:
    if e > s:
        f["data"] = buf[s:min(e, s + 512)].hex()


REQUESTS: dict[int, RequestParser] = {
    0x0401: req_device_read, 0x1401: req_device_write, 0x0403: req_read_random, 0x1402: req_write_random,
    0x1001: req_remote_run, 0x0619: req_loopback,
    **{c: req_password for c in PASSWORD_COMMANDS},
}
RESPONSES: dict[int, ResponseParser] = {
    0x0401: resp_device_read, 0x0101: resp_cpu_model, 0x0619: resp_loopback,
}
NO_DATA_REQUESTS = frozenset({0x0101, 0x1002, 0x1005, 0x1006, 0x1617})
