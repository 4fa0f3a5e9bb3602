"""IEEE C37.118.2 code tables: number -> name, ``unknown-<n>`` for the rest."""

from __future__ import annotations

from typing import Final

from plantwarden.decoders.names import name_of  # noqa: F401  (re-exported to the package)

SYNC: Final = 0xAA
HEADER_LEN: Final = 14  # SYNC, FRAMESIZE, IDCODE, SOC, FRACSEC
MIN_FRAME: Final = 16  # header + CHK

FRAME_DATA: Final = 0
FRAME_HEADER: Final = 1
FRAME_CONFIG1: Final = 2
FRAME_CONFIG2: Final = 3
FRAME_COMMAND: Final = 4
FRAME_CONFIG3: Final = 5

FRAME_TYPES: Final[dict[int, str]] = {0: "data", 1: "header", 2: "config1", 3: "config2", 4: "command",
                                      5: "config3"}
FRAME_EVENTS: Final[dict[int, str]] = {t: f"c37118_{n}" for t, n in FRAME_TYPES.items()}

COMMANDS: Final[dict[int, str]] = {
    1: "turn_off_transmission", 2: "turn_on_transmission", 3: "send_header", 4: "send_config1",
    5: "send_config2", 6: "send_config3", 8: "extended_frame",
}

DATA_ERRORS: Final[dict[int, str]] = {0: "good", 1: "pmu_error", 2: "test_mode", 3: "pmu_error_no_data"}

TRIGGER_REASONS: Final[dict[int, str]] = {
    0: "manual", 1: "magnitude_low", 2: "magnitude_high", 3: "phase_angle_diff", 4: "frequency_high_or_low",
    5: "df_dt_high", 7: "digital",
}


