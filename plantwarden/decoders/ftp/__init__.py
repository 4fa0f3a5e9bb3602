"""FTP control connection: commands and replies, user names (never passwords), banner identity."""

from plantwarden.decoders.ftp.decoder import FtpDecoder

__all__ = ["FtpDecoder"]
