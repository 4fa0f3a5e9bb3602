"""Per-direction TCP stream reassembly.

Each direction of a connection is a :class:`Half`: it knows the next sequence number it expects and
holds segments that arrived ahead of it. ``accept`` turns one segment into the pieces of the stream
that can now be delivered in order: ``bytes`` for data and ``int`` for a gap (bytes that will never
be seen), each with the time and frame of the packet that carried it. Retransmissions and overlaps deliver only the bytes not delivered before; a stream that
starts mid-way takes the first segment it sees as its start.

Memory is bounded: a half holds at most ``max_pending`` bytes ahead of a hole; past that the hole is
declared a gap and the stream moves on. The sensor also declares gaps when the peer acknowledges
bytes that were never captured, and when a flow ends with a hole.
"""

from __future__ import annotations

MASK = 0xFFFFFFFF
HALF = 0x80000000


def seq_diff(a: int, b: int) -> int:
    """a - b in sequence space (signed, modulo 2**32)."""
    d = (a - b) & MASK
    return d - 0x100000000 if d >= HALF else d


#: (data or the size of a gap, ts, frame): held data keeps the time and frame of its own packet
Piece = tuple[bytes | int, float, int]


class Half:
    __slots__ = ("next_seq", "pending", "pending_bytes", "max_pending", "retransmitted", "overlaps",
                 "fin", "delivered")

    def __init__(self, max_pending: int = 256 * 1024) -> None:
        self.next_seq: int | None = None
        self.pending: dict[int, tuple[bytes, float, int]] = {}
        self.pending_bytes = 0
        self.max_pending = max_pending
        self.retransmitted = 0  # segments that brought nothing new
        self.overlaps = 0  # segments that partly repeated delivered bytes
        self.fin = False
        self.delivered = 0  # stream bytes delivered (data only)

    def start(self, seq: int) -> None:
        """Set the initial sequence number (from a SYN: seq + 1)."""
        self.next_seq = seq & MASK

    def accept(self, seq: int, payload: bytes, ts: float, frame: int) -> list[Piece]:
        """Take one segment; return the in-order pieces it releases."""
        nxt = self.next_seq
        if nxt is None:
            nxt = self.next_seq = seq
        d = seq_diff(seq, nxt)
        n = len(payload)
        if d > 0:
            self._hold(seq, payload, ts, frame)
            if self.pending_bytes > self.max_pending:
                return self.skip_hole(ts, frame)
            return []
        if d < 0:
            if d + n <= 0:
                self.retransmitted += 1
                return []
            self.overlaps += 1
            payload = payload[-d:]
            n = len(payload)
        out: list[Piece] = [(payload, ts, frame)]
        self.next_seq = (nxt + n) & MASK
        self.delivered += n
        if self.pending:
            self._drain(out)
        return out

    def _hold(self, seq: int, payload: bytes, ts: float, frame: int) -> None:
        old = self.pending.get(seq)
        if old is not None:
            if len(old[0]) >= len(payload):
                self.retransmitted += 1
                return
            self.pending_bytes -= len(old[0])
        self.pending[seq] = (payload, ts, frame)
        self.pending_bytes += len(payload)

    def _drain(self, out: list[Piece]) -> None:
        """Release held segments that are now in order (or overlap what was delivered)."""
        pending = self.pending
        while pending:
            nxt = self.next_seq
            assert nxt is not None
            best = None
            for s in pending:
                if seq_diff(s, nxt) <= 0:
                    best = s
                    break
            if best is None:
                return
            data, ts, frame = pending.pop(best)
            self.pending_bytes -= len(data)
            d = seq_diff(best, nxt)
            if d + len(data) <= 0:
                self.retransmitted += 1
                continue
            if d < 0:
                self.overlaps += 1
                data = data[-d:]
            out.append((data, ts, frame))
            self.next_seq = (nxt + len(data)) & MASK
            self.delivered += len(data)

    def skip_hole(self, ts: float, frame: int, upto: int | None = None) -> list[Piece]:
        """Declare the hole before the first held segment (or up to ``upto``) a gap and move on."""
        nxt = self.next_seq
        if nxt is None:
            return []
        if self.pending:
            first = min(self.pending, key=lambda s: seq_diff(s, nxt))
            target = first if upto is None or seq_diff(upto, first) > 0 else upto
        elif upto is not None:
            target = upto
        else:
            return []
        gap = seq_diff(target, nxt)
        if gap <= 0:
            return []
        out: list[Piece] = [(gap, ts, frame)]
        self.next_seq = target & MASK
        self._drain(out)
        return out

    def flush(self, ts: float, frame: int) -> list[Piece]:
        """At the end of the flow: deliver everything held, with gaps for the holes."""
        out: list[Piece] = []
        while self.pending:
            out.extend(self.skip_hole(ts, frame))
        return out

    def skip(self, nbytes: int) -> None:
        """Bytes of the stream that were announced but not captured (snap length): a gap."""
        if self.next_seq is not None:
            self.next_seq = (self.next_seq + nbytes) & MASK
