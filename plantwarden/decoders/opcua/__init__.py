"""OPC UA binary decoder (UA TCP: HEL/ACK/ERR/RHE/OPN/CLO/MSG). See docs/protocols/opcua.md."""

from plantwarden.decoders.opcua.decoder import OpcuaDecoder

__all__ = ["OpcuaDecoder"]
