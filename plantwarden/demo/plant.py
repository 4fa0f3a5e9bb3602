"""The demo plant: who talks to whom, when, and what the hostile host does.

See docs/demo.md for the story, the hosts and the labels file. Everything random comes from one
``random.Random(seed)``, so a seed always yields the same bytes.
"""

from __future__ import annotations

import json
import random
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plantwarden.demo import payloads as p
from plantwarden.demo.pcapwriter import Host, Packet, TcpConn, Timeline, write_pcap

BASE_TS = 1_710_230_400.0  # 2024-03-12 08:00:00 UTC
DURATION = 300.0
MODBUS_PORT, S7_PORT = 502, 102
UNIT = 1

#: hostile (and notable) actions: label id -> (hostile, protocol, ATT&CK for ICS technique, description)
ACTIONS: dict[str, tuple[bool, str, str, str]] = {
    "ews_program_download": (False, "s7comm", "T0843",
                             "engineering workstation reads SZL 0x0011/0x001C, stops PLC2, downloads OB1 "
                             "and DB1, activates them and starts the PLC (authorised change)"),
    "modbus_device_id_scan": (True, "modbus", "T0888",
                              "unknown host reads Modbus device identification (FC 43/14) from PLC1 and "
                              "probes PLC2 on port 502 (refused)"),
    "modbus_write_multiple_coils": (True, "modbus", "T0855",
                                    "unknown host writes 8 coils on PLC1 (FC 15)"),
    "modbus_write_multiple_registers": (True, "modbus", "T0836",
                                        "unknown host overwrites 4 holding registers (set-points) on "
                                        "PLC1 (FC 16)"),
    "modbus_force_listen_only": (True, "modbus", "T0814",
                                 "unknown host puts PLC1 in Listen Only Mode (FC 8 sub-function 4); the "
                                 "HMI's polls go unanswered until the restart"),
    "modbus_restart_communications": (True, "modbus", "T0816",
                                      "unknown host sends Restart Communications Option (FC 8 sub-function "
                                      "1) to PLC1, ending Listen Only Mode (no response, per the spec)"),
    "s7comm_plc_stop": (True, "s7comm", "T0858", "unknown host stops PLC2 (S7comm PLC Stop, 0x29)"),
}

DEVICE_ID_OBJECTS = [
    (0, "Schneider Electric"), (1, "BMX P34 2020"), (2, "V3.10"), (3, "www.schneider-electric.com"),
    (4, "Modicon M340"), (5, "BMX P34 2020"),
]
PLC2_ORDER_NUMBER = "6ES7 315-2EH14-0AB0"
PLC2_FIRMWARE = (3, 2, 6)  # V3.2.6
PLC2_SERIAL = "S C-H4R102347"
PLC2_NAME = "PLC2-MIXER"
PLC2_PLANT_ID = "LINE2-MIXING"
PLC2_MODULE = "CPU 315-2 PN/DP"


@dataclass(frozen=True, slots=True)
class Hosts:
    hmi: Host
    ews: Host
    plc1: Host
    plc2: Host
    attacker: Host


def make_hosts(rng: random.Random) -> Hosts:
    def ident() -> int:
        return rng.randrange(1, 0xFFFF)

    return Hosts(
        hmi=Host("hmi", "10.10.20.10", "f4:8e:38:1c:42:07", 128, ident()),  # Dell
        ews=Host("ews", "10.10.20.50", "3c:d9:2b:6e:01:9a", 128, ident()),  # Hewlett Packard
        plc1=Host("plc1", "10.10.10.11", "00:80:f4:0a:33:5c", 64, ident()),  # Telemecanique/Schneider
        plc2=Host("plc2", "10.10.10.12", "00:1b:1b:4d:a2:10", 30, ident()),  # Siemens
        attacker=Host("attacker", "10.10.99.66", "b8:27:eb:5f:90:21", 64, ident()),  # Raspberry Pi
    )


class Plant:
    """Builds the timeline of the whole capture."""

    def __init__(self, seed: int, normal_only: bool = False, base_ts: float = BASE_TS) -> None:
        self.normal_only = normal_only  # the HMI's polling alone: no engineering, no hostile host
        self.base_ts = base_ts
        self.rng = random.Random(seed)
        self.tl = Timeline()
        self.h = make_hosts(self.rng)
        self.listen_only: tuple[float, float] = (0.0, 0.0)  # PLC1 ignores Modbus requests in this window
        self.writes: list[tuple[float, str, list[int]]] = []  # (time, "coils"/"registers", values) on PLC1

    # ----------------------------------------------------------------------------------- helpers
    def lat(self, lo: float = 0.0008, hi: float = 0.004) -> float:
        return self.rng.uniform(lo, hi)

    def conn(self, client: Host, server: Host, sport: int, client_win: int = 64240) -> TcpConn:
        return TcpConn(self.tl, client, server, self.rng.randrange(49152, 65500), sport,
                       self.rng.getrandbits(32), self.rng.getrandbits(32), client_win=client_win)

    def exchange(self, c: TcpConn, t: float, req: bytes, resp: bytes | None, label: str | None = None,
                 from_client: bool = True) -> float:
        """Request at ``t``; the answer (or a bare ACK when ``resp`` is None) after a short delay."""
        c.send(t, from_client, req, label)
        t += self.lat()
        if resp is None:
            t += 0.2  # delayed ACK
            c.ack(t, not from_client, label)
        else:
            c.send(t, not from_client, resp, label)
        return t

    def delayed_ack(self, c: TcpConn, t: float, label: str | None = None) -> None:
        if c.pending_ack(True):
            c.ack(t + 0.2, True, label)

    # ---------------------------------------------------------------------------------- the HMI
    def hmi_modbus(self) -> None:
        h, rng = self.h, self.rng
        c = self.conn(h.hmi, h.plc1, MODBUS_PORT)
        t = c.open(0.010, self.lat())
        tid = 1
        t = self.exchange(c, t + 0.02, p.mbap(tid, UNIT, p.mb_read_device_id_req(2)),
                          p.mbap(tid, UNIT, p.mb_read_device_id_resp(2, 0x82, DEVICE_ID_OBJECTS)))
        self.delayed_ack(c, t)
        level, setpoint = 1200, 1500
        coils = [True, False, True, True, False, False, True, False, False, False, True, False, False,
                 False, False, False]
        second = 1
        pending = sorted(self.writes)  # the attacker's writes, applied when their time comes
        while second < DURATION - 2:
            t = second + rng.uniform(0.0, 0.02)
            lo, hi = self.listen_only
            answered = not (lo <= t <= hi)
            while pending and pending[0][0] <= t:
                _, kind, values = pending.pop(0)
                if kind == "coils":
                    coils[:len(values)] = [bool(v) for v in values]
                else:  # registers 0-3: level is re-measured each scan, the set-point sticks
                    setpoint = values[1]
            level = max(0, min(4000, level + rng.randint(-15, 15)))
            regs = [level, setpoint, rng.randint(180, 220), rng.randint(0, 5), 1, 0, 0, second & 0xFFFF,
                    0, 0]
            tid += 1
            req = p.mbap(tid, UNIT, p.mb_read_req(3, 0, 10))
            resp = p.mbap(tid, UNIT, p.mb_read_registers_resp(3, regs)) if answered else None
            t = self.exchange(c, t, req, resp)
            if not answered:
                t += 0.3  # the HMI's response timeout
            tid += 1
            if rng.random() < 0.05:
                coils[rng.randrange(16)] ^= True
            req = p.mbap(tid, UNIT, p.mb_read_req(1, 0, 16))
            resp = p.mbap(tid, UNIT, p.mb_read_bits_resp(1, coils)) if answered else None
            t = self.exchange(c, t + self.lat(), req, resp)
            if second % 60 == 30 and answered:  # the operator adjusts the set-point
                setpoint = 1500 if setpoint < 1000 else setpoint + rng.choice((-50, 50))  # or restores it
                tid += 1
                pdu = p.mb_write_single_register(1, setpoint)
                t = self.exchange(c, t + self.lat(), p.mbap(tid, UNIT, pdu), p.mbap(tid, UNIT, pdu))
            self.delayed_ack(c, t)
            second += 1
        c.close(DURATION - 1.0, self.lat())

    def s7_connect(self, c: TcpConn, t: float, dst_tsap: int, label: str | None = None,
                   pdu_ref: int = 1) -> float:
        """TCP handshake, COTP CR/CC and Setup communication; returns the time of the last answer."""
        t = c.open(t, self.lat(), label)
        src_ref = self.rng.randrange(1, 0xFFFF)
        t = self.exchange(c, t + 0.002, p.cotp_cr(src_ref, 0x0100, dst_tsap),
                          p.cotp_cc(src_ref, 0x0044, 0x0100, dst_tsap), label)
        return self.exchange(c, t + 0.002, p.s7_pdu(p.S7_JOB, pdu_ref, p.s7_setup_comm_param(480)),
                             p.s7_pdu(p.S7_ACK_DATA, pdu_ref, p.s7_setup_comm_param(240)), label)

    def hmi_s7(self) -> None:
        h, rng = self.h, self.rng
        c = self.conn(h.hmi, h.plc2, S7_PORT)
        t = self.s7_connect(c, 0.150, 0x0202)  # OP connection, rack 0 slot 2
        self.delayed_ack(c, t)
        ref = 1
        speed, temp = 1450, 612
        second = 1
        items = [(1, 0, p.TS_BYTE, 8), (2, 4, p.TS_BYTE, 4)]
        while second < DURATION - 2:
            t = second + 0.5 + rng.uniform(0.0, 0.02)
            ref += 1
            speed += rng.randint(-4, 4)
            temp += rng.randint(-2, 2)
            db1 = struct.pack("!hhhh", speed, temp, rng.randint(95, 105), second & 0x7FFF)
            db2 = struct.pack("!f", 6.5 + rng.random() / 10)
            t = self.exchange(c, t, p.s7_pdu(p.S7_JOB, ref, p.s7_read_var_param(items)),
                              p.s7_pdu(p.S7_ACK_DATA, ref, b"\x04\x02", p.s7_read_var_data([db1, db2])))
            self.delayed_ack(c, t)
            second += 1
        c.close(DURATION - 0.6, self.lat())

    # -------------------------------------------------------------------------------------- the EWS
    def ews_program(self, start: float) -> None:
        h, label = self.h, "ews_program_download"
        c = self.conn(h.ews, h.plc2, S7_PORT)
        t = self.s7_connect(c, start, 0x0102, label, pdu_ref=0x0100)  # PG connection
        ref = 0x0100
        fw_major, fw_minor, fw_patch = PLC2_FIRMWARE
        szl = [
            (0x0011, 28, [
                p.szl_0011_record(1, PLC2_ORDER_NUMBER, 0x00C0, 4, 1),
                p.szl_0011_record(6, PLC2_ORDER_NUMBER, 0x00C0, 4, 1),
                p.szl_0011_record(7, "", 0x00C0, 0x5600 | fw_major, (fw_minor << 8) | fw_patch),
            ]),
            (0x001C, 34, [
                p.szl_001c_record(1, PLC2_NAME), p.szl_001c_record(2, PLC2_MODULE),
                p.szl_001c_record(3, PLC2_PLANT_ID), p.szl_001c_record(4, "Original Siemens Equipment"),
                p.szl_001c_record(5, PLC2_SERIAL), p.szl_001c_record(7, PLC2_MODULE),
            ]),
        ]
        for szl_id, rec_len, records in szl:
            ref += 1
            t = self.exchange(c, t + 0.05, p.s7_pdu(p.S7_USERDATA, ref, *p.s7_szl_request(szl_id, 0)),
                              p.s7_pdu(p.S7_USERDATA, ref, *p.s7_szl_response(szl_id, 0, rec_len, records)),
                              label)
        ref += 1
        t = self.exchange(c, t + 1.5, p.s7_pdu(p.S7_JOB, ref, p.s7_plc_stop_param()),
                          p.s7_pdu(p.S7_ACK_DATA, ref, b"\x29"), label)
        plc_ref = 0x6500
        names = []
        for btype, number, lang, code in ((0x08, 1, 0x01, bytes(range(64)) * 2), (0x0A, 1, 0x05, bytes(40))):
            name = p.block_filename(f"{btype:02X}", number)
            names.append(name)
            block = p.mc7_block(btype, number, lang, code, int(start * 1000))
            ref += 1
            t = self.exchange(c, t + 0.4, p.s7_pdu(p.S7_JOB, ref, p.s7_request_download_param(
                name, len(block), len(code))), p.s7_pdu(p.S7_ACK_DATA, ref, b"\x1a"), label)
            # the PLC now pulls the block: it is the requester on the same connection
            plc_ref += 1
            t = self.exchange(c, t + 0.01, p.s7_pdu(p.S7_JOB, plc_ref, p.s7_download_job_param(0x1B, name)),
                              p.s7_pdu(p.S7_ACK_DATA, plc_ref, b"\x1b\x00", p.s7_download_block_data(block)),
                              label, from_client=False)
            plc_ref += 1
            t = self.exchange(c, t + 0.05, p.s7_pdu(p.S7_JOB, plc_ref, p.s7_download_job_param(0x1C, name)),
                              p.s7_pdu(p.S7_ACK_DATA, plc_ref, b"\x1c"), label, from_client=False)
        ref += 1
        t = self.exchange(c, t + 0.01, p.s7_pdu(p.S7_JOB, ref, p.s7_pi_service_param(
            "_INSE", p.s7_insert_blocks_param(names))), p.s7_pdu(p.S7_ACK_DATA, ref, b"\x28"), label)
        ref += 1
        t = self.exchange(c, t + 1.0, p.s7_pdu(p.S7_JOB, ref, p.s7_pi_service_param("P_PROGRAM")),
                          p.s7_pdu(p.S7_ACK_DATA, ref, b"\x28"), label)
        self.delayed_ack(c, t, label)
        c.close(t + 2.0, self.lat(), label)

    # -------------------------------------------------------------------------------- the attacker
    def attack_modbus(self, t: float, label: str, req: bytes, resp: bytes | None) -> float:
        c = self.conn(self.h.attacker, self.h.plc1, MODBUS_PORT)
        t = c.open(t, self.lat(), label)
        t = self.exchange(c, t + 0.001, p.mbap(self.rng.randrange(1, 0xFFFF), UNIT, req), resp, label)
        return c.close(t + 0.01, self.lat(), label)

    def attacks(self) -> None:
        h, rng = self.h, self.rng
        label = "modbus_device_id_scan"
        c = self.conn(h.attacker, h.plc1, MODBUS_PORT)
        t = c.open(120.3, self.lat(), label)
        t = self.exchange(c, t + 0.001, p.mbap(0, UNIT, p.mb_read_device_id_req(1)),
                          p.mbap(0, UNIT, p.mb_read_device_id_resp(1, 0x82, DEVICE_ID_OBJECTS[:3])), label)
        t = c.close(t + 0.01, self.lat(), label)
        self.conn(h.attacker, h.plc2, MODBUS_PORT).refused(t + 0.05, self.lat(), label)

        bits = [bool(rng.getrandbits(1)) for _ in range(8)]
        tid = rng.randrange(1, 0xFFFF)
        regs = [9999, 0, 65535, 1]
        self.writes += [(150.7, "coils", [int(b) for b in bits]), (165.2, "registers", regs)]
        self.attack_modbus_write(150.7, "modbus_write_multiple_coils", tid,
                                 p.mb_write_multiple_coils_req(0, bits), p.mb_write_multiple_resp(15, 0, 8))
        self.attack_modbus_write(165.2, "modbus_write_multiple_registers", tid + 1,
                                 p.mb_write_multiple_registers_req(0, regs), p.mb_write_multiple_resp(16, 0, 4))
        # Listen Only Mode: no response, and PLC1 answers nobody until the restart
        start = 180.4
        self.attack_modbus(start, "modbus_force_listen_only", p.mb_diagnostics(4, 0), None)
        restart = 190.6
        self.listen_only = (start, restart)
        self.attack_modbus(restart, "modbus_restart_communications", p.mb_diagnostics(1, 0), None)

        label = "s7comm_plc_stop"
        c = self.conn(h.attacker, h.plc2, S7_PORT)
        t = self.s7_connect(c, 220.8, 0x0102, label, pdu_ref=0x0400)
        t = self.exchange(c, t + 0.02, p.s7_pdu(p.S7_JOB, 0x0401, p.s7_plc_stop_param()),
                          p.s7_pdu(p.S7_ACK_DATA, 0x0401, b"\x29"), label)
        c.close(t + 0.05, self.lat(), label)

    def attack_modbus_write(self, t: float, label: str, tid: int, req: bytes, resp: bytes) -> None:
        c = self.conn(self.h.attacker, self.h.plc1, MODBUS_PORT)
        t = c.open(t, self.lat(), label)
        t = self.exchange(c, t + 0.001, p.mbap(tid, UNIT, req), p.mbap(tid, UNIT, resp), label)
        c.close(t + 0.01, self.lat(), label)

    def build(self) -> list[Packet]:
        if not self.normal_only:
            self.attacks()  # first: it sets the Listen Only window the HMI loop honours
        self.hmi_modbus()
        self.hmi_s7()
        if not self.normal_only:
            self.ews_program(45.2)
        packets = self.tl.sorted()
        for pkt in packets:
            pkt.ts += self.base_ts
        return packets


def labels_for(packets: list[Packet], hosts: Hosts, capture: str, seed: int) -> dict[str, Any]:
    """The labels document: for each action its frames (1-based), times and what it is."""
    spans: dict[str, dict[str, Any]] = {}
    for frame, pkt in enumerate(packets, 1):
        if pkt.label is None:
            continue
        span = spans.setdefault(pkt.label, {"first_frame": frame, "first_ts": pkt.ts, "message_frames": []})
        span["last_frame"], span["last_ts"] = frame, pkt.ts
        if len(pkt.segment) > (pkt.segment[12] >> 4) * 4:  # carries payload
            span["message_frames"].append(frame)
        span.setdefault("src", pkt.src.ip)
        span.setdefault("dst", pkt.dst.ip)
        if pkt.src.ip == span["src"]:
            span.setdefault("targets", set()).add(pkt.dst.ip)
    actions = []
    for name, (hostile, proto, technique, description) in ACTIONS.items():
        span = spans[name]
        actions.append({"id": name, "hostile": hostile, "proto": proto, "attack_technique": technique,
                        "description": description, "src": span["src"], "dst": span["dst"],
                        "targets": sorted(span["targets"]),
                        "first_frame": span["first_frame"], "last_frame": span["last_frame"],
                        "first_ts": round(span["first_ts"], 6), "last_ts": round(span["last_ts"], 6),
                        "message_frames": span["message_frames"]})
    actions.sort(key=lambda a: a["first_frame"])
    return {
        "capture": capture, "seed": seed, "packets": len(packets),
        "hosts": {h.name: {"ip": h.ip, "mac": h.mac} for h in (hosts.hmi, hosts.ews, hosts.plc1, hosts.plc2,
                                                              hosts.attacker)},
        "actions": actions,
    }


def generate_demo_capture(path: str | Path, seed: int = 1) -> Path:
    """Write the demo capture to ``path`` and its labels to ``<stem>.labels.json`` beside it.

    Returns the capture's path. The same seed always gives byte-identical files.
    """
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    plant = Plant(seed)
    packets = plant.build()
    write_pcap(out, packets)
    doc = labels_for(packets, plant.h, out.name, seed)
    labels_path(out).write_text(json.dumps(doc, indent=2) + "\n")
    return out


def generate_history_captures(folder: str | Path, count: int = 3, seed: int = 101) -> list[Path]:
    """``count`` captures of the same plant in normal operation (the HMI's polling only), one a day on
    the days before the demo capture, for learning the process: ``history-1.pcap`` ... in ``folder``.
    Same seed, same bytes."""
    out = []
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        plant = Plant(seed + i, normal_only=True, base_ts=BASE_TS - 86400 * (count - i))
        path = folder / f"history-{i + 1}.pcap"
        write_pcap(path, plant.build())
        out.append(path)
    return out


def labels_path(capture: str | Path) -> Path:
    """Where :func:`generate_demo_capture` writes the labels of ``capture``."""
    cap = Path(capture)
    return cap.with_name(cap.stem + ".labels.json")
