"""The application's error tree. Messages tell the user what to do."""

from __future__ import annotations


class PlantwardenError(Exception):
    """Base of every error plantwarden raises on purpose."""


class NotFound(PlantwardenError):
    pass


class Conflict(PlantwardenError):
    pass


class InvalidInput(PlantwardenError):
    pass


class Forbidden(PlantwardenError):
    pass


class NotACaptureError(InvalidInput):
    """The file is not a pcap or pcapng capture."""
