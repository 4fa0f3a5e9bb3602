"""SSH: identification banners (software version identity), KEXINIT algorithms and HASSH."""

from plantwarden.decoders.ssh.decoder import SshDecoder

__all__ = ["SshDecoder"]
