"""Telnet: option negotiation summaries, the server's banner, login prompts and the typed user name."""

from plantwarden.decoders.telnet.decoder import TelnetDecoder

__all__ = ["TelnetDecoder"]
