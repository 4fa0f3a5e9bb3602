"""The CIP vendor table agrees with the installed Wireshark's (where it was taken from)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from plantwarden.decoders.enip.vendors import VENDORS


def test_vendor_table_shape() -> None:
    assert VENDORS[1] == "Rockwell Automation/Allen-Bradley"
    assert len(VENDORS) > 1000
    assert all(isinstance(k, int) and 0 < k < 65536 and v and v != "Reserved" for k, v in VENDORS.items())


@pytest.mark.tshark
def test_vendor_table_matches_tshark() -> None:
    tshark = shutil.which("tshark")
    if tshark is None:
        if os.environ.get("CI") == "true":
            pytest.fail("tshark is required when CI=true")
        pytest.skip("tshark not installed")
    out = subprocess.run([tshark, "-G", "values"], capture_output=True, text=True, check=True).stdout
    theirs = {}
    for line in out.splitlines():
        cols = line.split("\t")
        if len(cols) == 4 and cols[0] == "V" and cols[1] == "cip.id.vendor_id":
            theirs[int(cols[2], 0)] = cols[3].strip()
    assert theirs, "tshark lists no CIP vendors"
    # every vendor we name is named alike by tshark (a newer tshark may know more)
    assert {k: v for k, v in VENDORS.items() if theirs.get(k) != v} == {}
