"""Event-name tables the detections share, built once from the decoders' own code tables.

``REQUESTS`` maps the name of every request event of an industrial protocol to its protocol; the
detections that look at all requests (new talkers, unknown masters, floods, identification scans)
subscribe to exactly these names, so responses and the events of IT protocols cost them nothing.

:class:`Familiar` is the "who normally talks to whom" a detection consults: the store's
:class:`~plantwarden.detections.base.Context` when it knows anything, else what the capture itself
showed during its first ``learn_seconds`` of traffic (a first analysis). See docs/detections.md.
"""

from __future__ import annotations

from typing import Final

from plantwarden.decoders.ads import constants as ads
from plantwarden.decoders.bacnet import constants as bacnet
from plantwarden.decoders.dnp3 import constants as dnp3
from plantwarden.decoders.enip import constants as enip
from plantwarden.decoders.fins import constants as fins
from plantwarden.decoders.iec104 import constants as iec104
from plantwarden.decoders.mms import constants as mms
from plantwarden.decoders.modbus import constants as modbus
from plantwarden.decoders.opcua import constants as opcua
from plantwarden.decoders.s7comm import constants as s7comm
from plantwarden.decoders.slmp import constants as slmp
from plantwarden.detections.base import Context

#: protocols that control or monitor a physical process (what "industrial" means for the detections)
INDUSTRIAL: Final = frozenset({
    "modbus", "s7comm", "mms", "dnp3", "iec104", "enip", "fins", "ads", "slmp", "bacnet", "opcua",
    "genisys", "bsap", "hartip", "fox", "c37118", "pnio_cm", "profinet", "goose", "sv",
})


def _requests() -> dict[str, str]:
    ev: dict[str, str] = {}
    for n in modbus.REQUEST_EVENTS:
        ev[n] = "modbus"
    for req, _resp, _exc in modbus.MEI_EVENTS.values():
        ev[req] = "modbus"
    ev["modbus_encapsulated_interface_transport_request"] = "modbus"
    ev["modbus_umas_request"] = "modbus"
    for name in s7comm.FUNCTION_NAMES.values():
        ev[f"s7comm_{name}_request"] = "s7comm"
    ev["s7comm_userdata_request"] = "s7comm"
    for n in dnp3.EVENT_NAMES:
        if n.endswith("_request") or n == "dnp3_authenticate_request_no_ack":
            ev[n] = "dnp3"
    for n in set(iec104.ASDU_EVENTS):
        if n.startswith("iec104_c_"):  # control direction: commands, set-points, system commands
            ev[n] = "iec104"
    names = set(enip.COMMON_SERVICE_NAMES)
    for table in enip.CLASS_SERVICES.values():
        names.update(table.values())
    names.update(("list_identity", "list_services", "list_interfaces", "register_session"))
    for name in names:
        if not name.startswith("unknown-"):
            ev[f"enip_{name}_request"] = "enip"
    ev["enip_unknown_service_request"] = "enip"
    for req, _resp in fins.EVENTS.values():
        ev[req] = "fins"
    ev[fins.UNKNOWN_EVENTS[0]] = "fins"
    for req, _resp in slmp.EVENTS.values():
        ev[req] = "slmp"
    ev[slmp.UNKNOWN_EVENTS[0]] = "slmp"
    for req, _resp in ads.EVENTS:
        ev[req] = "ads"
    for n in mms.SERVICE_REQUEST_EVENT.values():
        ev[n] = "mms"
    for name in bacnet.CONFIRMED_SERVICES.values():
        ev[f"bacnet_{name}_request"] = "bacnet"
    for name in ("who_is", "who_has", "time_synchronization", "utc_time_synchronization", "write_group"):
        ev[f"bacnet_{name}"] = "bacnet"
    for n in opcua.SERVICE_EVENTS.values():
        if n.endswith("_request"):
            ev[n] = "opcua"
    for n in ("hartip_token_passing_pdu_request", "hartip_direct_pdu_request", "hartip_read_audit_log_request"):
        ev[n] = "hartip"
    ev["bsap_rdb_request"] = "bsap"
    return ev


#: request event name -> protocol, for every industrial protocol that has requests
REQUESTS: Final[dict[str, str]] = _requests()
REQUEST_EVENTS: Final = frozenset(REQUESTS)

#: default length of the in-capture learning period when the store knows nothing (seconds of traffic)
LEARN_SECONDS: Final = 60.0
#: at most this many learned pairs are kept (beyond it nothing more is learned)
MAX_LEARNED: Final = 100_000


class Familiar:
    """Which clients are familiar to which servers.

    With a non-empty ``Context.known_hosts`` / ``known_pairs`` (earlier analyses in the store) those
    decide. Otherwise the first ``learn_seconds`` of traffic (counted from the first request seen) are
    a learning period: every (client, server) pair seen sending a request in it is familiar, and
    nothing is reported while it lasts.
    """

    __slots__ = ("hosts", "pairs", "learn_seconds", "start", "learned", "learned_hosts")

    def __init__(self, context: Context, learn_seconds: float) -> None:
        self.hosts = context.known_hosts
        self.pairs = frozenset((c, s) for c, s, _p in context.known_pairs)
        self.learn_seconds = float(learn_seconds)
        self.start: float | None = None
        self.learned: set[tuple[str, str]] = set()
        self.learned_hosts: set[str] = set()

    @property
    def from_store(self) -> bool:
        return bool(self.hosts or self.pairs)

    def learning(self, ts: float) -> bool:
        """True while the in-capture learning period lasts (never when the store knows hosts)."""
        if self.from_store:
            return False
        if self.start is None:
            self.start = ts
        return ts - self.start <= self.learn_seconds

    def see(self, client: str, server: str, ts: float) -> bool:
        """Record a request; True when the pair is familiar (or still being learned)."""
        if self.learning(ts):
            if len(self.learned) < MAX_LEARNED:
                self.learned.add((client, server))
                self.learned_hosts.add(client)
            return True
        return self.familiar(client, server)

    def familiar(self, client: str, server: str) -> bool:
        if self.from_store:
            return client in self.hosts or (client, server) in self.pairs
        return (client, server) in self.learned

    def host_familiar(self, host: str) -> bool:
        if self.from_store:
            return host in self.hosts
        return host in self.learned_hosts
