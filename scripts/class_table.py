"""Write docs/function-classes.md: every function code of every decoded protocol in its conduit class.

The functions come from the decoders' own name tables; each is classified the way the zones check
classifies a stored request (``plantwarden.zones.classes.activity_class`` over the decoder's
``activity()``), with the request fields the decoder sets for it. ``--check`` exits 1 when the file is
not what this script would write (the test suite runs it).

    python scripts/class_table.py [--out docs/function-classes.md] [--check]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from plantwarden.decoders.registry import activity
from plantwarden.zones.classes import CLASSES, MODE_FUNCTIONS, activity_class

ROOT = Path(__file__).resolve().parents[1]
Entry = tuple[str, str, dict[str, Any]]  # (code as shown, name, request fields)


def _coded(table: dict[int, str], **extra: Any) -> Iterator[Entry]:
    for code, name in sorted(table.items()):
        yield str(code), name, {"function_code": code, "function": name, **extra}


def entries() -> dict[str, list[Entry]]:
    from plantwarden.decoders.ads import constants as ads
    from plantwarden.decoders.bacnet import constants as bacnet
    from plantwarden.decoders.bsap import constants as bsap
    from plantwarden.decoders.dnp3 import constants as dnp3
    from plantwarden.decoders.enip import constants as enip
    from plantwarden.decoders.fins import constants as fins
    from plantwarden.decoders.hartip import constants as hartip
    from plantwarden.decoders.iec104 import constants as iec104
    from plantwarden.decoders.modbus import constants as modbus
    from plantwarden.decoders.opcua import constants as opcua
    from plantwarden.decoders.s7comm import constants as s7
    from plantwarden.decoders.slmp import constants as slmp

    out: dict[str, list[Entry]] = {
        "modbus": list(_coded(modbus.FUNCTIONS)),
        "s7comm": list(_coded(s7.FUNCTION_NAMES)),
        "dnp3": [e for e in _coded(dnp3.FUNCTIONS) if int(e[0]) < 0x80],  # 0x81- are responses
        "iec104": [(str(t), n, {"type_id": t, "cause": 6}) for t, n in sorted(iec104.TYPE_IDS.items())
                   if not n.startswith("M_")],  # monitor-direction types are data, never requests
        "enip": [(f"0x{c:02x}", n, {"service_code": c}) for c, n in sorted({**enip.COMMON_SERVICES,
                                                                            **enip.CONNECTION_MANAGER_SERVICES,
                                                                            **enip.TAG_SERVICES}.items())]
        + [(f"cmd 0x{c:04x}", n, {"command_code": c}) for c, n in sorted(enip.COMMANDS.items())],
        "opcua": [(n, n, {"service": n}) for n in sorted({n for n, kind in opcua.SERVICES.values() if kind == "request"})],
        "bacnet": [(str(c), n, {"service_code": c, "apdu_type": "confirmed_request"})
                   for c, n in sorted(bacnet.CONFIRMED_SERVICES.items())]
        + [(f"u{c}", n, {"service_code": c, "apdu_type": "unconfirmed_request"})
           for c, n in sorted(bacnet.UNCONFIRMED_SERVICES.items())],
        "fins": [(f"0x{c:04x}", n, {"command_code": c, "direction": "request"}) for c, n in sorted(fins.COMMANDS.items())],
        "slmp": [(f"0x{c:04x}", n, {"command_code": c, "direction": "request"}) for c, n in sorted(slmp.COMMANDS.items())],
        "ads": [(str(c), n, {"command_id": c, "direction": "request"}) for c, n in sorted(ads.COMMANDS.items())],
        "hartip": [(str(c), n, {"command": c, "command_name": n, "message_type": "request"})
                   for c, n in sorted(hartip.COMMANDS.items())],
        "bsap": [(f"0x{c:02x}", n, {"function_code": c, "direction": "request"})
                 for c, n in sorted(bsap.RDB_FUNCTIONS.items())],
    }
    return out


def classify(proto: str, name: str, fields: dict[str, Any]) -> str | None:
    act = activity(proto, fields)
    if act is None:
        return "mode" if name in MODE_FUNCTIONS.get(proto, ()) else None
    return activity_class(proto, name, act)


NOTES = {
    "modbus": "FC 8 (diagnostics) is `read` whatever its sub-function (the function table has no sub-functions); "
              "FC 90 (UMAS) is classified by its sub-function request by request, so it is listed here by "
              "what most sub-functions do.",
    "s7comm": "User-data functions (SZL reads: `diagnostic`; set clock: `write`; block functions and "
              "programmer commands: `program`) are classified by group and sub-function (docs/inventory.md).",
    "dnp3": "A read of group 0 (device attributes) is `diagnostic`, other reads `read` (request by request).",
    "iec104": "Commands and set-points count as requests only in activation; the reset process "
              "(`C_RP_NA_1`) is `mode`. Monitor-direction types (`M_...`) are data, never requests.",
    "enip": "`get_attribute_all` on the Identity object (class 1) is `diagnostic`; encapsulation commands "
            "(`cmd`) other than ListIdentity/ListServices/ListInterfaces carry no class.",
    "bacnet": "`read_property` of identity properties of the device object is `diagnostic` (request by request).",
}


def render() -> str:
    lines = ["# Function classes, protocol by protocol", "",
             "Generated by `python scripts/class_table.py` from the decoders' own name tables; do not edit.",
             "Each function is put in the class the zones check gives its requests (docs/zones.md, \"Function",
             "classes\"): the decoder's activity (`reads` -> `read`, `writes` -> `write`, `programs` -> `program`,",
             "`identifies` -> `diagnostic`), and `mode` for the start/stop/restart/reset functions of",
             "`plantwarden.zones.classes.MODE_FUNCTIONS`. *unclassified*: session set-up, keep-alive, answers and",
             "functions the decoder does not classify; they never break a conduit's `function_classes`.",
             "Where the class depends on more than the code (the notes), the check uses what the decoder said",
             "of each request, kept with the function in the store.", ""]
    for proto, items in entries().items():
        by: dict[str, list[str]] = {c: [] for c in (*CLASSES, "unclassified")}
        for code, name, fields in items:
            cls = classify(proto, name, fields) or "unclassified"
            by[cls].append(f"`{name}` ({code})" if code != name else f"`{name}`")
        lines += [f"## {proto}", "", "| class | functions |", "|---|---|"]
        lines += [f"| {cls} | {', '.join(names)} |" for cls, names in by.items() if names]
        if proto in NOTES:
            lines += ["", NOTES[proto]]
        lines.append("")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "function-classes.md")
    ap.add_argument("--check", action="store_true", help="exit 1 when the file is stale")
    a = ap.parse_args()
    text = render()
    if a.check:
        current = a.out.read_text() if a.out.exists() else ""
        if current != text:
            print(f"{a.out} is stale: run python scripts/class_table.py", file=sys.stderr)
            return 1
        return 0
    a.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
