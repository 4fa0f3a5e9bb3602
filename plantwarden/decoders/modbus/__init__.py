"""Modbus/TCP decoder."""
