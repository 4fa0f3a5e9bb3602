"""IEC 60870-5-104 decoder (APCI I/S/U frames, ASDUs of every standard type id). See docs/protocols/iec104.md."""

from plantwarden.decoders.iec104.decoder import Iec104Decoder

__all__ = ["Iec104Decoder"]
