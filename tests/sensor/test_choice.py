"""Several decoders on one port: the first to confirm takes the flow (plantwarden/sensor/choice.py)."""

from plantwarden.core.events import Event, weird
from plantwarden.decoders.base import Decoder
from plantwarden.sensor.eventlog import iter_records
from plantwarden.sensor.pipeline import Sensor

from .frames import pcap
from .test_pipeline import C, S, handshake, pkt


class Prefixed(Decoder):
    """Lines that start with its prefix are its messages; a handshake line 'HELLO' is neutral."""

    transport = "tcp"
    default_ports = (7777,)
    prefix = b""

    def feed(self, data: bytes, is_orig: bool, ts: float, frame: int) -> list[Event]:
        out = []
        for line in data.split(b"\n")[:-1]:
            if line == b"HELLO":
                out.append(Event(f"{self.name}_hello", ts, frame, is_orig, {}))
            elif line.startswith(self.prefix):
                self.confirmed = True
                out.append(Event(f"{self.name}_msg", ts, frame, is_orig, {"text": line.decode()}))
            else:
                self.violated = True
                out.append(weird(f"{self.name}_violation", ts, frame, is_orig))
        return out


class Alpha(Prefixed):
    name = "alpha"
    prefix = b"A"


class Beta(Prefixed):
    name = "beta"
    prefix = b"B"


def decode(tmp_path, *payloads):
    frames = handshake()
    seq = 1000
    for p in payloads:
        frames.append(pkt(C, S, 40000, 7777, seq, 5000, payload=p))
        seq += len(p)
    path = tmp_path / "c.pcap"
    path.write_bytes(pcap([(1.0 + i, f) for i, f in enumerate(frames)]))
    return [(r["proto"], r["event"], r["frame"]) for r in iter_records([path], Sensor(decoders=(Alpha, Beta)))]


def test_the_first_to_confirm_wins_and_its_held_events_keep_their_frames(tmp_path):
    assert decode(tmp_path, b"HELLO\n", b"Bx\n", b"By\n") == [
        ("beta", "beta_hello", 4), ("beta", "beta_msg", 5), ("beta", "beta_msg", 6)]


def test_registry_order_breaks_ties(tmp_path):
    assert decode(tmp_path, b"HELLO\n")[0] == ("alpha", "alpha_hello", 4)


def test_when_nobody_confirms_and_all_refuse_nothing_is_decoded(tmp_path):
    assert decode(tmp_path, b"zzz\n", b"Ax\n") == []
