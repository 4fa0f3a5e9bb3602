"""The web service: REST API and dashboard over the store (docs/web.md)."""
