"""IEC 60870-5-104 code tables: type identifications, causes of transmission, U-frame functions.

Every table maps a number to a name; unknown numbers render as ``unknown-<n>`` so a lookup never
fails. Event names and type names are precomputed per type id so the hot path does a tuple index.
"""

from __future__ import annotations

from typing import Final

from plantwarden.decoders.names import name_of  # noqa: F401  (re-exported to the package)

#: every APDU starts with this byte, then a length byte counting the rest (4 control bytes + ASDU)
START: Final = 0x68
APCI_LEN: Final = 6
#: the APDU length byte: at least the 4 control bytes, at most 253 (IEC 60870-5-104 5.1)
MIN_LENGTH: Final = 4
MAX_LENGTH: Final = 253
#: type id, VSQ, cause (2 bytes with the originator address), common address (2 bytes)
ASDU_HEADER: Final = 6
IOA_LEN: Final = 3
#: a direction never holds more than this many unparsed bytes (one APDU is at most 255)
MAX_BUFFER: Final = 4096
#: bytes an unconfirmed flow may skip looking for an APDU before it is declared not IEC 104
MAX_JUNK_UNCONFIRMED: Final = 512

#: type identification -> standard name (IEC 60870-5-101/104); the reserved ids are absent
TYPE_IDS: Final[dict[int, str]] = {
    1: "M_SP_NA_1", 2: "M_SP_TA_1", 3: "M_DP_NA_1", 4: "M_DP_TA_1", 5: "M_ST_NA_1", 6: "M_ST_TA_1",
    7: "M_BO_NA_1", 8: "M_BO_TA_1", 9: "M_ME_NA_1", 10: "M_ME_TA_1", 11: "M_ME_NB_1", 12: "M_ME_TB_1",
    13: "M_ME_NC_1", 14: "M_ME_TC_1", 15: "M_IT_NA_1", 16: "M_IT_TA_1", 17: "M_EP_TA_1", 18: "M_EP_TB_1",
    19: "M_EP_TC_1", 20: "M_PS_NA_1", 21: "M_ME_ND_1",
    30: "M_SP_TB_1", 31: "M_DP_TB_1", 32: "M_ST_TB_1", 33: "M_BO_TB_1", 34: "M_ME_TD_1", 35: "M_ME_TE_1",
    36: "M_ME_TF_1", 37: "M_IT_TB_1", 38: "M_EP_TD_1", 39: "M_EP_TE_1", 40: "M_EP_TF_1",
    45: "C_SC_NA_1", 46: "C_DC_NA_1", 47: "C_RC_NA_1", 48: "C_SE_NA_1", 49: "C_SE_NB_1", 50: "C_SE_NC_1",
    51: "C_BO_NA_1",
    58: "C_SC_TA_1", 59: "C_DC_TA_1", 60: "C_RC_TA_1", 61: "C_SE_TA_1", 62: "C_SE_TB_1", 63: "C_SE_TC_1",
    64: "C_BO_TA_1",
    70: "M_EI_NA_1",
    100: "C_IC_NA_1", 101: "C_CI_NA_1", 102: "C_RD_NA_1", 103: "C_CS_NA_1", 104: "C_TS_NA_1",
    105: "C_RP_NA_1", 106: "C_CD_NA_1", 107: "C_TS_TA_1",
    110: "P_ME_NA_1", 111: "P_ME_NB_1", 112: "P_ME_NC_1", 113: "P_AC_NA_1",
    120: "F_FR_NA_1", 121: "F_SR_NA_1", 122: "F_SC_NA_1", 123: "F_LS_NA_1", 124: "F_AF_NA_1",
    125: "F_SG_NA_1", 126: "F_DR_TA_1", 127: "F_SC_NB_1",
}

#: cause of transmission (6 bits) -> name
CAUSES: Final[dict[int, str]] = {
    1: "periodic", 2: "background", 3: "spontaneous", 4: "initialized", 5: "request", 6: "activation",
    7: "activation_con", 8: "deactivation", 9: "deactivation_con", 10: "activation_termination",
    11: "return_remote", 12: "return_local", 13: "file_transfer", 20: "interrogated_station",
    **{20 + g: f"interrogated_group_{g}" for g in range(1, 17)},
    37: "counter_interrogated_general",
    **{37 + g: f"counter_interrogated_group_{g}" for g in range(1, 5)},
    44: "unknown_type_id", 45: "unknown_cause", 46: "unknown_common_address", 47: "unknown_ioa",
}

#: first control byte of a U frame -> function
U_FUNCTIONS: Final[dict[int, str]] = {
    0x07: "startdt_act", 0x0B: "startdt_con", 0x13: "stopdt_act", 0x23: "stopdt_con",
    0x43: "testfr_act", 0x83: "testfr_con",
}

#: qualifier of interrogation (C_IC_NA_1)
QOI_NAMES: Final[dict[int, str]] = {20: "station", **{20 + g: f"group_{g}" for g in range(1, 17)}}
#: request qualifier of counter interrogation (RQT, 6 bits) and freeze (FRZ, 2 bits)
RQT_NAMES: Final[dict[int, str]] = {1: "group_1", 2: "group_2", 3: "group_3", 4: "group_4", 5: "general"}
FRZ_NAMES: Final[dict[int, str]] = {0: "read", 1: "freeze_no_reset", 2: "freeze_with_reset", 3: "reset"}
#: qualifier of reset process (C_RP_NA_1)
QRP_NAMES: Final[dict[int, str]] = {1: "general_reset", 2: "reset_pending_events_with_time_tag"}
#: cause of initialisation (M_EI_NA_1, 7 bits)
COI_NAMES: Final[dict[int, str]] = {0: "local_power_on", 1: "local_manual_reset", 2: "remote_reset"}
#: qualifier of command (QU, 5 bits of SCO/DCO/RCO)
QU_NAMES: Final[dict[int, str]] = {0: "default", 1: "short_pulse", 2: "long_pulse", 3: "persistent"}
#: double point / double command state
DPI_NAMES: Final[tuple[str, ...]] = ("intermediate", "off", "on", "indeterminate")
#: regulating step command state
RCS_NAMES: Final[tuple[str, ...]] = ("not_permitted", "lower", "higher", "not_permitted")
#: kind of parameter (QPM, 6 bits)
KPA_NAMES: Final[dict[int, str]] = {1: "threshold", 2: "smoothing", 3: "low_limit", 4: "high_limit"}
#: qualifier of parameter activation (QPA)
QPA_NAMES: Final[dict[int, str]] = {1: "general", 2: "object", 3: "transmission"}


#: type names and I-frame event names indexed by type id (0-255)
TYPE_NAMES: Final = tuple(name_of(TYPE_IDS, t) for t in range(256))
ASDU_EVENTS: Final = tuple(
    f"iec104_{TYPE_IDS[t].lower()}" if t in TYPE_IDS else "iec104_unknown_asdu" for t in range(256)
)
CAUSE_NAMES: Final = tuple(name_of(CAUSES, c) for c in range(64))
#: U-frame function names and event names indexed by the first control byte
U_NAMES: Final = tuple(name_of(U_FUNCTIONS, b) for b in range(256))
U_EVENTS: Final = tuple(f"iec104_{U_FUNCTIONS[b]}" if b in U_FUNCTIONS else "iec104_u_unknown" for b in range(256))
S_EVENT: Final = "iec104_s_frame"
QOI_TEXT: Final = tuple(name_of(QOI_NAMES, q) for q in range(256))
