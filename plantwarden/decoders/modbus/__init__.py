"""Modbus/TCP decoder (MBAP framing, public function codes, UMAS by number). See docs/protocols/modbus.md."""

from plantwarden.decoders.modbus.decoder import ModbusDecoder

__all__ = ["ModbusDecoder"]
