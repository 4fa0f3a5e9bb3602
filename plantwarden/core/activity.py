"""What a request does to the device it is sent to, in words every protocol shares.

Each decoder classifies its own requests (``Decoder.activity``); the inventory turns activities into
roles, and detections into alerts. Strings, so they can be stored and shown as they are.
"""

from __future__ import annotations

from typing import Final

READS: Final = "reads"  # reads process data, status or diagnostics
WRITES: Final = "writes"  # changes process data or set-points
PROGRAMS: Final = "programs"  # changes the program, configuration or operating mode (download, stop ...)
IDENTIFIES: Final = "identifies"  # asks the device who it is (model, firmware, serial)

ACTIVITIES: Final = (READS, WRITES, PROGRAMS, IDENTIFIES)
