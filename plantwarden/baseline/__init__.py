"""Learned baselines (the communication allowlist) and change windows. See docs/baselines.md and
docs/change-windows.md. Pure in-memory types and the learning sink: no store, CLI or sensor imports."""
