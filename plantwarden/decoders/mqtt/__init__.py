"""MQTT decoder (3.1, 3.1.1, 5.0: every control packet, v5 properties). See docs/protocols/mqtt.md."""

from plantwarden.decoders.mqtt.decoder import MqttDecoder

__all__ = ["MqttDecoder"]
