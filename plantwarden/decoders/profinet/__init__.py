"""PROFINET real-time on Ethernet type 0x8892 (DCP, cyclic I/O, alarms, PTCP): see docs/protocols/profinet.md."""

from plantwarden.decoders.profinet.decoder import ProfinetDecoder

__all__ = ["ProfinetDecoder"]
