"""The contract every protocol decoder follows (sans-IO).

A decoder instance lives for one flow and sees both directions of it. The sensor hands it the
reassembled byte stream of each direction (TCP) or each datagram (UDP) and collects the events it
returns. A decoder never performs I/O, keeps no global state and never raises into the sensor:

* input that is merely incomplete is kept until more bytes arrive;
* input that is odd but understood becomes a named weird (``core.events.weird``);
* input that shows the flow is not this protocol sets ``violated`` and the sensor stops feeding it.

The sensor still wraps every call in a guard: an exception is caught, counted as the weird
``decoder_exception`` and the decoder is switched off for that flow.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from plantwarden.core.events import Event


class Decoder:
    #: the protocol name used in the event log's ``proto`` field
    name: ClassVar[str] = ""
    #: "tcp", "udp" or "ether" (a layer-2 protocol, chosen by Ethernet type)
    transport: ClassVar[str] = "tcp"
    #: server ports on which the decoder is chosen without probing
    default_ports: ClassVar[tuple[int, ...]] = ()
    #: for transport "ether": the Ethernet types it decodes (e.g. 0x88B8 for GOOSE)
    ethertypes: ClassVar[tuple[int, ...]] = ()

    def __init__(self) -> None:
        #: the flow is not this protocol: the sensor stops feeding the decoder
        self.violated = False
        #: the flow showed a message only this protocol carries (set by the decoder). When several
        #: decoders claim one port (S7comm and MMS on 102), the sensor keeps the first to confirm.
        self.confirmed = False

    @classmethod
    def probe(cls, data: bytes, is_orig: bool) -> float:
        """How sure the decoder is that ``data`` (the first payload of a flow) is its protocol.

        Returns a confidence in [0, 1]; a negative value means "certainly not mine". Used for flows on
        ports that no decoder claims.
        """
        return -1.0

    @staticmethod
    def activity(fields: Mapping[str, Any]) -> str | None:
        """What a request with these event fields does to the device (``core.activity``): reads,
        writes, programs or identifies; None when it says nothing about its sender's role."""
        return None

    def feed(self, data: bytes, is_orig: bool, ts: float, frame: int) -> list[Event]:
        """Consume the next bytes of one direction; return the messages they complete.

        For UDP and layer-2 decoders ``data`` is one datagram or frame payload.

        ``ts`` and ``frame`` are those of the packet that delivered ``data``: every message completed
        by this call is stamped with them.
        """
        raise NotImplementedError

    def gap(self, nbytes: int, is_orig: bool, ts: float, frame: int) -> list[Event]:
        """``nbytes`` of this direction were lost (never captured). Drop partial state and resync."""
        return []

    def finish(self, ts: float, frame: int) -> list[Event]:
        """The flow ended (or the capture did): report what is left, e.g. unanswered requests."""
        return []
