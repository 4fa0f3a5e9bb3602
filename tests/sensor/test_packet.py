import struct

from plantwarden.sensor.packet import Segment, dissect

from .frames import ether, ipv4, ipv6, tcp, udp


def seg(linktype, data, orig_len=None):
    s = dissect(linktype, data, len(data) if orig_len is None else orig_len)
    return s


def test_ethernet_ipv4_tcp():
    s = seg(1, ether(ipv4("10.0.0.1", "10.0.0.2", 6, tcp(1234, 502, 77, 5, 0x18, b"hello"))))
    assert isinstance(s, Segment)
    assert (s.src, s.dst, s.sport, s.dport, s.seq, s.ack, s.payload) == ("10.0.0.1", "10.0.0.2", 1234, 502, 77, 5, b"hello")
    assert s.src_mac == "00:1b:1b:00:00:01" and s.dst_mac == "00:80:f4:00:00:02"


def test_vlan_and_qinq():
    s = seg(1, ether(ipv4("1.1.1.1", "2.2.2.2", 17, udp(5, 6, b"u")), vlans=(100, 0x2005)))
    assert isinstance(s, Segment) and s.vlan == 5 and s.payload == b"u" and s.transport == 17


def test_ethernet_padding_is_not_payload():
    frame = ether(ipv4("1.1.1.1", "2.2.2.2", 6, tcp(1, 2, 3, payload=b""))) + b"\x00" * 6
    s = seg(1, frame)
    assert isinstance(s, Segment) and s.payload == b""


def test_bsd_loopback_both_byte_orders_and_loop():
    pkt = ipv4("127.0.0.1", "127.0.0.1", 6, tcp(1, 2, 3, payload=b"p"))
    for hdr, lt in ((struct.pack("<I", 2), 0), (struct.pack(">I", 2), 0), (struct.pack(">I", 2), 108)):
        s = seg(lt, hdr + pkt)
        assert isinstance(s, Segment) and s.payload == b"p"
    s = seg(0, struct.pack("<I", 30) + ipv6("::1", "::1", 17, udp(1, 2, b"v6")))
    assert isinstance(s, Segment) and s.src == "::1" and s.payload == b"v6"


def test_linux_cooked_v1_and_v2():
    pkt = ipv4("1.1.1.1", "2.2.2.2", 17, udp(1, 2, b"x"))
    sll = struct.pack(">HHH8sH", 0, 1, 6, bytes.fromhex("aabbccddeeff0000"), 0x0800)
    s = seg(113, sll + pkt)
    assert isinstance(s, Segment) and s.payload == b"x" and s.src_mac == "aa:bb:cc:dd:ee:ff"
    sll2 = struct.pack(">HHIHBB8s", 0x0800, 0, 1, 1, 0, 6, bytes.fromhex("aabbccddeeff0000"))
    s = seg(276, sll2 + pkt)
    assert isinstance(s, Segment) and s.payload == b"x"


def test_raw_ipv4_and_ipv6_with_extension_header():
    s = seg(101, ipv4("1.1.1.1", "2.2.2.2", 6, tcp(1, 2, 3, payload=b"r")))
    assert isinstance(s, Segment) and s.payload == b"r"
    hop = bytes([6, 0]) + b"\x00" * 6  # hop-by-hop options, next header TCP
    s = seg(229, ipv6("fe80::1", "fe80::2", 0, hop + tcp(1, 2, 3, payload=b"e")))
    assert isinstance(s, Segment) and s.transport == 6 and s.payload == b"e"


def test_fragments_are_flagged():
    first = seg(1, ether(ipv4("1.1.1.1", "2.2.2.2", 17, udp(1, 2, b"a" * 8), frag=0x2000)))
    later = seg(1, ether(ipv4("1.1.1.1", "2.2.2.2", 17, b"b" * 8, frag=0x0002)))
    assert isinstance(first, Segment) and first.fragment and first.sport == 1
    assert isinstance(later, Segment) and later.fragment and later.sport == 0 and later.payload == b""


def test_snaplen_cut_payload_reports_missing_bytes():
    frame = ether(ipv4("1.1.1.1", "2.2.2.2", 6, tcp(1, 2, 3, payload=b"z" * 100)))
    s = seg(1, frame[:64], orig_len=len(frame))
    assert isinstance(s, Segment) and len(s.payload) == 64 - 54 and s.missing == 90


def test_bad_inputs_are_named():
    assert seg(1, b"\x00" * 10) == "truncated_link_header"
    assert seg(1, ether(b"\x45\x00")) == "truncated_ip_header"
    assert seg(1, ether(b"\x75" + b"\x00" * 30)) == "bad_ip_version"
    assert seg(1, ether(ipv4("1.1.1.1", "2.2.2.2", 6, b"\x00" * 4))) == "truncated_tcp_header"
    assert seg(195, b"\x00" * 30) == "unsupported_link_type"
    assert seg(12, b"") == "truncated_link_header"


def test_layer2_frames_carry_their_ethertype_and_mac_key():
    s = seg(1, ether(b"\x01\x02", etype=0x88B8, vlans=(7,)))
    assert isinstance(s, Segment) and s.transport == 0 and s.ethertype == 0x88B8 and s.vlan == 7
    assert s.payload == b"\x01\x02" and s.src == "00:1b:1b:00:00:01" and s.dst == "00:80:f4:00:00:02"
    assert s.key == bytes.fromhex("001b1b000001" "0080f4000002" "88b8")
