"""A transport flow as the sensor sees it: the two endpoints, counters and the chosen decoder."""

from __future__ import annotations

from typing import Any


class Flow:
    """One TCP connection or UDP conversation.

    The originator (``orig_*``) is the side that sent the SYN; when the capture starts mid-way it is
    the side that is not on a known server port (or, failing that, the sender of the first packet).
    """

    __slots__ = (
        "transport", "orig_addr", "orig_port", "resp_addr", "resp_port", "orig_mac", "resp_mac", "vlan",
        "first_ts", "last_ts", "first_frame", "orig_pkts", "resp_pkts", "orig_bytes", "resp_bytes",
        "proto", "decoder", "state", "uid",
    )

    def __init__(
        self, transport: str, orig_addr: str, orig_port: int, resp_addr: str, resp_port: int,
        ts: float, frame: int, uid: int,
    ) -> None:
        self.transport = transport
        self.orig_addr = orig_addr
        self.orig_port = orig_port
        self.resp_addr = resp_addr
        self.resp_port = resp_port
        self.orig_mac: str | None = None
        self.resp_mac: str | None = None
        self.vlan: int | None = None
        self.first_ts = ts
        self.last_ts = ts
        self.first_frame = frame
        self.orig_pkts = 0
        self.resp_pkts = 0
        self.orig_bytes = 0  # payload bytes (TCP/UDP payload, before reassembly)
        self.resp_bytes = 0
        self.proto: str | None = None  # name of the decoder, once one is chosen
        self.decoder: Any = None
        self.state: Any = None  # the sensor's per-flow transport state (reassembly)
        self.uid = uid

    def endpoints(self, is_orig: bool) -> tuple[str, int, str, int]:
        """(src, sport, dst, dport) of a message sent in this direction."""
        if is_orig:
            return self.orig_addr, self.orig_port, self.resp_addr, self.resp_port
        return self.resp_addr, self.resp_port, self.orig_addr, self.orig_port

    def __repr__(self) -> str:  # pragma: no cover
        return (f"Flow({self.transport} {self.orig_addr}:{self.orig_port} -> {self.resp_addr}:{self.resp_port}"
                f" proto={self.proto})")
