"""A tank process polled over Modbus/TCP, written as a capture by the project's own traffic generator
(plantwarden.demo.pcapwriter): an HMI reads the PLC's level (a 32-bit float in registers 0-1), pump state
(2) and set-point (3) every second and, now and then, an operator steps the set-point to the next recipe's
(490, 500 or 510; FC 6). ``attack_at`` adds a write of set-point ``attack_value`` from another host at that second: the
level then climbs towards it, outside the behaviour learned from normal runs."""

from __future__ import annotations

import random
import struct
from pathlib import Path

from plantwarden.demo import payloads as p
from plantwarden.demo.pcapwriter import Host, TcpConn, Timeline, write_pcap

HMI = Host("hmi", "10.0.0.10", "02:00:00:00:00:0a")
PLC = Host("plc", "10.0.0.20", "02:00:00:00:00:14")
ROGUE = Host("rogue", "10.0.0.66", "02:00:00:00:00:42")
LEVEL, PUMP, SETPOINT = "10.0.0.20/unit1/holding/0", "10.0.0.20/unit1/holding/2", "10.0.0.20/unit1/holding/3"


def tank_capture(path: Path, seconds: int, seed: int, start: float = 1_760_000_000.0,
                 attack_at: int | None = None, attack_value: int = 900, pump_shown_off: bool = False) -> Path:
    """``pump_shown_off``: from ``attack_at`` on, the pump register reads 0 whatever the pump does (the
    attacker hides it from the HMI)."""
    rng = random.Random(seed)
    tl = Timeline()
    hmi = TcpConn(tl, HMI, PLC, 50123, 502, rng.randrange(1 << 31), rng.randrange(1 << 31))
    hmi.open(start, 0.001)
    level, sp, tid = 500.0, 500, 0
    for s in range(seconds):
        now = start + 1 + s
        if attack_at is not None and s == attack_at:
            rogue = TcpConn(tl, ROGUE, PLC, 40000, 502, 1000, 2000)
            rt = rogue.open(now - 0.5, 0.001)
            req = p.mbap(1, 1, p.mb_write_single_register(3, attack_value))
            rogue.send(rt + 0.001, True, req)
            rogue.send(rt + 0.002, False, req)
            rogue.close(rt + 0.01, 0.001)
            sp = attack_value
        elif rng.random() < 0.02:  # the operator steps to the next recipe up or down
            sp = {490: 500, 510: 500}.get(sp) or rng.choice((490, 510))
            tid += 1
            req = p.mbap(tid, 1, p.mb_write_single_register(3, sp))
            hmi.send(now - 0.3, True, req)
            hmi.send(now - 0.299, False, req)
        pump = 1 if level < sp else 0
        if pump_shown_off and attack_at is not None and s >= attack_at:
            pump = 0
        level += 0.25 * (sp - level) + rng.gauss(0, 1.0)
        hi, lo = struct.unpack(">HH", struct.pack(">f", level))
        tid += 1
        hmi.send(now, True, p.mbap(tid, 1, p.mb_read_req(3, 0, 4)))
        hmi.send(now + 0.002, False, p.mbap(tid, 1, p.mb_read_registers_resp(3, [hi, lo, pump, sp])))
        hmi.ack(now + 0.01, True)
    hmi.close(start + seconds + 2, 0.001)
    write_pcap(path, tl.sorted())
    return path
