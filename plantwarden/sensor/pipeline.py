"""The sensor: capture records -> flows -> reassembled streams -> decoders -> events for the sinks.

The sensor is passive: it reads capture files and never transmits. Everything it finds odd is a
named weird, counted in ``stats`` and logged as an event; nothing the input contains makes it raise.
"""

from __future__ import annotations

import copy
import os
import struct
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import Protocol

from plantwarden.core.events import Event, weird
from plantwarden.core.flow import Flow
from plantwarden.decoders.base import Decoder
from plantwarden.decoders.registry import DECODERS
from plantwarden.sensor.choice import Undecided
from plantwarden.sensor.packet import Segment, dissect
from plantwarden.sensor.readers import ProgressCallback, Record, WeirdCallback, read_capture
from plantwarden.sensor.reassembly import Half, Piece, seq_diff

_u32 = struct.Struct(">I").unpack_from

#: (flow, the events of one decoder call, in order), or (flow, None) when that flow ended
Batch = list[tuple[Flow | None, list[Event] | None]]

SYN, FIN, RST, ACK = 0x02, 0x01, 0x04, 0x10

#: the link type of a record that is no packet but a clock tick from a live source (see
#: :meth:`Sensor.iter_record_batches`)
TICK = -1


class Sink(Protocol):
    def on_event(self, capture: str, flow: Flow | None, ev: Event) -> None: ...

    def on_flow_end(self, capture: str, flow: Flow) -> None: ...


class _State:
    """The sensor's own per-flow state: the flow's two table keys and, for TCP, the two halves."""

    __slots__ = ("okey", "rkey", "orig", "resp", "closing", "probes", "reprobed")

    def __init__(self, okey: bytes, rkey: bytes, max_pending: int, tcp: bool) -> None:
        self.okey = okey
        self.rkey = rkey
        self.orig = Half(max_pending) if tcp else None
        self.resp = Half(max_pending) if tcp else None
        self.closing = False
        self.probes = 0
        self.reprobed = False  # the other decoders had their one chance after a violation


FlowTable = dict[bytes, tuple[Flow, bool]]


class Limits:
    """Memory and time bounds of the sensor (see docs/sensor.md)."""

    def __init__(self, max_pending_per_direction: int = 256 * 1024, tcp_idle_timeout: float = 300.0,
                 udp_idle_timeout: float = 60.0, closed_linger: float = 5.0, max_flows: int = 200_000,
                 sweep_interval: float = 10.0) -> None:
        self.max_pending_per_direction = max_pending_per_direction
        self.tcp_idle_timeout = tcp_idle_timeout
        self.udp_idle_timeout = udp_idle_timeout
        self.closed_linger = closed_linger
        self.max_flows = max_flows
        self.sweep_interval = sweep_interval


class Sensor:
    """Decodes capture files; hands each event and each finished flow to the sinks."""

    def __init__(self, sinks: Iterable[Sink] = (), decoders: Iterable[type[Decoder]] = DECODERS,
                 limits: Limits | None = None) -> None:
        self.sinks = list(sinks)
        self.decoders = tuple(decoders)
        self.limits = limits or Limits()
        #: port -> the decoders that claim it, in registry order
        self.tcp_ports: dict[int, tuple[type[Decoder], ...]] = {}
        self.udp_ports: dict[int, tuple[type[Decoder], ...]] = {}
        self.ethertypes: dict[int, type[Decoder]] = {}
        for d in self.decoders:
            if d.transport == "ether":
                for et in d.ethertypes:
                    self.ethertypes.setdefault(et, d)
                continue
            table = self.tcp_ports if d.transport == "tcp" else self.udp_ports
            for p in d.default_ports:
                table[p] = (*table.get(p, ()), d)
        self.stats: Counter[str] = Counter()
        #: the messages of exceptions raised by sinks (counted in stats["sink_exceptions"])
        self.sink_errors: list[str] = []
        self._uid = 0

    # -- public API -------------------------------------------------------------------------------

    def process_file(self, path: str | os.PathLike[str], progress: ProgressCallback | None = None,
                     name: str | None = None) -> Counter[str]:
        """Decode one capture, feeding the sinks. Returns this file's counters (also added to stats)."""
        capture = name if name is not None else os.fspath(path)
        return self._dispatch(capture, self.iter_batches(path, progress))

    def process_records(self, records: Iterable[Record], name: str,
                        on_batch: Callable[[], None] | None = None) -> Counter[str]:
        """Decode records from any source (e.g. a live capture, sensor/live.py), feeding the sinks.

        Same path as :meth:`process_file`. ``on_batch`` is called after each batch has reached the
        sinks (at least after every :data:`TICK` record), so a caller can act between batches, e.g.
        store what the sinks gathered. Returns the counters of this run (also added to stats).
        """
        return self._dispatch(name, self.iter_record_batches(records), on_batch)

    def _dispatch(self, capture: str, batches: Iterable[Batch],
                  on_batch: Callable[[], None] | None = None) -> Counter[str]:
        before = self.stats.copy()
        on_event = [s.on_event for s in self.sinks]
        on_flow_end = [s.on_flow_end for s in self.sinks]
        n_events = 0
        for batch in batches:
            for flow, events in batch:
                if events is None:
                    assert flow is not None
                    for end in on_flow_end:
                        try:
                            end(capture, flow)
                        except Exception as exc:  # a sink's bug costs that sink this item only
                            self._sink_failed(exc)
                    continue
                n_events += len(events)
                for fn in on_event:
                    try:
                        for ev in events:
                            fn(capture, flow, ev)
                    except Exception as exc:
                        self._sink_failed(exc)
            if on_batch is not None:
                self.stats["events"] += n_events
                n_events = 0
                on_batch()
        self.stats["events"] += n_events
        return self.stats - before

    def iter_batches(self, path: str | os.PathLike[str],
                     progress: ProgressCallback | None = None) -> Iterator[Batch]:
        """Decode one capture and yield its events in batches, in order.

        Each item is (flow, events) for the events of one decoder call, or (flow, None) for the end
        of that flow, which comes after its last events.
        """
        with open(path, "rb") as f:
            yield from self._batches(lambda on_weird: read_capture(f, on_weird, progress))

    def iter_record_batches(self, records: Iterable[Record]) -> Iterator[Batch]:
        """Like :meth:`iter_batches`, for ``(ts, linktype, data, orig_len)`` records from any source.

        A record with link type :data:`TICK` is no packet: it says that time ``ts`` has come (a live
        source sends one when it waits for packets). The sensor then looks for idle flows if a sweep
        is due and yields what it holds, even an empty batch.
        """
        return self._batches(lambda _on_weird: records)

    def _batches(self, open_records: Callable[[WeirdCallback], Iterable[Record]]) -> Iterator[Batch]:
        """The one packet loop, shared by files and live sources."""
        tcp_flows: FlowTable = {}
        tables: tuple[FlowTable, FlowTable, FlowTable] = (tcp_flows, {}, {})  # TCP, UDP, layer 2
        out: Batch = []
        stats = self.stats
        stats["captures"] += 1
        frame = 0
        ts = 0.0
        tcp_known = self._tcp_known
        tcp_get = tcp_flows.get
        packet = self._packet
        sweep_interval = self.limits.sweep_interval

        def on_reader_weird(name: str, fr: int, detail: str) -> None:
            stats["weird." + name] += 1
            out.append((None, [weird(name, ts, fr, None, detail)]))

        next_sweep = -1.0
        odd_links: set[int] = set()
        limit = 2048  # batch size; -1 after a tick, so that what is held goes out at once
        for ts, linktype, data, orig_len in open_records(on_reader_weird):
            # Fast path: an established TCP flow over Ethernet and IPv4 without options or
            # fragmentation, fully captured, no SYN/FIN/RST. Everything else takes dissect().
            if linktype == 1 and data[12] == 8 and data[13] == 0 and data[14] == 0x45 \
                    and data[23] == 6 and not (data[20] & 0x3F or data[21]) and orig_len == len(data):
                frame += 1
                end = 14 + (data[16] << 8 | data[17])
                start = 34 + (data[46] >> 4) * 4
                hit = tcp_get(data[26:38])
                if hit is not None and 54 <= start <= end <= orig_len and not data[47] & 7:
                    tcp_known(hit[0], hit[1], _u32(data, 38)[0], _u32(data, 42)[0], data[47],
                              data[start:end], 0, ts, frame, out)
                else:
                    packet(tables, linktype, data, orig_len, ts, frame, out, odd_links)
            elif linktype != TICK:
                frame += 1
                packet(tables, linktype, data, orig_len, ts, frame, out, odd_links)
            else:
                limit = -1
            if ts >= next_sweep:
                if next_sweep >= 0:
                    for table in tables:
                        self._sweep(table, ts, frame, out)
                next_sweep = ts + sweep_interval
            if len(out) > limit:
                yield out
                out = []
                limit = 2048
        stats["packets"] += frame
        for table in tables:
            for flow, is_orig in list(table.values()):
                if is_orig:
                    self._end_flow(flow, ts, frame, out)
            table.clear()
        yield out

    # -- internals --------------------------------------------------------------------------------

    def _packet(self, tables: tuple[FlowTable, FlowTable, FlowTable], linktype: int, data: bytes,
                orig_len: int, ts: float, frame: int, out: Batch, odd_links: set[int]) -> None:
        """The general path of one frame: full dissection, then the flow of its transport."""
        stats = self.stats
        seg = dissect(linktype, data, orig_len)
        if seg.__class__ is not Segment:
            if seg is None:
                stats["non_ip"] += 1
            elif seg == "unsupported_link_type":
                stats["unsupported_link_type"] += 1
                if linktype not in odd_links:  # one weird per link type and capture
                    odd_links.add(linktype)
                    self._weird(out, "unsupported_link_type", ts, frame, f"link type {linktype}")
            else:
                self._weird(out, str(seg), ts, frame)
            return
        assert isinstance(seg, Segment)
        if orig_len > len(data):
            self._weird(out, "truncated_frame", ts, frame, f"captured {len(data)} of {orig_len} bytes (snap length)")
        if seg.fragment:
            stats["ip_fragments"] += 1
            if not seg.key:
                return
        proto = seg.transport
        if proto == 6:
            self._tcp(tables[0], seg, ts, frame, out)
        elif proto == 17:
            self._udp(tables[1], seg, ts, frame, out)
        elif proto == 0:
            if seg.ethertype in self.ethertypes:
                self._l2(tables[2], seg, ts, frame, out)
            else:
                stats["non_ip"] += 1
        else:
            stats["other_transport"] += 1
        for table in tables:
            if len(table) > 2 * self.limits.max_flows:  # more live flows than allowed (2 keys each)
                self._sweep(table, ts, frame, out)

    def _sink_failed(self, exc: Exception) -> None:
        self.stats["sink_exceptions"] += 1
        if len(self.sink_errors) < 100:
            self.sink_errors.append(f"{type(exc).__name__}: {exc}")

    def _weird(self, out: Batch, name: str, ts: float, frame: int, detail: str = "",
               flow: Flow | None = None, is_orig: bool | None = None) -> None:
        self.stats["weird." + name] += 1
        out.append((flow, [weird(name, ts, frame, is_orig, detail)]))

    def _new_flow(self, flows: FlowTable, seg: Segment, sender_is_orig: bool, transport: str, ts: float,
                  frame: int) -> Flow:
        self._uid += 1
        if sender_is_orig:
            flow = Flow(transport, seg.src, seg.sport, seg.dst, seg.dport, ts, frame, self._uid)
            flow.orig_mac, flow.resp_mac = seg.src_mac, seg.dst_mac
            okey, rkey = seg.key, seg.rkey
        else:
            flow = Flow(transport, seg.dst, seg.dport, seg.src, seg.sport, ts, frame, self._uid)
            flow.orig_mac, flow.resp_mac = seg.dst_mac, seg.src_mac
            okey, rkey = seg.rkey, seg.key
        flow.vlan = seg.vlan
        flow.state = _State(okey, rkey, self.limits.max_pending_per_direction, transport == "tcp")
        flows[okey] = (flow, True)
        flows[rkey] = (flow, False)
        self.stats["flows." + transport] += 1
        ports = self.tcp_ports if transport == "tcp" else self.udp_ports if transport == "udp" else {}
        classes = ports.get(flow.resp_port) or ports.get(flow.orig_port)
        if classes is not None:
            if len(classes) == 1:
                flow.decoder = classes[0]()
                flow.proto = classes[0].name
            else:  # several protocols share the port: the first to confirm wins (sensor/choice.py)
                flow.decoder = Undecided(flow, classes)
        return flow

    def _server_side(self, sport: int, dport: int, ports: dict[int, tuple[type[Decoder], ...]]) -> bool:
        """For a flow first seen mid-way: is the sender the server?"""
        if sport in ports and dport not in ports:
            return True
        if dport in ports:
            return False
        return sport < 1024 <= dport

    def _tcp(self, flows: FlowTable, seg: Segment, ts: float, frame: int, out: Batch) -> None:
        flags = seg.flags
        hit = flows.get(seg.key)
        if hit is not None and flags & SYN and not flags & ACK and hit[0].state.closing:
            self._end_flow(hit[0], ts, frame, out)  # port reuse: a new connection
            self._forget(flows, hit[0])
            hit = None
        if hit is None:
            handshake = flags & (SYN | FIN | RST)
            if handshake == SYN:  # a clean SYN or SYN-ACK says who opened the connection
                sender_is_orig = not flags & ACK
            else:  # first seen mid-way (or a nonsense flag combination): the server port decides
                sender_is_orig = not self._server_side(seg.sport, seg.dport, self.tcp_ports)
            flow = self._new_flow(flows, seg, sender_is_orig, "tcp", ts, frame)
            is_orig = sender_is_orig
        else:
            flow, is_orig = hit
        if is_orig:
            if flow.orig_mac is None:
                flow.orig_mac = seg.src_mac
        elif flow.resp_mac is None:
            flow.resp_mac = seg.src_mac
        self._tcp_known(flow, is_orig, seg.seq, seg.ack, flags, seg.payload, seg.missing, ts, frame, out)

    def _tcp_known(self, flow: Flow, is_orig: bool, seq: int, ack: int, flags: int, payload: bytes,
                   missing: int, ts: float, frame: int, out: Batch) -> None:
        """One segment of a known TCP flow: counters, reassembly, delivery."""
        st: _State = flow.state
        flow.last_ts = ts
        if is_orig:
            half, other = st.orig, st.resp
            flow.orig_pkts += 1
            flow.orig_bytes += len(payload) + missing
        else:
            half, other = st.resp, st.orig
            flow.resp_pkts += 1
            flow.resp_bytes += len(payload) + missing
        assert half is not None and other is not None
        if flags & 7:
            if flags & SYN:
                half.start(seq + 1)
                seq = (seq + 1) & 0xFFFFFFFF
            if flags & RST:
                st.closing = True
        if other.pending and flags & ACK and other.next_seq is not None \
                and seq_diff(ack, other.next_seq) > 0:
            # the peer acknowledged bytes that the capture never saw: a gap in the other direction.
            # Handled first, so that what the peer sent before this packet is decoded before it.
            self._pieces(flow, other.skip_hole(ts, frame, ack), not is_orig, out)
        if payload:
            if half.next_seq == seq and not half.pending:  # the common case: in order
                n = len(payload)
                half.next_seq = (seq + n) & 0xFFFFFFFF
                half.delivered += n
                dec = flow.decoder
                if dec is None or dec.violated:
                    self._deliver(flow, payload, is_orig, ts, frame, out)
                else:
                    try:
                        events = dec.feed(payload, is_orig, ts, frame)
                    except Exception as exc:  # a decoder bug must not stop the sensor
                        self._decoder_failed(flow, exc, ts, frame, out, is_orig)
                    else:
                        if events:
                            out.append((flow, events))
                        if dec.violated:
                            self._reprobe(flow, payload, is_orig, ts, frame, out)
            else:
                self._pieces(flow, half.accept(seq, payload, ts, frame), is_orig, out)
            if missing and half.next_seq == (seq + len(payload)) & 0xFFFFFFFF:
                half.skip(missing)
                self._pieces(flow, [(missing, ts, frame)], is_orig, out)
        elif missing and half.next_seq == seq:
            half.skip(missing)
            self._pieces(flow, [(missing, ts, frame)], is_orig, out)
        if flags & FIN:
            half.fin = True
            if other.fin:
                st.closing = True

    def _udp(self, flows: FlowTable, seg: Segment, ts: float, frame: int, out: Batch) -> None:
        hit = flows.get(seg.key)
        if hit is None:
            sender_is_orig = not self._server_side(seg.sport, seg.dport, self.udp_ports)
            flow = self._new_flow(flows, seg, sender_is_orig, "udp", ts, frame)
            is_orig = sender_is_orig
        else:
            flow, is_orig = hit
        self._datagram(flow, is_orig, seg, ts, frame, out)

    def _l2(self, flows: FlowTable, seg: Segment, ts: float, frame: int, out: Batch) -> None:
        """A layer-2 frame of a registered Ethernet type: a flow per (source, destination, type)."""
        hit = flows.get(seg.key)
        if hit is None:
            flow = self._new_flow(flows, seg, True, "ether", ts, frame)
            cls = self.ethertypes[seg.ethertype]
            flow.decoder = cls()
            flow.proto = cls.name
            is_orig = True
        else:
            flow, is_orig = hit
        self._datagram(flow, is_orig, seg, ts, frame, out)

    def _datagram(self, flow: Flow, is_orig: bool, seg: Segment, ts: float, frame: int, out: Batch) -> None:
        flow.last_ts = ts
        if is_orig:
            flow.orig_pkts += 1
            flow.orig_bytes += len(seg.payload) + seg.missing
        else:
            flow.resp_pkts += 1
            flow.resp_bytes += len(seg.payload) + seg.missing
        if seg.payload:
            self._deliver(flow, seg.payload, is_orig, ts, frame, out)

    def _pieces(self, flow: Flow, pieces: list[Piece], is_orig: bool, out: Batch) -> None:
        for p, ts, frame in pieces:
            if isinstance(p, int):
                self.stats["tcp_gap_bytes"] += p
                self._weird(out, "tcp_content_gap", ts, frame, f"{p} bytes missing", flow, is_orig)
                dec = flow.decoder
                if dec is not None and not dec.violated:
                    self._call(flow, dec.gap, (p, is_orig, ts, frame), ts, frame, out, is_orig)
            else:
                self._deliver(flow, p, is_orig, ts, frame, out)

    def _deliver(self, flow: Flow, data: bytes, is_orig: bool, ts: float, frame: int, out: Batch) -> None:
        dec = flow.decoder
        if dec is None:
            if not self._probe(flow, data, is_orig):
                return
            dec = flow.decoder
        if dec.violated:
            return
        try:
            events = dec.feed(data, is_orig, ts, frame)
        except Exception as exc:  # a decoder bug must not stop the sensor
            self._decoder_failed(flow, exc, ts, frame, out, is_orig)
            return
        if events:
            out.append((flow, events))
        if dec.violated:
            self._reprobe(flow, data, is_orig, ts, frame, out)

    def _probe(self, flow: Flow, data: bytes, is_orig: bool) -> bool:
        """Choose a decoder by content for a flow on a port that no decoder claims."""
        st: _State = flow.state
        st.probes += 1
        if st.probes > 4:  # given up: no decoder for this flow
            return False
        best = self._best_probe(flow.transport, data, is_orig, ())
        if best is None:
            return False
        flow.decoder = best()
        flow.proto = best.name
        self.stats["probed." + best.name] += 1
        return True

    def _best_probe(self, transport: str, data: bytes, is_orig: bool,
                    exclude: Iterable[type[Decoder]]) -> type[Decoder] | None:
        """The decoder whose probe scores ``data`` highest (above 0.5), or None."""
        best: type[Decoder] | None = None
        score = 0.5
        skip = set(exclude)
        for cls in self.decoders:
            if cls.transport != transport or cls in skip:
                continue
            try:
                s = cls.probe(data, is_orig)
            except Exception:
                self.stats["probe_exceptions"] += 1
                continue
            if s > score:
                best, score = cls, s
        return best

    def _reprobe(self, flow: Flow, data: bytes, is_orig: bool, ts: float, frame: int, out: Batch) -> None:
        """The decoder chosen by port refused the flow's first data (a scanner's TLS or HTTP on 502, say):
        let the other decoders probe that data once, and hand the flow to the best of them."""
        st: _State = flow.state
        dec = flow.decoder
        if st.reprobed or dec is None or dec.confirmed or flow.transport not in ("tcp", "udp"):
            return
        st.reprobed = True
        ports = self.tcp_ports if flow.transport == "tcp" else self.udp_ports
        claimed = (*ports.get(flow.resp_port, ()), *ports.get(flow.orig_port, ()), type(dec))
        best = self._best_probe(flow.transport, data, is_orig, claimed)
        if best is None:
            return
        self.stats["reprobed." + best.name] += 1
        # what the refusing decoder just said (its violation weird) stays under its own protocol
        before = copy.copy(flow)
        i = len(out) - 1
        while i >= 0 and out[i][0] is flow:
            out[i] = (before, out[i][1])
            i -= 1
        flow.decoder = best()
        flow.proto = best.name
        self._call(flow, flow.decoder.feed, (data, is_orig, ts, frame), ts, frame, out, is_orig)

    def _call(self, flow: Flow, fn: Callable[..., list[Event]], args: tuple[object, ...], ts: float,
              frame: int, out: Batch, is_orig: bool | None = None) -> None:
        try:
            events = fn(*args)
        except Exception as exc:
            self._decoder_failed(flow, exc, ts, frame, out, is_orig)
            return
        if events:
            out.append((flow, events))

    def _decoder_failed(self, flow: Flow, exc: Exception, ts: float, frame: int, out: Batch,
                        is_orig: bool | None) -> None:
        flow.decoder.violated = True
        self._weird(out, "decoder_exception", ts, frame, f"{type(exc).__name__}: {exc}", flow, is_orig)

    def _end_flow(self, flow: Flow, ts: float, frame: int, out: Batch) -> None:
        st: _State = flow.state
        if st.orig is not None and st.resp is not None:
            self._pieces(flow, st.orig.flush(ts, frame), True, out)
            self._pieces(flow, st.resp.flush(ts, frame), False, out)
            self.stats["tcp_retransmissions"] += st.orig.retransmitted + st.resp.retransmitted
            self.stats["tcp_overlaps"] += st.orig.overlaps + st.resp.overlaps
        dec = flow.decoder
        if dec is not None and not dec.violated:
            self._call(flow, dec.finish, (ts, frame), ts, frame, out)
        # the end travels in the batch, after the flow's last events, so sinks see them in order
        out.append((flow, None))

    @staticmethod
    def _forget(flows: FlowTable, flow: Flow) -> None:
        st: _State = flow.state
        flows.pop(st.okey, None)
        flows.pop(st.rkey, None)

    def _sweep(self, flows: FlowTable, now: float, frame: int, out: Batch) -> None:
        """End the flows that went idle (in capture time); evict the oldest past ``max_flows``."""
        lim = self.limits
        expired = []
        live = []
        for flow, is_orig in flows.values():
            if not is_orig:
                continue
            idle = now - flow.last_ts
            if flow.transport == "tcp":
                if idle > lim.tcp_idle_timeout or (flow.state.closing and idle > lim.closed_linger):
                    expired.append(flow)
                    continue
            elif idle > lim.udp_idle_timeout:  # UDP and layer 2
                expired.append(flow)
                continue
            live.append(flow)
        over = len(live) - lim.max_flows
        if over > 0:
            live.sort(key=lambda f: f.last_ts)
            expired.extend(live[:over])
            self.stats["flows_evicted"] += over
        for flow in expired:
            self._end_flow(flow, now, frame, out)
            self._forget(flows, flow)
