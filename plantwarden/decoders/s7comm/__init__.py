"""S7comm decoder."""
