"""Every detection is documented: a page with its id, technique and options, and a row in the index."""

from __future__ import annotations

import pytest

from plantwarden.detections.catalog import REQUESTS
from plantwarden.detections.registry import DETECTIONS

from ..conftest import ROOT

DOCS = ROOT / "docs"


@pytest.mark.parametrize("d", DETECTIONS, ids=lambda d: d.id)
def test_page(d):
    page = (DOCS / "detections" / f"{d.id}.md").read_text()
    assert page.startswith(f"# `{d.id}`")
    assert f"**{d.technique} " in page, f"{d.id}: the page names another technique than {d.technique}"
    for section in ("## Why it matters", "## How it decides", "## False positives", "## Tuning"):
        assert section in page
    for opt in d.options:
        assert f"`{opt}`" in page, f"{d.id}: option {opt} undocumented"
    assert f"[`{d.id}`](detections/{d.id}.md) | {d.technique} " in (DOCS / "detections.md").read_text()


def test_quality_table_markers():
    text = (DOCS / "detections.md").read_text()
    assert "<!-- quality:start -->" in text and "| **all** |" in text


def test_request_catalog_covers_what_the_shared_captures_hold():
    # a sample of request events seen in ../shared decodes: the catalog must name them
    for name in ("modbus_read_holding_registers_request", "s7comm_read_var_request", "s7comm_userdata_request",
                 "dnp3_read_request", "iec104_c_ic_na_1", "enip_get_attribute_list_request",
                 "enip_unknown_service_request", "bacnet_read_property_request", "bacnet_who_is",
                 "opcua_read_request", "mms_read_request", "ads_read_request", "fins_controller_data_read_request",
                 "slmp_read_cpu_model_request", "enip_list_identity_request"):
        assert name in REQUESTS, name
    assert not any(n.endswith("_response") for n in REQUESTS)
