"""The explicit list of detections. Adding one is a module with its classes and one line here."""

from __future__ import annotations

from plantwarden.detections.alarms import UnsolicitedDisabled
from plantwarden.detections.assets import NewAsset, ResetStorm
from plantwarden.detections.base import Detection
from plantwarden.detections.commands import BroadcastWrite, ControllerLock, FirmwareUpdate
from plantwarden.detections.credentials import CredentialsInClear, DefaultCredentials
from plantwarden.detections.discovery import IdentificationScan, NetworkScan
from plantwarden.detections.masters import CoilForcing, NewTalker, TimeChange, WriteFromUnknownMaster
from plantwarden.detections.network_config import NetworkConfigChange
from plantwarden.detections.plc_state import OperatingModeChange, PlcStop
from plantwarden.detections.process import ProcessAnomaly
from plantwarden.detections.program import ProgramDownload, ProgramUpload
from plantwarden.detections.restart import DeviceRestart, ForceListenOnly
from plantwarden.detections.scans import RegisterScan, RequestFlood, UnitIdScan
from plantwarden.detections.values import ValueOutOfRange
from plantwarden.detections.violations import ProtocolViolation

DETECTIONS: tuple[type[Detection], ...] = (
    PlcStop,
    OperatingModeChange,
    ProgramDownload,
    ProgramUpload,
    DeviceRestart,
    ForceListenOnly,
    IdentificationScan,
    NetworkScan,
    UnitIdScan,
    RegisterScan,
    RequestFlood,
    WriteFromUnknownMaster,
    NewTalker,
    BroadcastWrite,
    CoilForcing,
    ValueOutOfRange,
    ProcessAnomaly,
    UnsolicitedDisabled,
    ProtocolViolation,
    CredentialsInClear,
    DefaultCredentials,
    FirmwareUpdate,
    NetworkConfigChange,
    NewAsset,
    ResetStorm,
    ControllerLock,
    TimeChange,
    __import__("plantwarden.detections.ioc", fromlist=["IocMatch"]).IocMatch,  # indicators of compromise
)


def select(names: str | None) -> tuple[type[Detection], ...]:
    """The detections named in a comma-separated list: all for None or "all", none for "none"."""
    if names is None or names.strip() in ("", "all"):
        return DETECTIONS
    if names.strip() == "none":
        return ()
    wanted = {n.strip() for n in names.split(",") if n.strip()}
    known = {d.id for d in DETECTIONS}
    unknown = sorted(wanted - known)
    if unknown:
        raise KeyError(f"unknown detection {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    return tuple(d for d in DETECTIONS if d.id in wanted)
