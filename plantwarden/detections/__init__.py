"""Detections: decoded events -> alerts mapped to MITRE ATT&CK for ICS. See docs/detections.md."""
