"""The explicit list of detections. Adding one is a module with its classes and one line here."""

from __future__ import annotations

from plantwarden.detections.base import Detection
from plantwarden.detections.plc_state import OperatingModeChange, PlcStop
from plantwarden.detections.program import ProgramDownload, ProgramUpload

DETECTIONS: tuple[type[Detection], ...] = (
    PlcStop,
    OperatingModeChange,
    ProgramDownload,
    ProgramUpload,
)
