"""Vendor keys, product tokens, model patterns and product families (plantwarden.vulns.names).

The alias cases are the spellings devices and advisories really use: MAC registrants ("Siemens AG",
"Moxa Technologies Co., Ltd."), EtherNet/IP identities ("Rockwell Automation/Allen-Bradley") and the
vendor branches of the shared CISA advisories (``MANIFEST.tsv``, column ``vendor_names_in_product_tree``,
where the names of several vendor branches are joined with " | ").
"""

from __future__ import annotations

import csv
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest

from plantwarden.vulns.names import (
    ALIASES,
    families,
    fold,
    model_pattern,
    product_tokens,
    squash,
    vendor_key,
    vendor_keys,
)

CSAF = Path(__file__).resolve().parents[3] / "shared" / "advisories" / "csaf"


def manifest_rows() -> list[dict[str, str]]:
    path = CSAF / "MANIFEST.tsv"
    if not path.is_file():
        pytest.skip("../shared/advisories/csaf is not beside the project")
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def branch_names(row: dict[str, str]) -> list[str]:
    """The vendor branch names of one MANIFEST row (several branches are joined with ' | ')."""
    return [n.strip() for n in row["vendor_names_in_product_tree"].split(" | ") if n.strip()]


# --------------------------------------------------------------------------------------------- vendors


@pytest.mark.parametrize(("name", "key"), [
    ("Siemens AG", "siemens"),
    ("SIEMENS", "siemens"),
    ("Siemens", "siemens"),
    ("Siemens Energy", "siemens"),
    ("  siemens ag  ", "siemens"),
    ("Allen-Bradley", "rockwell automation"),
    ("Allen Bradley", "rockwell automation"),
    ("Rockwell Automation, Inc.", "rockwell automation"),
    ("Rockwell Automation/Allen-Bradley", "rockwell automation"),
    ("Telemecanique", "schneider electric"),
    ("Schneider Electric SE", "schneider electric"),
    ("Schneider Electric Software, LLC", "schneider electric"),
    ("General Electric (GE)", "general electric"),
    ("GE Digital", "general electric"),
    ("3S-Smart Software Solutions GmbH", "codesys"),
    ("CODESYS, GmbH", "codesys"),
    ("Hirschmann Automation and Control GmbH", "belden"),
    ("Hirschmann Automation and Control GmbH, Belden Inc.", "belden"),
    ("Moxa Technologies Co., Ltd.", "moxa"),
    ("MOXA", "moxa"),
    ("OSIsoft LLC", "aveva"),
    ("Mitsubishi Electric Corporation", "mitsubishi electric"),
    ("ICONICS", "mitsubishi electric"),
    ("Phoenix Contact GmbH & Co. KG", "phoenix contact"),
    ("WAGO Kontakttechnik GmbH & Co. KG", "wago"),
    ("Digi International, Inc. ", "digi"),
    ("B&R Industrial Automation", "b&r"),
])
def test_vendor_key_aliases(name: str, key: str) -> None:
    assert vendor_key(name) == key
    assert vendor_keys(name) == {key}


def test_hirschmann_gives_belden_only() -> None:
    # "and" inside a company name is not a list of vendors
    assert vendor_keys("Hirschmann Automation and Control GmbH") == {"belden"}


def test_unknown_vendors_keep_their_own_words_without_legal_suffixes() -> None:
    assert vendor_key("Acme Widgets GmbH") == "acme widgets"
    assert vendor_key("Texas Instruments Incorporated") == "texas instruments"
    assert vendor_key("Distributed Data Systems") == "distributed data systems"
    assert vendor_key("") == ""
    assert vendor_keys("") == set()
    assert vendor_keys(" , | ") == set()


def test_gmbh_and_co_kg_of_an_unknown_vendor() -> None:
    assert vendor_key("Acme Widgets GmbH & Co. KG") == vendor_key("Acme Widgets GmbH") == "acme widgets"


def test_fold() -> None:
    assert fold("Télémécanique  S.A.") == "telemecanique s a"
    assert fold("B&R") == "b&r"


@pytest.mark.parametrize(("text", "keys"), [
    ("ICONICS | Mitsubishi Electric", {"mitsubishi electric"}),  # ICONICS is a Mitsubishi Electric company
    ("Matrikon, Honeywell", {"honeywell"}),
    ("Kantech, Johnson Controls Inc.", {"johnson controls"}),
    ("M&M Software GmbH, WAGO Kontakttechnik", {"m&m", "wago"}),
    ("Acme Controls; Siemens", {"siemens", "acme controls"}),
])
def test_vendor_lists(text: str, keys: set[str]) -> None:
    assert vendor_keys(text) == keys


@pytest.mark.parametrize(("text", "keys"), [
    ("Red Lion, AutomationDirect", {"red lion", "automationdirect"}),
    ("General Electric (GE) and Emerson", {"general electric", "emerson"}),
    ("AVEVA Software, LLC and Schneider Electric Software, LLC", {"aveva", "schneider electric"}),
    ("Siemens; Acme Controls", {"siemens", "acme controls"}),
])
def test_vendor_lists_that_begin_with_a_known_vendor(text: str, keys: set[str]) -> None:
    assert vendor_keys(text) == keys


def test_aliases_point_at_keys_that_are_their_own_alias() -> None:
    for key in set(ALIASES.values()):
        assert vendor_key(key) == key, key


@pytest.mark.shared
def test_every_manifest_vendor_name_has_a_key() -> None:
    rows = manifest_rows()
    assert len(rows) == 311
    for row in rows:
        names = branch_names(row)
        assert names, row["file"]
        for name in names:
            assert vendor_key(name), (row["file"], name)
            assert vendor_keys(name), (row["file"], name)


@pytest.mark.shared
def test_manifest_normalized_vendor_keys_are_consistent_for_single_vendor_names() -> None:
    """``vendor_normalized`` names one vendor per advisory: every branch name that names one vendor gives
    that vendor's key, and all rows of one normalized vendor share it (branch names listing several
    vendors are checked by the next test)."""
    keys_of: dict[str, set[str]] = defaultdict(set)
    bad = []
    for row in manifest_rows():
        normalized = row["vendor_normalized"]
        if normalized == "other":
            continue
        want = vendor_key(normalized)
        for name in branch_names(row):
            if "," in name or " and " in name:
                continue
            keys_of[normalized] |= vendor_keys(name)
            if vendor_keys(name) != {want}:
                bad.append((row["file"], normalized, name, sorted(vendor_keys(name))))
    assert not bad, bad
    inconsistent = {n: sorted(k) for n, k in keys_of.items() if len(k) != 1}
    assert not inconsistent, inconsistent


@pytest.mark.shared
def test_manifest_normalized_vendor_is_among_the_keys_of_every_row() -> None:
    bad = []
    for row in manifest_rows():
        normalized = row["vendor_normalized"]
        if normalized == "other":
            continue
        keys = set().union(*(vendor_keys(n) for n in branch_names(row)))
        if vendor_key(normalized) not in keys:
            bad.append((row["file"], row["tracking_id"], normalized, row["vendor_names_in_product_tree"],
                        sorted(keys)))
    assert not bad, "\n".join(map(str, bad))


# ---------------------------------------------------------------------------------------------- tokens


def test_product_tokens_keep_model_numbers_whole_and_split() -> None:
    toks = product_tokens("SIMATIC S7-1500 CPU 1516-3 PN/DP")
    assert {"simatic", "s7-1500", "s7", "1500", "cpu", "1516-3", "1516", "pn/dp", "pn", "dp"} <= toks
    assert product_tokens("1756-L71/B LOGIX5571") >= {"1756-l71/b", "1756", "l71", "logix5571"}


def test_product_tokens_drop_noise_words_and_fold() -> None:
    assert product_tokens("Modicon M340 firmware, all versions") == {"modicon", "m340"}
    assert product_tokens("EDS-405A Series") == {"eds-405a", "eds", "405a"}
    assert product_tokens("Télémécanique TSX") == {"telemecanique", "tsx"}
    assert product_tokens("") == set()
    assert product_tokens("<script>alert(1)</script>") == {"script", "alert", "1"}


# --------------------------------------------------------------------------------------- model numbers


@pytest.mark.parametrize(("pattern", "text", "hit"), [
    ("6ES7 516-3AN0*", "6ES7 516-3AN01-0AB0", True),
    ("6ES7 516-3AN0*", "6ES7516-3AN02-0AB0", True),
    ("6ES7 516-3AN0*", "6es7 516 3an00 0ab0", True),
    ("6ES7 516-3AN0*", "6ES7 516-3FN01-0AB0", False),
    ("6ES7 516-3AN0*", "6ES7 516-3AN1", False),
    ("1756-L7?", "1756-L71", True),
    ("1756-L7?", "1756-L73", True),
    ("1756-L7?", "1756-L7", False),
    ("1756-L7?", "1756-L71S", False),
    ("1756-L7?", "1756-L81", False),
    ("BMX P34 2020", "BMXP342020", True),
    ("BMX P34 2020", "bmx-p34-2020", True),
    ("BMX P34 2020", "BMX P34 20202", False),
    ("6ES7516-3AN01-0AB0", "6ES7 516-3AN01-0AB0", True),
    ("6ES7516-3AN01-0AB0", "6ES7 516-3AN01-0AB1", False),
    ("A.B(1)+", "a.b(1)+", True),  # regex metacharacters are literal
    ("A.B(1)+", "axb(1)+", False),
])
def test_model_pattern(pattern: str, text: str, hit: bool) -> None:
    assert bool(model_pattern(pattern).match(squash(text))) is hit


def test_squash() -> None:
    assert squash(" 6ES7 516-3AN01-0AB0 ") == "6es75163an010ab0"
    assert squash("BMX_P34 - 2020") == "bmxp342020"


def test_model_pattern_with_one_wildcard_on_a_long_hostile_string_is_quick() -> None:
    text = squash("6ES7" + "5" * 200_000 + "!")
    t0 = time.perf_counter()
    assert not model_pattern("6ES7 516-3AN0*").match(text)
    assert not model_pattern("6ES7*X").match(text)
    assert time.perf_counter() - t0 < 2.0


def test_model_pattern_with_several_wildcards_on_a_long_string_is_quick() -> None:
    # run in a child: the backtracking regular expression cannot be interrupted in this process
    code = (
        "from plantwarden.vulns.names import model_pattern, squash\n"
        "assert not model_pattern('6ES7*5*5*X').match(squash('6ES7' + '5' * 5000 + '!'))\n"
    )
    try:
        subprocess.run([sys.executable, "-c", code], check=True, timeout=3.0)
    except subprocess.TimeoutExpired:
        pytest.fail("a 5,000-character model against a pattern with three '*' took more than 3 s")


# -------------------------------------------------------------------------------------------- families


@pytest.mark.parametrize(("vendor", "model", "family"), [
    ("siemens", "6ES7 214-1AG40-0XB0", "simatic s7-1200"),  # CPU 1214C
    ("siemens", "6ES7 212-1BE40-0XB0", "simatic s7-1200"),
    ("siemens", "CPU 1214C DC/DC/DC", "simatic s7-1200"),
    ("siemens", "6ES7 516-3AN01-0AB0", "simatic s7-1500"),  # CPU 1516-3 PN/DP
    ("siemens", "6ES7 511-1AK02-0AB0", "simatic s7-1500"),
    ("siemens", "6ES7 518-4AP00-0AB0", "simatic s7-1500"),
    ("siemens", "CPU 1516-3 PN/DP", "simatic s7-1500"),
    ("siemens", "CPU 1511-1 PN", "simatic s7-1500"),
    ("siemens", "6ES7 315-2EH14-0AB0", "simatic s7-300"),
    ("siemens", "6ES7 317-2EK14-0AB0", "simatic s7-300"),
    ("siemens", "CPU 315-2 PN/DP", "simatic s7-300"),
    ("siemens", "6ES7 416-3ES07-0AB0", "simatic s7-400"),
    ("siemens", "6ES7 412-2EK07-0AB0", "simatic s7-400"),
    ("siemens", "CPU 416-3 PN/DP", "simatic s7-400"),
    ("siemens", "6ES7 151-8AB01-0AB0", "simatic et 200"),
    ("siemens", "6GK5 750-2HX01-1AA0", "simatic net scalance"),
    ("rockwell automation", "1756-L71/B LOGIX5571", "controllogix 5570"),
    ("rockwell automation", "1756-L71", "controllogix"),
    ("rockwell automation", "1756-L73", "controllogix 5570"),
    ("rockwell automation", "1756-L83E", "controllogix 5580"),
    ("rockwell automation", "1769-L33ER", "compactlogix 5370"),
    ("rockwell automation", "1769-L36ERM", "compactlogix"),
    ("rockwell automation", "5069-L320ER", "compactlogix 5380"),
    ("rockwell automation", "5069-L340ERM", "compactlogix 5380"),
    ("rockwell automation", "1766-L32BXB", "micrologix 1400"),
    ("rockwell automation", "2080-LC50-24QWB", "micro800"),
    ("schneider electric", "BMX P34 2020", "modicon m340"),
    ("schneider electric", "BMXP342010", "modicon m340"),
    ("schneider electric", "BMEP58 2040", "modicon m580"),
    ("schneider electric", "BME P58 4040", "modicon m580"),
    ("schneider electric", "TM241CEC24T", "modicon m241"),
    ("schneider electric", "TM241CE40R", "modicon m241"),
    ("schneider electric", "TM221CE16R", "modicon m221"),
    ("schneider electric", "140 CPU 651 50", "modicon quantum"),
    ("schneider electric", "TSX P57 2634M", "modicon premium"),
])
def test_families(vendor: str, model: str, family: str) -> None:
    assert family in families(vendor, [model])


@pytest.mark.parametrize(("vendor", "model", "family"), [
    ("siemens", "6ES7 214-1AG40-0XB0", "simatic s7-1500"),
    ("siemens", "6ES7 516-3AN01-0AB0", "simatic s7-1200"),
    ("siemens", "6ES7 315-2EH14-0AB0", "simatic s7-400"),
    ("siemens", "CPU 315-2 PN/DP", "simatic s7-1500"),
    ("rockwell automation", "1756-L71", "controllogix 5580"),
    ("rockwell automation", "1756-L83E", "controllogix 5570"),
    ("rockwell automation", "1769-L33ER", "compactlogix 5380"),
    ("schneider electric", "BMX P34 2020", "modicon m580"),
    ("schneider electric", "TM241CEC24T", "modicon m221"),
])
def test_families_do_not_mix_lines(vendor: str, model: str, family: str) -> None:
    assert family not in families(vendor, [model])


def test_families_belong_to_their_vendor() -> None:
    assert families("rockwell automation", ["BMX P34 2020"]) == set()
    assert families("schneider electric", ["1756-L71"]) == set()
    assert families("acme", ["6ES7 516-3AN01-0AB0"]) == set()
    assert families("siemens", []) == set()


@pytest.mark.parametrize("model", ["6ES7 151-8AB01-0AB0", "6ES7 155-6AU01-0BN0", "6ES7 153-2BA10-0XB0"])
def test_et200_interface_modules_are_not_s7_1500(model: str) -> None:
    assert "simatic s7-1500" not in families("siemens", [model])
