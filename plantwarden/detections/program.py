"""Program (logic) transfers to and from a controller.

``ics.program_download`` (T0843 Program Download): new logic or blocks written to a PLC.
``ics.program_upload`` (T0845 Program Upload): the PLC's logic read out, which an attacker does to
learn the process before changing it. See docs/detections/.
"""

from __future__ import annotations

from plantwarden.core.alerts import HIGH, MEDIUM
from plantwarden.detections.rules import CommandRule, always

#: UMAS sub-functions of a download (initialize, download block, end) and of an upload
UMAS_DOWNLOAD = {0x30: "UMAS initialize download", 0x31: "UMAS download block", 0x32: "UMAS end download"}
UMAS_UPLOAD = {0x33: "UMAS initialize upload", 0x34: "UMAS upload block", 0x35: "UMAS end upload"}


class ProgramDownload(CommandRule):
    id = "ics.program_download"
    technique = "T0843"
    severity = HIGH
    summary = "Logic, blocks or a program file written to a controller (S7 download, UMAS download, FINS program area write, MMS download sequence)."
    match = {
        "s7comm_request_download_request": always("S7 block download"),
        "modbus_umas_request": lambda f: UMAS_DOWNLOAD.get(f.get("umas_function", -1)),
        "fins_program_area_write_request": always("FINS program area write"),
        "mms_initiate_download_sequence_request": always("MMS download sequence"),
        "mms_request_domain_download_request": always("MMS request domain download"),
    }


class ProgramUpload(CommandRule):
    id = "ics.program_upload"
    technique = "T0845"
    severity = MEDIUM
    summary = "Logic or blocks read out of a controller (S7 upload, UMAS upload, FINS program area read, MMS upload sequence)."
    match = {
        "s7comm_start_upload_request": always("S7 block upload"),
        "modbus_umas_request": lambda f: UMAS_UPLOAD.get(f.get("umas_function", -1)),
        "fins_program_area_read_request": always("FINS program area read"),
        "mms_initiate_upload_sequence_request": always("MMS upload sequence"),
        "mms_request_domain_upload_request": always("MMS request domain upload"),
    }
