"""Live capture through libpcap (loaded with ctypes): the same records as the file readers.

:class:`LiveCapture` opens an interface for capture only. It never transmits: the handle is used
for reading, filtering and statistics, and the functions of libpcap that send packets
(``pcap_inject``, ``pcap_sendpacket``) are never looked up. Records are
``(ts, linktype, data, orig_len)`` like those of ``sensor/readers.py``, plus a
``(now, TICK, b"", 0)`` record whenever the source waited ``tick`` seconds, so that the sensor
flushes its batch and ends idle flows while the network is quiet (``Sensor.iter_record_batches``).

The handle is non-blocking; between packets the reader waits in ``select()`` on libpcap's
selectable descriptor, at most ``tick`` seconds, so :meth:`LiveCapture.stop` (safe to call from a
signal handler), ``count`` and ``duration`` are honoured within that time.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import select
import struct
import time
from collections.abc import Callable, Iterator
from typing import Any

from plantwarden.core.errors import Forbidden, InvalidInput, PlantwardenError
from plantwarden.sensor.pipeline import TICK
from plantwarden.sensor.readers import Record

PCAP_ERRBUF_SIZE = 256
PCAP_NETMASK_UNKNOWN = 0xFFFFFFFF
#: pcap_activate() results (pcap/pcap.h)
PCAP_ERROR = -1
PCAP_ERROR_NO_SUCH_DEVICE = -5
PCAP_ERROR_PERM_DENIED = -8
PCAP_ERROR_IFACE_NOT_UP = -9
PCAP_ERROR_PROMISC_PERM_DENIED = -11

#: struct pcap_pkthdr: struct timeval (two C longs), caplen, len; native layout and alignment
_HDR = struct.Struct("@llII")
_STAT = struct.Struct("@III")  # struct pcap_stat: ps_recv, ps_drop, ps_ifdrop

_LIB_NAMES = ("pcap", "libpcap.so.0.8", "libpcap.so.1", "libpcap.so")
_lib: Any = None


class CaptureError(PlantwardenError):
    """The live capture could not start or broke off; the message says what to do."""


class CapturePermissionError(CaptureError, Forbidden):
    """The process may not capture on the interface (needs root or CAP_NET_RAW + CAP_NET_ADMIN)."""


class FilterError(CaptureError, InvalidInput):
    """The BPF filter does not compile."""


def load_libpcap() -> Any:
    """libpcap as a ctypes library, with the signatures used here; CaptureError when missing."""
    global _lib
    if _lib is not None:
        return _lib
    lib = None
    for name in _LIB_NAMES:
        path = ctypes.util.find_library(name) if "." not in name else name
        if not path:
            continue
        try:
            lib = ctypes.CDLL(path, use_errno=True)
            break
        except OSError:
            continue
    if lib is None:
        raise CaptureError("libpcap is not installed: install the Debian package libpcap0.8 "
                           "(scripts/system-deps.sh does it)")
    vp, cp, ci, cu = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_uint
    sigs: dict[str, tuple[Any, list[Any]]] = {
        "pcap_create": (vp, [cp, cp]),
        "pcap_set_snaplen": (ci, [vp, ci]),
        "pcap_set_promisc": (ci, [vp, ci]),
        "pcap_set_timeout": (ci, [vp, ci]),
        "pcap_set_immediate_mode": (ci, [vp, ci]),
        "pcap_set_buffer_size": (ci, [vp, ci]),
        "pcap_activate": (ci, [vp]),
        "pcap_geterr": (cp, [vp]),
        "pcap_statustostr": (cp, [ci]),
        "pcap_compile": (ci, [vp, vp, cp, ci, cu]),
        "pcap_setfilter": (ci, [vp, vp]),
        "pcap_freecode": (None, [vp]),
        "pcap_datalink": (ci, [vp]),
        "pcap_setnonblock": (ci, [vp, ci, cp]),
        "pcap_get_selectable_fd": (ci, [vp]),
        "pcap_next_ex": (ci, [vp, vp, vp]),
        "pcap_stats": (ci, [vp, vp]),
        "pcap_close": (None, [vp]),
        "pcap_lib_version": (cp, []),
    }
    for fname, (res, args) in sigs.items():
        fn = getattr(lib, fname)
        fn.restype = res
        fn.argtypes = args
    _lib = lib
    return lib


def libpcap_version() -> str:
    return str(load_libpcap().pcap_lib_version().decode(errors="replace"))


class LiveCapture:
    """One interface opened for capture. Use as a context manager; iterate :meth:`records`.

    ``snaplen`` bytes of each frame are kept (the default keeps whole frames); ``promisc`` asks the
    interface for every frame on the wire (a SPAN port or a tap needs it); ``buffer_size`` is the
    kernel buffer in bytes (a larger one rides out bursts without drops); ``bpf`` is a libpcap
    filter expression (``tcp port 502``), empty for everything.
    """

    def __init__(self, interface: str, bpf: str = "", snaplen: int = 262144, promisc: bool = True,
                 buffer_size: int = 32 << 20, tick: float = 0.25, immediate: bool = False) -> None:
        self.interface = interface
        self.bpf = bpf
        self.snaplen = snaplen
        self.promisc = promisc
        self.buffer_size = buffer_size
        self.tick = tick
        self.immediate = immediate
        self.linktype = -1
        self.packets = 0  #: packets read so far
        self.bytes = 0  #: captured bytes read so far
        #: the message of the error that ended :meth:`records` early (the interface went away ...)
        self.error: str | None = None
        #: pcap_activate() warnings (e.g. promiscuous mode not supported)
        self.warnings: list[str] = []
        self._p: int | None = None
        self._fd = -1
        self._stop = False
        self._lib: Any = None

    # -- open / close -----------------------------------------------------------------------------

    def open(self) -> LiveCapture:
        lib = self._lib = load_libpcap()
        err = ctypes.create_string_buffer(PCAP_ERRBUF_SIZE)
        p = lib.pcap_create(self.interface.encode(), err)
        if not p:
            raise CaptureError(f"cannot open {self.interface}: {err.value.decode(errors='replace')}")
        self._p = p
        try:
            lib.pcap_set_snaplen(p, self.snaplen)
            lib.pcap_set_promisc(p, 1 if self.promisc else 0)
            lib.pcap_set_timeout(p, max(1, int(self.tick * 1000)))
            lib.pcap_set_immediate_mode(p, 1 if self.immediate else 0)
            lib.pcap_set_buffer_size(p, self.buffer_size)
            rc = lib.pcap_activate(p)
            if rc < 0:
                raise self._activate_error(rc)
            if rc > 0:
                self.warnings.append(self._status(rc))
            self._set_filter()
            self.linktype = lib.pcap_datalink(p)
            if lib.pcap_setnonblock(p, 1, err) < 0:
                raise CaptureError(f"{self.interface}: {err.value.decode(errors='replace')}")
            self._fd = lib.pcap_get_selectable_fd(p)
            if self._fd < 0:
                raise CaptureError(f"{self.interface}: libpcap offers no selectable descriptor")
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        if self._p is not None:
            self._lib.pcap_close(self._p)
            self._p = None

    def __enter__(self) -> LiveCapture:
        return self.open() if self._p is None else self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def stop(self) -> None:
        """Make :meth:`records` end after the current packet (safe in a signal handler)."""
        self._stop = True

    # -- reading ----------------------------------------------------------------------------------

    def records(self, count: int | None = None, duration: float | None = None,
                clock: Callable[[], float] = time.time) -> Iterator[Record]:
        """Yield records until :meth:`stop`, ``count`` packets, ``duration`` seconds or an error.

        An error of the interface (it went down or away) ends the iteration and is kept in
        :attr:`error`, so that whoever consumes the records can still finish its work.
        """
        p = self._p
        if p is None:
            raise CaptureError("the capture is not open")
        lib = self._lib
        next_ex = lib.pcap_next_ex
        hdr_ptr, data_ptr = ctypes.c_void_p(), ctypes.c_void_p()
        hdr_ref, data_ref = ctypes.byref(hdr_ptr), ctypes.byref(data_ptr)
        string_at: Any = ctypes.string_at
        unpack_hdr = _HDR.unpack
        hdr_size = _HDR.size
        linktype = self.linktype
        tick = self.tick
        mono = time.monotonic
        start = mono()
        end = start + duration if duration is not None else None
        next_tick = start + tick
        fds = [self._fd]
        last_ts = 0.0
        n = self.packets
        nbytes = self.bytes
        while not self._stop:
            rc = next_ex(p, hdr_ref, data_ref)
            if rc == 1:
                sec, usec, caplen, length = unpack_hdr(string_at(hdr_ptr.value, hdr_size))
                last_ts = sec + usec * 1e-6
                n += 1
                nbytes += caplen
                self.packets = n
                self.bytes = nbytes
                yield last_ts, linktype, string_at(data_ptr.value, caplen), length
                if count is not None and n >= count:
                    break
                now = mono()
                if now >= next_tick:
                    next_tick = now + tick
                    yield max(clock(), last_ts), TICK, b"", 0
                if end is not None and now >= end:
                    break
                continue
            if rc == 0:  # nothing waiting: tell the sensor the time, then wait
                now = mono()
                if end is not None and now >= end:
                    break
                if now >= next_tick:
                    next_tick = now + tick
                    yield max(clock(), last_ts), TICK, b"", 0
                wait = next_tick - now
                if end is not None:
                    wait = min(wait, end - now)
                select.select(fds, [], [], max(0.0, wait))
                continue
            if rc == -2:  # pcap_breakloop
                break
            self.error = f"capture on {self.interface} failed: {self._geterr()}"
            break

    def stats(self) -> dict[str, int]:
        """libpcap's counters: packets received, dropped by the kernel (buffer full) and by the
        interface or its driver; zeros when the platform does not say."""
        if self._p is None:
            return {"received": 0, "dropped": 0, "if_dropped": 0}
        buf = ctypes.create_string_buffer(_STAT.size + 16)
        if self._lib.pcap_stats(self._p, buf) < 0:
            return {"received": 0, "dropped": 0, "if_dropped": 0}
        recv, drop, ifdrop = _STAT.unpack_from(buf.raw)
        return {"received": recv, "dropped": drop, "if_dropped": ifdrop}

    # -- internals --------------------------------------------------------------------------------

    def _set_filter(self) -> None:
        if not self.bpf:
            return
        lib = self._lib
        prog = ctypes.create_string_buffer(64)  # struct bpf_program: u_int bf_len; bpf_insn *bf_insns
        if lib.pcap_compile(self._p, prog, self.bpf.encode(), 1, PCAP_NETMASK_UNKNOWN) < 0:
            raise FilterError(f"invalid BPF filter {self.bpf!r}: {self._geterr()}")
        try:
            if lib.pcap_setfilter(self._p, prog) < 0:
                raise FilterError(f"cannot set the BPF filter {self.bpf!r}: {self._geterr()}")
        finally:
            lib.pcap_freecode(prog)

    def _geterr(self) -> str:
        msg = self._lib.pcap_geterr(self._p) if self._p is not None else None
        return msg.decode(errors="replace") if msg else "unknown error"

    def _status(self, rc: int) -> str:
        msg = self._lib.pcap_statustostr(rc)
        text = msg.decode(errors="replace") if msg else f"status {rc}"
        detail = self._geterr()
        return f"{text} ({detail})" if detail and detail != "unknown error" and detail not in text else text

    def _activate_error(self, rc: int) -> CaptureError:
        iface = self.interface
        if rc in (PCAP_ERROR_PERM_DENIED, PCAP_ERROR_PROMISC_PERM_DENIED):
            return CapturePermissionError(
                f"no permission to capture on {iface}: run as root, or give the Python interpreter the "
                "capabilities cap_net_raw and cap_net_admin (setcap cap_net_raw,cap_net_admin=eip "
                "/path/to/python3)")
        if rc == PCAP_ERROR_NO_SUCH_DEVICE:
            return CaptureError(f"no interface named {iface} (see `ip link`)")
        if rc == PCAP_ERROR_IFACE_NOT_UP:
            return CaptureError(f"interface {iface} is down: bring it up first (ip link set {iface} up)")
        return CaptureError(f"cannot capture on {iface}: {self._status(rc)}")
