"""MMS (ISO 9506) and ISO upper-layer code tables: number -> name, ``unknown-<n>`` for the rest.

Names are snake case so that they can be used as event-name parts (``mms_get_name_list_request``).
"""

from __future__ import annotations

import re
from typing import Final

from plantwarden.decoders.names import name_of  # noqa: F401  (re-exported to the package)

#: ConfirmedServiceRequest / -Response CHOICE tags (ISO 9506-2), also the bit numbers of
#: ``servicesSupported`` 0..77
_SERVICES = [
    "status", "getNameList", "identify", "rename", "read", "write", "getVariableAccessAttributes",
    "defineNamedVariable", "defineScatteredAccess", "getScatteredAccessAttributes", "deleteVariableAccess",
    "defineNamedVariableList", "getNamedVariableListAttributes", "deleteNamedVariableList",
    "defineNamedType", "getNamedTypeAttributes", "deleteNamedType", "input", "output", "takeControl",
    "relinquishControl", "defineSemaphore", "deleteSemaphore", "reportSemaphoreStatus",
    "reportPoolSemaphoreStatus", "reportSemaphoreEntryStatus", "initiateDownloadSequence",
    "downloadSegment", "terminateDownloadSequence", "initiateUploadSequence", "uploadSegment",
    "terminateUploadSequence", "requestDomainDownload", "requestDomainUpload", "loadDomainContent",
    "storeDomainContent", "deleteDomain", "getDomainAttributes", "createProgramInvocation",
    "deleteProgramInvocation", "start", "stop", "resume", "reset", "kill", "getProgramInvocationAttributes",
    "obtainFile", "defineEventCondition", "deleteEventCondition", "getEventConditionAttributes",
    "reportEventConditionStatus", "alterEventConditionMonitoring", "triggerEvent", "defineEventAction",
    "deleteEventAction", "getEventActionAttributes", "reportEventActionStatus", "defineEventEnrollment",
    "deleteEventEnrollment", "alterEventEnrollment", "reportEventEnrollmentStatus",
    "getEventEnrollmentAttributes", "acknowledgeEventNotification", "getAlarmSummary",
    "getAlarmEnrollmentSummary", "readJournal", "writeJournal", "initializeJournal", "reportJournalStatus",
    "createJournal", "deleteJournal", "getCapabilityList", "fileOpen", "fileRead", "fileClose",
    "fileRename", "fileDelete", "fileDirectory"
]
#: services-supported bits beyond the confirmed services
_SUPPORTED_EXTRA = [
    "unsolicitedStatus", "informationReport", "eventNotification", "attachToEventCondition",
    "attachToSemaphore", "conclude", "cancel"
]


def snake(name: str) -> str:
    """``getNameList`` -> ``get_name_list``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


SERVICES: Final[dict[int, str]] = {i: snake(n) for i, n in enumerate(_SERVICES)}
SERVICE_REQUEST_EVENT: Final[dict[int, str]] = {i: f"mms_{n}_request" for i, n in SERVICES.items()}
SERVICE_RESPONSE_EVENT: Final[dict[int, str]] = {i: f"mms_{n}_response" for i, n in SERVICES.items()}
SERVICE_ERROR_EVENT: Final[dict[int, str]] = {i: f"mms_{n}_error" for i, n in SERVICES.items()}
SUPPORTED_BITS: Final[tuple[str, ...]] = tuple(SERVICES[i] for i in range(len(_SERVICES))) + tuple(
    snake(n) for n in _SUPPORTED_EXTRA)

#: parameter CBB bits (ISO 9506-2 ParameterSupportOptions)
PARAMETER_CBB: Final[tuple[str, ...]] = (
    "str1", "str2", "vnam", "valt", "vadr", "vsca", "tpy", "vlis", "real", "spare_bit9", "cei")

#: UnconfirmedService CHOICE
UNCONFIRMED: Final[dict[int, str]] = {0: "information_report", 1: "unsolicited_status", 2: "event_notification"}

#: MMSpdu CHOICE tags
PDU_TYPES: Final[dict[int, str]] = {
    0: "confirmed_request", 1: "confirmed_response", 2: "confirmed_error", 3: "unconfirmed", 4: "reject",
    5: "cancel_request", 6: "cancel_response", 7: "cancel_error", 8: "initiate_request",
    9: "initiate_response", 10: "initiate_error", 11: "conclude_request", 12: "conclude_response",
    13: "conclude_error",
}

ERROR_CLASSES: Final[dict[int, str]] = {
    0: "vmd_state", 1: "application_reference", 2: "definition", 3: "resource", 4: "service",
    5: "service_preempt", 6: "time_resolution", 7: "access", 8: "initiate", 9: "conclude", 10: "cancel",
    11: "file", 12: "others",
}

#: RejectPDU rejectReason CHOICE tag -> which PDU was rejected
REJECT_PDUS: Final[dict[int, str]] = {
    1: "confirmed_request", 2: "confirmed_response", 3: "confirmed_error", 4: "unconfirmed", 5: "pdu_error",
    6: "cancel_request", 7: "cancel_response", 8: "cancel_error", 9: "conclude_request",
    10: "conclude_response", 11: "conclude_error",
}

OBJECT_CLASSES: Final[dict[int, str]] = {
    0: "named_variable", 1: "scattered_access", 2: "named_variable_list", 3: "named_type", 4: "semaphore",
    5: "event_condition", 6: "event_action", 7: "event_enrollment", 8: "journal", 9: "domain",
    10: "program_invocation", 11: "operator_station", 12: "data_exchange", 13: "access_control_list",
}

DATA_ACCESS_ERRORS: Final[dict[int, str]] = {
    0: "object_invalidated", 1: "hardware_fault", 2: "temporarily_unavailable", 3: "object_access_denied",
    4: "object_undefined", 5: "invalid_address", 6: "type_unsupported", 7: "type_inconsistent",
    8: "object_attribute_inconsistent", 9: "object_access_unsupported", 10: "object_non_existent",
    11: "object_value_invalid",
}

# ISO 8327 session SPDU identifiers
SPDU_GIVE_TOKENS_OR_DATA: Final = 1
SPDU_FINISH: Final = 9
SPDU_DISCONNECT: Final = 10
SPDU_REFUSE: Final = 12
SPDU_CONNECT: Final = 13
SPDU_ACCEPT: Final = 14
SPDU_ABORT: Final = 25
SPDU_NAMES: Final[dict[int, str]] = {
    1: "data_transfer", 2: "please_tokens", 5: "expedited", 7: "prepare", 8: "not_finished",
    9: "finish", 10: "disconnect", 12: "refuse", 13: "connect", 14: "accept", 15: "connect_data_overflow",
    16: "overflow_accept", 21: "give_tokens_confirm", 22: "give_tokens_ack", 25: "abort", 26: "abort_accept",
}

ACSE_RESULTS: Final[dict[int, str]] = {0: "accepted", 1: "rejected_permanent", 2: "rejected_transient"}
ACSE_ABORT_SOURCES: Final[dict[int, str]] = {0: "service_user", 1: "service_provider"}
RELEASE_REASONS: Final[dict[int, str]] = {0: "normal", 1: "urgent", 30: "user_defined"}
PRES_RESULTS: Final[dict[int, str]] = {0: "acceptance", 1: "user_rejection", 2: "provider_rejection"}

#: well-known object identifiers of the upper layers
OIDS: Final[dict[str, str]] = {
    "2.2.1.0.1": "acse",
    "1.0.9506.2.1": "mms",
    "1.0.9506.2.3": "mms_application_context",
    "2.1.1": "ber",
    "1.0.9506.2.2": "mms_ber",  # the MMS abstract syntax's transfer syntax in some stacks
    "2.2.3.1": "password_authentication",
    "1.3.12.2.1107.3.47.1": "iccp",
}


