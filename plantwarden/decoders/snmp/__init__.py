"""SNMP v1/v2c/v3: PDUs, community strings (credentials in clear), variable bindings, agent identity."""

from plantwarden.decoders.snmp.decoder import SnmpDecoder

__all__ = ["SnmpDecoder"]
