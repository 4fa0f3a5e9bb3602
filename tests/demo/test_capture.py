"""The demo capture is a valid classic pcap, deterministic per seed, with correct IP/TCP and labels."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

from plantwarden.demo import generate_demo_capture, labels_path
from plantwarden.demo.pcapwriter import internet_checksum

HOSTILE = {
    "modbus_device_id_scan", "modbus_write_multiple_coils", "modbus_write_multiple_registers",
    "modbus_force_listen_only", "modbus_restart_communications", "s7comm_plc_stop",
}


def read_pcap(path: Path) -> tuple[int, list[tuple[float, bytes]]]:
    data = path.read_bytes()
    magic, major, minor, _tz, _sig, _snap, linktype = struct.unpack_from("<IHHiIII", data)
    assert (magic, major, minor) == (0xA1B2C3D4, 2, 4)
    off, out = 24, []
    while off < len(data):
        sec, usec, incl, orig = struct.unpack_from("<IIII", data, off)
        assert incl == orig and usec < 1_000_000
        off += 16
        out.append((sec + usec / 1e6, data[off:off + incl]))
        off += incl
    assert off == len(data)
    return linktype, out


def parse(frame: bytes) -> dict[str, Any]:
    assert frame[12:14] == b"\x08\x00"
    ip = frame[14:34]
    total = struct.unpack_from("!H", ip, 2)[0]
    seg = frame[34:14 + total]
    sport, dport, seq, ack, off, flags = struct.unpack_from("!HHIIBB", seg)
    return {"dst_mac": frame[0:6], "src_mac": frame[6:12], "ip": ip, "seg": seg, "src": ip[12:16],
            "dst": ip[16:20], "sport": sport, "dport": dport, "seq": seq, "ack": ack, "flags": flags,
            "payload": seg[(off >> 4) * 4:]}


def test_valid_pcap_of_a_few_thousand_packets(demo: tuple[Path, dict[str, Any]]) -> None:
    path, labels = demo
    linktype, packets = read_pcap(path)
    assert linktype == 1
    assert 1000 < len(packets) < 5000
    assert labels["packets"] == len(packets)
    times = [ts for ts, _ in packets]
    assert times == sorted(times)
    assert 250 < times[-1] - times[0] < 400  # a few minutes of simulated time
    assert all(len(frame) >= 60 for _, frame in packets)


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    a = generate_demo_capture(tmp_path / "a.pcap", seed=7)
    b = generate_demo_capture(tmp_path / "b.pcap", seed=7)
    c = generate_demo_capture(tmp_path / "c.pcap", seed=8)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    assert labels_path(a).read_text().replace("a.pcap", "x") == labels_path(b).read_text().replace("b.pcap", "x")


def test_ip_and_tcp_checksums_are_correct(demo: tuple[Path, dict[str, Any]]) -> None:
    _, packets = read_pcap(demo[0])
    for _, frame in packets:
        p = parse(frame)
        assert internet_checksum(p["ip"]) == 0
        pseudo = p["src"] + p["dst"] + struct.pack("!BBH", 0, 6, len(p["seg"]))
        assert internet_checksum(pseudo + p["seg"]) == 0


def test_tcp_sequence_numbers_are_continuous(demo: tuple[Path, dict[str, Any]]) -> None:
    """Each direction's next segment starts where the previous ended; ACKs never exceed what was sent."""
    _, packets = read_pcap(demo[0])
    next_seq: dict[tuple[bytes, int, bytes, int], int] = {}
    for _, frame in packets:
        p = parse(frame)
        key = (p["src"], p["sport"], p["dst"], p["dport"])
        rev = (p["dst"], p["dport"], p["src"], p["sport"])
        if p["flags"] & 0x04:  # RST
            continue
        if key in next_seq:
            assert p["seq"] == next_seq[key], key
        elif not p["flags"] & 0x02:
            raise AssertionError(f"segment before SYN on {key}")
        next_seq[key] = (p["seq"] + len(p["payload"]) + (1 if p["flags"] & 0x03 else 0)) & 0xFFFFFFFF
        if p["flags"] & 0x10 and rev in next_seq:
            assert p["ack"] == next_seq[rev], key


def test_vendor_ouis(demo: tuple[Path, dict[str, Any]]) -> None:
    _, packets = read_pcap(demo[0])
    macs = {parse(f)["src"]: parse(f)["src_mac"][:3].hex() for _, f in packets}
    assert macs[bytes((10, 10, 10, 11))] == "0080f4"  # Schneider (Telemecanique)
    assert macs[bytes((10, 10, 10, 12))] == "001b1b"  # Siemens
    assert macs[bytes((10, 10, 20, 10))] == "f48e38"  # Dell
    assert macs[bytes((10, 10, 20, 50))] == "3cd92b"  # Hewlett Packard


def test_labels_match_the_frames(demo: tuple[Path, dict[str, Any]]) -> None:
    path, labels = demo
    _, packets = read_pcap(path)
    actions = {a["id"]: a for a in labels["actions"]}
    assert set(actions) >= HOSTILE
    assert {a["id"] for a in labels["actions"] if a["hostile"]} == HOSTILE
    attacker = labels["hosts"]["attacker"]["ip"]
    for action in labels["actions"]:
        first, last = action["first_frame"], action["last_frame"]
        assert 1 <= first <= last <= len(packets)
        assert abs(packets[first - 1][0] - action["first_ts"]) < 1e-6
        assert abs(packets[last - 1][0] - action["last_ts"]) < 1e-6
        first_pkt = parse(packets[first - 1][1])
        assert first_pkt["flags"] == 0x02  # every action starts with its own SYN
        assert ".".join(map(str, first_pkt["src"])) == action["src"]
        if action["hostile"]:
            assert action["src"] == attacker
        assert action["message_frames"]
        assert action["dst"] in action["targets"]
        for frame in action["message_frames"]:
            assert first <= frame <= last
            p = parse(packets[frame - 1][1])
            assert p["payload"]
            ends = {".".join(map(str, p["src"])), ".".join(map(str, p["dst"]))}
            assert action["src"] in ends
    # nothing else comes from the attacker
    inside = set()
    for action in labels["actions"]:
        inside.update(range(action["first_frame"], action["last_frame"] + 1))
    for frame, (_, raw) in enumerate(packets, 1):
        p = parse(raw)
        if ".".join(map(str, p["src"])) == attacker:
            assert frame in inside


def test_first_message_of_each_hostile_action(demo: tuple[Path, dict[str, Any]]) -> None:
    """The first request of each action carries the function code its label names (pure bytes)."""
    path, labels = demo
    _, packets = read_pcap(path)
    expect = {
        "modbus_device_id_scan": b"\x2b\x0e\x01",
        "modbus_write_multiple_coils": b"\x0f",
        "modbus_write_multiple_registers": b"\x10",
        "modbus_force_listen_only": b"\x08\x00\x04",
        "modbus_restart_communications": b"\x08\x00\x01",
    }
    for action in labels["actions"]:
        payload = parse(packets[action["message_frames"][0] - 1][1])["payload"]
        if action["id"] in expect:
            assert payload[7:7 + len(expect[action["id"]])] == expect[action["id"]]
    stop = next(a for a in labels["actions"] if a["id"] == "s7comm_plc_stop")
    stop_frames = [parse(packets[f - 1][1])["payload"] for f in stop["message_frames"]]
    assert any(pl[7] == 0x32 and pl[8] == 1 and pl[17] == 0x29 for pl in stop_frames if len(pl) > 17)


def test_scan_targets_both_plcs(demo: tuple[Path, dict[str, Any]]) -> None:
    scan = next(a for a in demo[1]["actions"] if a["id"] == "modbus_device_id_scan")
    assert scan["targets"] == ["10.10.10.11", "10.10.10.12"]


def test_listen_only_window_silences_plc1(demo: tuple[Path, dict[str, Any]]) -> None:
    """Between Force Listen Only and Restart Communications PLC1 sends no Modbus payload to anyone."""
    path, labels = demo
    _, packets = read_pcap(path)
    actions = {a["id"]: a for a in labels["actions"]}
    lo = actions["modbus_force_listen_only"]["message_frames"][0]
    hi = actions["modbus_restart_communications"]["message_frames"][0]
    plc1 = bytes((10, 10, 10, 11))
    silent = [f for f in range(lo, hi) if parse(packets[f - 1][1])["src"] == plc1
              and parse(packets[f - 1][1])["payload"]]
    assert silent == []
    hmi_requests = [f for f in range(lo, hi) if parse(packets[f - 1][1])["src"] == bytes((10, 10, 20, 10))
                    and parse(packets[f - 1][1])["dport"] == 502 and parse(packets[f - 1][1])["payload"]]
    assert len(hmi_requests) >= 10  # the HMI keeps polling, unanswered
