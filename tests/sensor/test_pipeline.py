import pytest

from plantwarden.sensor.eventlog import dumps, iter_records
from plantwarden.sensor.pipeline import Limits, Sensor

from .frames import ether, ipv4, pcap, tcp, udp
from .linedecoder import EtherLineDecoder, LineDecoder, UdpLineDecoder

C, S = "10.0.0.1", "10.0.0.2"
SYN, ACK, PSH, FIN, RST = 0x02, 0x10, 0x08, 0x01, 0x04


def pkt(src, dst, sport, dport, seq, ack=0, flags=PSH | ACK, payload=b""):
    return ether(ipv4(src, dst, 6, tcp(sport, dport, seq, ack, flags, payload)))


def handshake(cport=40000, sport=7777):
    return [pkt(C, S, cport, sport, 999, 0, SYN), pkt(S, C, sport, cport, 4999, 1000, SYN | ACK),
            pkt(C, S, cport, sport, 1000, 5000, ACK)]


class Collect:
    def __init__(self):
        self.events, self.ends = [], []

    def on_event(self, capture, flow, ev):
        self.events.append((flow, ev))

    def on_flow_end(self, capture, flow):
        self.ends.append((flow, len(self.events)))


def run(tmp_path, frames, decoders=(LineDecoder, UdpLineDecoder), limits=None):
    p = tmp_path / "c.pcap"
    p.write_bytes(pcap([(1.0 + i, f) for i, f in enumerate(frames)]))
    sink = Collect()
    sensor = Sensor([sink], decoders=decoders, limits=limits)
    sensor.process_file(p)
    return sink, sensor, p


def names(sink):
    return [(ev.name, ev.fields.get("text", ev.fields.get("name")), ev.frame, ev.is_orig) for _, ev in sink.events]


def test_messages_split_and_coalesced_are_stamped_with_the_completing_frame(tmp_path):
    frames = handshake() + [
        pkt(C, S, 40000, 7777, 1000, 5000, payload=b"hel"),
        pkt(C, S, 40000, 7777, 1003, 5000, payload=b"lo\nwor"),
        pkt(C, S, 40000, 7777, 1009, 5000, payload=b"ld\nagain\n"),
        pkt(S, C, 7777, 40000, 5000, 1018, payload=b"ok\n"),
    ]
    sink, sensor, _ = run(tmp_path, frames)
    assert names(sink) == [("line", "hello", 5, True), ("line", "world", 6, True), ("line", "again", 6, True),
                           ("line", "ok", 7, False), ("line_end", None, 7, None)]
    flow = sink.events[0][0]
    assert (flow.orig_addr, flow.orig_port, flow.resp_addr, flow.resp_port, flow.proto) == (C, 40000, S, 7777, "line")
    assert (flow.orig_pkts, flow.resp_pkts, flow.orig_bytes, flow.resp_bytes) == (5, 2, 18, 3)
    assert flow.orig_mac == "00:1b:1b:00:00:01"
    assert len(sink.ends) == 1 and sink.ends[0][1] == len(sink.events)  # flow end after its last event
    assert sensor.stats["events"] == 5


def test_out_of_order_retransmission_and_mid_stream_start(tmp_path):
    frames = [  # no handshake: the capture starts mid-way, server speaks first
        pkt(S, C, 7777, 40000, 5000, 1000, payload=b"first\n"),
        pkt(C, S, 40000, 7777, 1000, 5006, payload=b"NE"),
        pkt(C, S, 40000, 7777, 1004, 5006, payload=b"cd\n"),  # ahead of the hole
        pkt(C, S, 40000, 7777, 1001, 5006, payload=b"Eab"),  # fills it, overlapping one byte
        pkt(C, S, 40000, 7777, 1000, 5006, payload=b"NEab"),  # retransmission: nothing new
    ]
    sink, sensor, _ = run(tmp_path, frames)
    flow = sink.events[0][0]
    assert flow.orig_addr == C and flow.resp_port == 7777  # the server port decides the orientation
    assert names(sink)[:2] == [("line", "first", 1, False), ("line", "NEabcd", 3, True)]
    assert sensor.stats["tcp_retransmissions"] == 1 and sensor.stats["tcp_overlaps"] == 1


def test_gap_acked_by_peer_is_reported_and_decoder_resyncs(tmp_path):
    frames = handshake() + [
        pkt(C, S, 40000, 7777, 1000, 5000, payload=b"par"),
        # bytes 1003..1009 never captured
        pkt(C, S, 40000, 7777, 1010, 5000, payload=b"next\n"),
        pkt(S, C, 7777, 40000, 5000, 1015, payload=b"ack\n"),
    ]
    sink, sensor, _ = run(tmp_path, frames)
    got = names(sink)
    assert ("weird", "tcp_content_gap", 6, True) in got
    # the held segment is decoded with its own frame, and before the peer's answer
    assert got.index(("line", "next", 5, True)) < got.index(("line", "ack", 6, False))
    assert sensor.stats["weird.tcp_content_gap"] == 1


def test_probe_picks_decoder_on_unclaimed_port(tmp_path):
    frames = [pkt(C, S, 40000, 9999, 1, 0, payload=b"LINE one\n")]
    sink, _, _ = run(tmp_path, frames)
    assert names(sink)[0] == ("line", "LINE one", 1, True)
    assert sink.events[0][0].proto == "line"


def test_unclaimed_flow_without_decoder_still_ends(tmp_path):
    sink, sensor, _ = run(tmp_path, [pkt(C, S, 40000, 9999, 1, 0, payload=b"nothing known")])
    assert sink.events == [] and len(sink.ends) == 1 and sink.ends[0][0].proto is None


def test_decoder_exception_is_a_weird_and_stops_that_flow_only(tmp_path):
    frames = handshake() + [pkt(C, S, 40000, 7777, 1000, 5000, payload=b"BOOM\n"),
                            pkt(C, S, 40000, 7777, 1005, 5000, payload=b"after\n"),
                            pkt(C, S, 40001, 7777, 1, 0, payload=b"other\n")]
    sink, sensor, _ = run(tmp_path, frames)
    got = names(sink)
    assert ("weird", "decoder_exception", 4, True) in got
    assert ("line", "after", 5, True) not in got and ("line", "other", 6, True) in got


def test_violation_stops_feeding(tmp_path):
    frames = handshake() + [pkt(C, S, 40000, 7777, 1000, 5000, payload=b"\xff"),
                            pkt(C, S, 40000, 7777, 1001, 5000, payload=b"x\n")]
    sink, _, _ = run(tmp_path, frames)
    assert [n for n, *_ in names(sink)] == ["weird"]


def test_idle_flows_expire_and_port_reuse_starts_a_new_flow(tmp_path):
    lim = Limits(tcp_idle_timeout=5, sweep_interval=1)
    frames = [pkt(C, S, 40000, 7777, 1, 0, payload=b"a\n")] + [
        ether(ipv4("9.9.9.9", "9.9.9.8", 17, udp(1, 2, b"tick"))) for _ in range(10)
    ] + [pkt(C, S, 40000, 7777, 3, 0, payload=b"b\n")]
    sink, sensor, _ = run(tmp_path, frames, limits=lim)
    tcp_ends = [f for f, _ in sink.ends if f.transport == "tcp"]
    assert len(tcp_ends) == 2  # the first flow expired while idle; the late packet made a new one


def test_udp_datagrams(tmp_path):
    frames = [ether(ipv4(C, S, 17, udp(5555, 7778, b"x\ny\n"))), ether(ipv4(S, C, 17, udp(7778, 5555, b"z\n")))]
    sink, _, _ = run(tmp_path, frames)
    assert names(sink)[:3] == [("line", "x", 1, True), ("line", "y", 1, True), ("line", "z", 2, False)]


def test_event_log_records(tmp_path):
    frames = handshake() + [pkt(C, S, 40000, 7777, 1000, 5000, payload=b"hi\n")]
    p = tmp_path / "c.pcap"
    p.write_bytes(pcap([(1.0 + i, f) for i, f in enumerate(frames)]))
    recs = list(iter_records([p], Sensor(decoders=(LineDecoder,))))
    assert recs[0] == {"capture": str(p), "ts": 4.0, "frame": 4, "proto": "line", "event": "line",
                       "src": C, "sport": 40000, "dst": S, "dport": 7777, "is_orig": True, "text": "hi"}
    assert dumps(recs[0]).startswith('{"capture":')


def test_reader_weirds_reach_the_log(tmp_path):
    p = tmp_path / "cut.pcap"
    p.write_bytes(pcap([(1.0, pkt(C, S, 1, 7777, 1, payload=b"a\n"))] * 2)[:-3])
    recs = list(iter_records([p], Sensor(decoders=(LineDecoder,))))
    assert {"event": "weird", "name": "truncated_capture_file", "frame": 2}.items() <= recs[-1].items() or any(
        r["event"] == "weird" and r["name"] == "truncated_capture_file" for r in recs)


@pytest.mark.parametrize("n", [1, 3])
def test_snaplen_cut_payload_becomes_a_gap(tmp_path, n):
    full = pkt(C, S, 40000, 7777, 1000, 5000, payload=b"x" * 100 + b"\n")
    frames = handshake() + [full]
    p = tmp_path / "s.pcap"
    p.write_bytes(pcap([(1.0 + i, f[:80] if i == 3 else f) for i, f in enumerate(frames)],
                       orig_lens={3: len(full)}))
    s = Sensor(decoders=(LineDecoder,))
    recs = list(iter_records([p] * n, s))
    assert sum(r["event"] == "weird" and r["name"] == "truncated_frame" for r in recs) == n
    assert s.stats["tcp_gap_bytes"] == n * (len(full) - 80)


def test_nonsense_syn_flags_orient_by_server_port(tmp_path):
    frames = [pkt(S, C, 7777, 40000, 1, 0, SYN | FIN | PSH, b"x\n")]  # fuzzed: SYN+FIN from the server port
    sink, _, _ = run(tmp_path, frames)
    flow = sink.ends[0][0]
    assert (flow.orig_addr, flow.resp_port) == (C, 7777)


def test_clean_syn_ack_seen_first_orients_the_flow(tmp_path):
    sink, _, _ = run(tmp_path, [pkt(S, C, 9999, 40000, 1, 0, SYN | ACK)])
    flow = sink.ends[0][0]
    assert (flow.orig_addr, flow.orig_port, flow.resp_port) == (C, 40000, 9999)


def test_layer2_decoder_by_ethertype(tmp_path):
    frames = [ether(b"a\n", etype=0x88B5, vlans=(3,)), ether(b"LLDP", etype=0x88CC),
              ether(b"b\n", etype=0x88B5, src=b"\x00\x80\xf4\x00\x00\x02", dst=b"\x00\x1b\x1b\x00\x00\x01")]
    p = tmp_path / "l2.pcap"
    p.write_bytes(pcap([(1.0 + i, f) for i, f in enumerate(frames)]))
    s = Sensor(decoders=(EtherLineDecoder,))
    recs = [r for r in iter_records([p], s) if r["event"] == "line"]
    assert [(r["text"], r["src"], r["sport"], r["is_orig"]) for r in recs] == [
        ("a", "00:1b:1b:00:00:01", None, True), ("b", "00:80:f4:00:00:02", None, False)]
    assert s.stats["non_ip"] == 1 and s.stats["flows.ether"] == 1


def test_a_failing_sink_is_counted_and_the_others_go_on(tmp_path):
    class Broken(Collect):
        def on_event(self, capture, flow, ev):
            raise RuntimeError("sink bug")

    p = tmp_path / "c.pcap"
    frames = handshake() + [pkt(C, S, 40000, 7777, 1000, 5000, payload=b"a\nb\n")]
    p.write_bytes(pcap([(1.0 + i, f) for i, f in enumerate(frames)]))
    good = Collect()
    s = Sensor([Broken(), good], decoders=(LineDecoder,))
    s.process_file(p)
    # two items reach the broken sink: the lines, then the decoder's end-of-flow event
    assert s.stats["sink_exceptions"] == 2 and s.sink_errors == ["RuntimeError: sink bug"] * 2
    assert [ev.name for _, ev in good.events] == ["line", "line", "line_end"] and len(good.ends) == 1


def test_jsonl_is_ascii_only():
    line = dumps({"name": "PLC\x1b[31m\u202e\u0085x"})
    assert line.isascii() and "\\u001b" in line and "\\u202e" in line


def test_flow_count_is_bounded(tmp_path):
    lim = Limits(max_flows=3)
    frames = [pkt(C, S, 40000 + i, 7777, 1, 0, payload=b"x\n") for i in range(10)]
    sink, sensor, _ = run(tmp_path, frames, limits=lim)
    assert sensor.stats["flows_evicted"] > 0 and len(sink.ends) == 10
    # evicted flows end before the capture does, oldest first
    assert [f.orig_port for f, _ in sink.ends[:3]] == [40000, 40001, 40002]


def test_a_refused_port_claim_lets_the_other_decoders_probe_once(tmp_path):
    from plantwarden.core.events import Event
    from plantwarden.decoders.base import Decoder

    class Marked(Decoder):  # a protocol whose messages start with 0xff
        name = "marked"
        transport = "tcp"

        @classmethod
        def probe(cls, data, is_orig):
            return 0.9 if data[:1] == b"\xff" else -1.0

        def feed(self, data, is_orig, ts, frame):
            return [Event("marked_message", ts, frame, is_orig, {"size": len(data)})]

    frames = handshake() + [pkt(C, S, 40000, 7777, 1000, 5000, payload=b"\xffabc"),
                            pkt(C, S, 40000, 7777, 1004, 5000, payload=b"\xffde")]
    p = tmp_path / "c.pcap"
    p.write_bytes(pcap([(1.0 + i, f) for i, f in enumerate(frames)]))
    s = Sensor(decoders=(LineDecoder, Marked))
    recs = list(iter_records([p], s))
    # the port's decoder says no (its weird stays in the log), then the prober takes the flow from that data on
    assert [(r["proto"], r["event"], r["frame"]) for r in recs] == [
        ("line", "weird", 4), ("marked", "marked_message", 4), ("marked", "marked_message", 5)]
    assert recs[0]["name"] == "line_violation" and s.stats["reprobed.marked"] == 1
