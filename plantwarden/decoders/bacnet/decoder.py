"""The BACnet/IP decoder: BVLC (Annex J) -> NPDU (clause 6) -> APDU (clauses 20-21), one event per message.

Sans-IO, UDP: one datagram per ``feed``. Confirmed requests are paired with their answers by
(requester, invoke id); segmented requests and complex acks are reassembled per (sender, invoke id)
and decoded on their last segment. See docs/protocols/bacnet.md for every event, field and weird.
"""

from __future__ import annotations

import struct
from typing import Any, ClassVar, Final

from plantwarden.core.events import Event, weird
from plantwarden.decoders.bacnet.activity import activity as classify_activity
from plantwarden.decoders.bacnet.constants import (
    ABORT,
    ABORT_REASONS,
    ACK_EVENTS,
    APDU_TYPES,
    BVLC_LEN,
    BVLC_NAMES,
    BVLC_TYPE,
    BVLC_TYPE_IPV6,
    COMPLEX_ACK,
    CONFIRMED_NAMES,
    CONFIRMED_REQUEST,
    ERROR,
    ERROR_EVENTS,
    MAX_APDU,
    MAX_PENDING,
    MAX_REASSEMBLED,
    MAX_REASSEMBLIES,
    MAX_SEGMENTS,
    NPDU_FUNCTIONS,
    PORT,
    PRIORITIES,
    REJECT,
    REJECT_REASONS,
    REQUEST_EVENTS,
    SEGMENT_ACK,
    SIMPLE_ACK,
    UNCONFIRMED_EVENTS,
    UNCONFIRMED_NAMES,
    name_of,
)
from plantwarden.decoders.bacnet.framing import bvlc, network_message, plausible
from plantwarden.decoders.bacnet.services import (
    ACK_PARSERS,
    REQUEST_PARSERS,
    UNCONFIRMED_PARSERS,
    Parser,
    error,
)
from plantwarden.decoders.bacnet.tags import TagError, tokenize
from plantwarden.decoders.base import Decoder

#: request fields an answer (simple ack, error, reject, abort) is given when it lacks them
_CONTEXT_KEYS: Final = ("object_type", "instance", "property", "property_id", "array_index")
_PARSE_ERRORS: Final = (TagError, IndexError, ValueError, struct.error)

Key = tuple[bool, int]


class BacnetDecoder(Decoder):
    """BACnet/IP on UDP 47808 (and any port where ``probe`` recognises a BVLC header)."""

    name: ClassVar[str] = "bacnet"
    transport: ClassVar[str] = "udp"
    default_ports: ClassVar[tuple[int, ...]] = (PORT,)

    __slots__ = ("_pending", "_segs", "messages", "unanswered_requests", "unmatched_responses")
    activity = staticmethod(classify_activity)

    def __init__(self) -> None:
        super().__init__()
        #: (requester is originator, invoke id) -> (service choice, request fields for the answer)
        self._pending: dict[Key, tuple[int, dict[str, Any]]] = {}
        #: (sender is originator, invoke id) -> [next sequence number, chunks, octets, segments]
        self._segs: dict[Key, list[Any]] = {}
        self.messages = 0
        self.unanswered_requests = 0
        self.unmatched_responses = 0

    @classmethod
    def probe(cls, data: bytes, is_orig: bool) -> float:
        return plausible(data)

    # -- BVLC -------------------------------------------------------------------------------------

    def feed(self, data: bytes, is_orig: bool, ts: float, frame: int) -> list[Event]:
        out: list[Event] = []
        if self.violated:
            return out
        n = len(data)
        if n < BVLC_LEN or data[0] != BVLC_TYPE:
            if n and data[0] == BVLC_TYPE_IPV6 and self.confirmed:
                out.append(weird("bacnet_ipv6_bvlc", ts, frame, is_orig, f"{n} octets not decoded"))
            elif not self.confirmed:
                self.violated = True
                out.append(weird("bacnet_protocol_violation", ts, frame, is_orig,
                                 f"not a BACnet/IP BVLC: {data[:4].hex()}"))
            else:
                out.append(weird("bacnet_bad_bvlc", ts, frame, is_orig, f"type octet {data[:1].hex()}, {n} octets"))
            return out
        func = data[1]
        length = (data[2] << 8) | data[3]
        if length < BVLC_LEN:
            if not self.confirmed:
                self.violated = True
                out.append(weird("bacnet_protocol_violation", ts, frame, is_orig, f"BVLC length {length}"))
            else:
                out.append(weird("bacnet_bad_bvlc", ts, frame, is_orig, f"BVLC length {length}"))
            return out
        self.confirmed = True
        self.messages += 1
        # the datagram, not the BVLC length, bounds the message (as Wireshark does): a wrong length
        # is reported, and a datagram cut by the snap length still decodes as far as it goes
        end = n
        f: dict[str, Any] = {"bvlc_function": BVLC_NAMES[func]}
        if func in NPDU_FUNCTIONS:
            p = BVLC_LEN
            if func == 4:
                if end < 10:
                    out.append(weird("bacnet_malformed_bvlc", ts, frame, is_orig, "Forwarded-NPDU without address"))
                    return out
                a = data[4:10]
                f["forwarded_from"] = f"{a[0]}.{a[1]}.{a[2]}.{a[3]}:{(a[4] << 8) | a[5]}"
                p = 10
            self._npdu(data, p, end, f, is_orig, ts, frame, out)
        else:
            bvlc(data, func, end, f, is_orig, ts, frame, out)
        if length != n:
            out.append(weird("bacnet_bvlc_length_mismatch", ts, frame, is_orig,
                             f"BVLC length {length}, datagram of {n} octets"))
        return out

    # -- NPDU -------------------------------------------------------------------------------------

    def _npdu(self, b: bytes, p: int, end: int, f: dict[str, Any], is_orig: bool, ts: float, frame: int,
              out: list[Event]) -> None:
        if end - p < 2:
            out.append(weird("bacnet_malformed_npdu", ts, frame, is_orig, "NPDU shorter than 2 octets"))
            return
        if b[p] != 1:
            out.append(weird("bacnet_bad_npdu_version", ts, frame, is_orig, f"version {b[p]}"))
            return
        ctl = b[p + 1]
        p += 2
        if ctl & 0x2C:  # destination, source or expecting-reply present
            try:
                if ctl & 0x20:
                    f["dnet"] = (b[p] << 8) | b[p + 1]
                    ln = b[p + 2]
                    f["dadr"] = b[p + 3:p + 3 + ln].hex()
                    p += 3 + ln
                if ctl & 0x08:
                    f["snet"] = (b[p] << 8) | b[p + 1]
                    ln = b[p + 2]
                    f["sadr"] = b[p + 3:p + 3 + ln].hex()
                    p += 3 + ln
                if ctl & 0x20:
                    f["hop_count"] = b[p]
                    p += 1
            except IndexError:
                out.append(weird("bacnet_malformed_npdu", ts, frame, is_orig, "NPDU addresses cut short"))
                return
            if p > end:
                out.append(weird("bacnet_malformed_npdu", ts, frame, is_orig, "NPDU addresses cut short"))
                return
            f["expecting_reply"] = bool(ctl & 0x04)
        if ctl & 0x03:
            f["network_priority"] = PRIORITIES[ctl & 0x03]
        if ctl & 0x80:
            network_message(b, p, end, f, is_orig, ts, frame, out)
        else:
            self._apdu(b, p, end, f, is_orig, ts, frame, out)

    # -- APDU -------------------------------------------------------------------------------------

    def _apdu(self, b: bytes, p: int, end: int, f: dict[str, Any], is_orig: bool, ts: float, frame: int,
              out: list[Event]) -> None:
        if p >= end:
            out.append(weird("bacnet_malformed_apdu", ts, frame, is_orig, "empty APDU"))
            return
        x = b[p]
        typ = x >> 4
        if typ > 7:
            out.append(weird("bacnet_unknown_apdu_type", ts, frame, is_orig, f"APDU type {typ}"))
            return
        f["apdu_type"] = APDU_TYPES[typ]
        need = (4, 2, 3, 3, 4, 3, 3, 3)[typ]
        if typ in (CONFIRMED_REQUEST, COMPLEX_ACK) and x & 0x08:
            need += 2
        if end - p < need:
            out.append(weird("bacnet_malformed_apdu", ts, frame, is_orig,
                             f"{APDU_TYPES[typ]} header needs {need} octets, {end - p} left"))
            return
        parser: Parser | None = None
        if typ == CONFIRMED_REQUEST:
            inv = b[p + 2]
            s = p + 3
            f["invoke_id"] = inv
            b1 = b[p + 1]
            f["segmented_response_accepted"] = bool(x & 0x02)
            f["max_segments"] = MAX_SEGMENTS[(b1 >> 4) & 7]
            f["max_apdu"] = MAX_APDU.get(b1 & 15)
        elif typ == COMPLEX_ACK:
            inv = b[p + 1]
            s = p + 2
            f["invoke_id"] = inv
        elif typ == 1:
            svc = b[p + 1]
            f["service"] = UNCONFIRMED_NAMES[svc]
            f["service_code"] = svc
            self._parse(UNCONFIRMED_PARSERS.get(svc), b, p + 2, end, f, is_orig, ts, frame, out)
            if "identity" in f and ("forwarded_from" in f or "sadr" in f):
                # the sender is a BBMD or router, not the device that states its identity
                f["remote_identity"] = f.pop("identity")
            out.append(Event(UNCONFIRMED_EVENTS[svc], ts, frame, is_orig, f))
            return
        else:
            self._answer(b, p, end, typ, f, is_orig, ts, frame, out)
            return
        # confirmed request or complex ack: maybe segmented
        if x & 0x08:
            seq, win, svc = b[s], b[s + 1], b[s + 2]
            f["service"] = CONFIRMED_NAMES[svc]
            f["service_code"] = svc
            f["segmented"] = True
            f["more_follows"] = bool(x & 0x04)
            f["sequence_number"] = seq
            f["window_size"] = win
            body = self._segment((is_orig, inv), seq, bool(x & 0x04), b[s + 3:end], f, is_orig, ts, frame, out)
            if body is None:
                out.append(Event("bacnet_segment", ts, frame, is_orig, f))
                return
            b, s, end = body, 0, len(body)
        else:
            svc = b[s]
            f["service"] = CONFIRMED_NAMES[svc]
            f["service_code"] = svc
            s += 1
        if typ == CONFIRMED_REQUEST:
            parser = REQUEST_PARSERS.get(svc)
            self._parse(parser, b, s, end, f, is_orig, ts, frame, out)
            self._remember((is_orig, inv), svc, f, ts, frame, out)
            out.append(Event(REQUEST_EVENTS[svc], ts, frame, is_orig, f))
        else:
            self._recall((not is_orig, inv), svc, f)
            self._parse(ACK_PARSERS.get(svc), b, s, end, f, is_orig, ts, frame, out)
            if "identity" in f and ("forwarded_from" in f or "sadr" in f):
                f["remote_identity"] = f.pop("identity")
            out.append(Event(ACK_EVENTS[svc], ts, frame, is_orig, f))

    def _answer(self, b: bytes, p: int, end: int, typ: int, f: dict[str, Any], is_orig: bool, ts: float,
                frame: int, out: list[Event]) -> None:
        """Simple ack, segment ack, error, reject, abort."""
        x = b[p]
        inv = b[p + 1]
        f["invoke_id"] = inv
        if typ in (SIMPLE_ACK, ERROR):
            svc = b[p + 2]
            f["service"] = CONFIRMED_NAMES[svc]
            f["service_code"] = svc
            self._recall((not is_orig, inv), svc, f)
            if typ == ERROR:
                self._parse(error, b, p + 3, end, f, is_orig, ts, frame, out)
                out.append(Event(ERROR_EVENTS[svc], ts, frame, is_orig, f))
            else:
                out.append(Event(ACK_EVENTS[svc], ts, frame, is_orig, f))
            return
        if typ == SEGMENT_ACK:
            server = bool(x & 0x01)
            f["negative_ack"] = bool(x & 0x02)
            f["server"] = server
            f["sequence_number"] = b[p + 2]
            f["window_size"] = b[p + 3]
            # sent by the client (acking a segmented answer): the sender is the requester; sent by the
            # server (acking a segmented request): the peer is
            key = (not is_orig if server else is_orig, inv)
            pend = self._pending.get(key)
            f["service"] = CONFIRMED_NAMES[pend[0]] if pend is not None else None
            out.append(Event("bacnet_segment_ack", ts, frame, is_orig, f))
            return
        reason = b[p + 2]
        if typ == REJECT:
            f["reject_reason"] = name_of(REJECT_REASONS, reason)
            key = (not is_orig, inv)
            name = "bacnet_reject"
        else:
            assert typ == ABORT
            server = bool(x & 0x01)
            f["server"] = server
            f["abort_reason"] = name_of(ABORT_REASONS, reason)
            key = (not is_orig if server else is_orig, inv)
            name = "bacnet_abort"
        pend = self._pending.pop(key, None)
        f["service"] = CONFIRMED_NAMES[pend[0]] if pend is not None else None
        if pend is not None:
            for k, v in pend[1].items():
                f.setdefault(k, v)
        self._segs.pop((is_orig, inv), None)
        self._segs.pop((not is_orig, inv), None)
        out.append(Event(name, ts, frame, is_orig, f))

    def _parse(self, parser: Parser | None, b: bytes, s: int, end: int, f: dict[str, Any], is_orig: bool,
               ts: float, frame: int, out: list[Event]) -> None:
        if parser is None or s > end:
            return
        try:
            parser(b, tokenize(b, s, end), f)
        except _PARSE_ERRORS as e:
            out.append(weird("bacnet_malformed_apdu", ts, frame, is_orig, f"{f.get('service')}: {e}"))

    # -- pairing ----------------------------------------------------------------------------------

    def _remember(self, key: Key, svc: int, f: dict[str, Any], ts: float, frame: int, out: list[Event]) -> None:
        pending = self._pending
        if key in pending:
            self.unanswered_requests += 1
        elif len(pending) >= MAX_PENDING:
            del pending[next(iter(pending))]
            self.unanswered_requests += 1
        pending[key] = (svc, {k: f[k] for k in _CONTEXT_KEYS if k in f})

    def _recall(self, key: Key, svc: int, f: dict[str, Any]) -> None:
        pend = self._pending.pop(key, None)
        if pend is None:
            self.unmatched_responses += 1
            return
        if pend[0] == svc:
            for k, v in pend[1].items():
                f.setdefault(k, v)

    # -- segmentation -----------------------------------------------------------------------------

    def _segment(self, key: Key, seq: int, more: bool, chunk: bytes, f: dict[str, Any], is_orig: bool, ts: float,
                 frame: int, out: list[Event]) -> bytes | None:
        """Add one segment; the whole service data when it was the last one, else None."""
        segs = self._segs
        st = segs.get(key)
        if seq == 0:
            if st is not None:
                out.append(weird("bacnet_segment_restart", ts, frame, is_orig, f"invoke id {key[1]}"))
            if len(segs) >= MAX_REASSEMBLIES and key not in segs:
                del segs[next(iter(segs))]
                out.append(weird("bacnet_too_many_reassemblies", ts, frame, is_orig, str(MAX_REASSEMBLIES)))
            st = [1, [chunk], len(chunk), 1]
            segs[key] = st
        elif st is None:
            out.append(weird("bacnet_segment_without_start", ts, frame, is_orig,
                             f"invoke id {key[1]}, sequence {seq}"))
            return None
        elif seq == (st[0] - 1) & 0xFF:
            out.append(weird("bacnet_segment_duplicate", ts, frame, is_orig, f"invoke id {key[1]}, sequence {seq}"))
            return None
        elif seq != st[0]:
            del segs[key]
            out.append(weird("bacnet_segment_out_of_order", ts, frame, is_orig,
                             f"invoke id {key[1]}: sequence {seq}, expected {st[0]}"))
            return None
        else:
            st[0] = (seq + 1) & 0xFF
            st[1].append(chunk)
            st[2] += len(chunk)
            st[3] += 1
            if st[2] > MAX_REASSEMBLED:
                del segs[key]
                out.append(weird("bacnet_reassembly_overflow", ts, frame, is_orig,
                                 f"invoke id {key[1]}: more than {MAX_REASSEMBLED} octets"))
                return None
        if more:
            return None
        del segs[key]
        f["segments"] = st[3]
        return b"".join(st[1])

    # -- end --------------------------------------------------------------------------------------

    def finish(self, ts: float, frame: int) -> list[Event]:
        out: list[Event] = []
        if self.violated:
            return out
        self.unanswered_requests += len(self._pending)
        self._pending.clear()
        if self.unanswered_requests:
            out.append(weird("bacnet_unanswered_requests", ts, frame, None, str(self.unanswered_requests)))
        for (orig, inv), st in self._segs.items():
            out.append(weird("bacnet_incomplete_segmented_message", ts, frame, orig,
                             f"invoke id {inv}: {st[3]} segments, {st[2]} octets"))
        self._segs.clear()
        return out


__all__ = ["BacnetDecoder"]
