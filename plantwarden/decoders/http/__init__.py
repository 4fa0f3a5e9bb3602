"""HTTP/1.x: requests and responses (method, URI, Host, User-Agent, Server, status, Basic auth user)."""

from plantwarden.decoders.http.decoder import HttpDecoder

__all__ = ["HttpDecoder"]
