"""plantwarden: a passive OT/ICS security sensor and the programs built on what it sees."""

__version__ = "0.1.0"
