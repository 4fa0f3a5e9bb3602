"""IEC 61850 / ICCP MMS decoder (TPKT / COTP / ISO session, presentation, ACSE / MMS). See docs/protocols/mms.md."""

from plantwarden.decoders.mms.decoder import MmsDecoder

__all__ = ["MmsDecoder"]
