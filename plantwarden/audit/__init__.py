"""The tamper-evident audit log (docs/audit.md)."""
