"""Every real capture in ../shared/pcaps is read to its end with every decoder on, without an exception."""

import pytest

from plantwarden.sensor.pipeline import Sensor

from ..conftest import PCAPS, manifest

ROWS = manifest()


@pytest.mark.shared
@pytest.mark.parametrize("row", ROWS, ids=[r["local_path"] for r in ROWS])
def test_capture_is_read_to_the_end(row, shared):
    s = Sensor()
    for _ in s.iter_batches(PCAPS / row["local_path"]):
        pass
    assert s.stats["weird.decoder_exception"] == 0
    assert s.stats["probe_exceptions"] == 0
    # the reader saw every record the manifest counts (a file cut mid-record loses only that record)
    assert s.stats["packets"] + s.stats["weird.truncated_capture_file"] >= int(row["packets"])


def test_manifest_lists_the_captures(shared):
    assert len(ROWS) == 217
