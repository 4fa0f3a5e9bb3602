"""Accounts, roles and API tokens (docs/accounts.md)."""
