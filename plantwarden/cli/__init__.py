"""The plantwarden command line (click)."""
