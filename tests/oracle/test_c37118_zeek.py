"""C37.118 against the ICSNPP/Zeek synchrophasor baselines (``synchrophasor_*.log``).

The btest scripts log every frame unfiltered (only conn.log is trimmed by zeek-cut, and it is not
compared). Compared: commands (synchrophasor_cmd.log), configuration frames and their PMUs
(synchrophasor_cfg.log, synchrophasor_cfg_detail.log), data frames (synchrophasor_data.log) and per
PMU data values (synchrophasor_data_detail.log: phasors, frequency deviation, ROCOF) as multisets.
The differences in representation are listed in docs/protocols/c37118.md ("Differences from Zeek").
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from oracle_common import PCAPS, read_zeek_log, records

BASELINES = sorted(PCAPS.glob("c37.118/*.zeek-baseline/*/synchrophasor.log")) if PCAPS.exists() else []
ZEEK_COMMANDS = {"Data off": "turn_off_transmission", "Data on": "turn_on_transmission",
                 "Send HDR": "send_header", "Send CFG-1": "send_config1", "Send CFG-2": "send_config2",
                 "Send CFG-3": "send_config3", "Extended frame": "extended_frame"}


def _capture(baseline: Path) -> Path:
    return baseline.parents[1].parent / baseline.parents[1].name.removesuffix(".zeek-baseline")


def _list(v: str) -> list[str]:
    return [] if v in ("(empty)", "-") else v.split(",")


def _r(x: Any) -> float:
    return round(float(x), 2)


@pytest.mark.shared
@pytest.mark.parametrize("baseline", BASELINES or ["<no ../shared>"], ids=lambda p: Path(str(p)).parent.name)
def test_c37118_matches_zeek(baseline: Path) -> None:
    if not BASELINES:
        pytest.skip("../shared/pcaps is absent")
    d = baseline.parent
    ours = [r for r in records(_capture(baseline), "c37118") if r["event"] != "weird"]

    cmd = Counter(ZEEK_COMMANDS.get(r["command"], r["command"]) for r in read_zeek_log(d / "synchrophasor_cmd.log"))
    assert cmd == Counter(r["command"] for r in ours if r["event"] == "c37118_command")

    cfg = Counter((r["frame_type"], int(r["frame_size"]), int(r["pmu_count_expected"]), int(r["data_rate"]))
                  for r in read_zeek_log(d / "synchrophasor_cfg.log"))
    our_cfgs = [r for r in ours if r["event"].startswith("c37118_config")]
    assert cfg == Counter((r["frame_type"].upper().replace("CONFIG", "CFG"), r["frame_size"], r["num_pmu"],
                           r["data_rate"]) for r in our_cfgs)

    detail = Counter((r["station_name"], int(r["data_source_id"]), int(r["phnmr"]), int(r["annmr"]),
                      int(r["dgnmr"]), tuple(_list(r["phnam"])), tuple(_list(r["annam"])),
                      tuple(_list(r["dgnam"])), int(r["fnom"]), int(r["cfgcnt"]))
                     for r in read_zeek_log(d / "synchrophasor_cfg_detail.log"))
    assert detail == Counter((p["station"], p["idcode"], p["phnmr"], p["annmr"], p["dgnmr"],
                              tuple(p["phasor_names"]), tuple(p["analog_names"]), tuple(p["digital_names"]),
                              1 if p["nominal_frequency"] == 50 else 0, p["config_count"])
                             for r in our_cfgs for p in r["pmus"])

    data = [r for r in ours if r["event"] == "c37118_data"]
    zdata = read_zeek_log(d / "synchrophasor_data.log")
    assert Counter(int(r["frame_size"]) for r in zdata) == Counter(r["frame_size"] for r in data)
    assert Counter(int(r["pmu_count_actual"]) for r in zdata) == Counter(len(r.get("pmus", ())) for r in data)

    zd = Counter()
    for r in read_zeek_log(d / "synchrophasor_data_detail.log"):
        rect = tuple(zip(map(_r, _list(r["est_rectangular_real"])), map(_r, _list(r["est_rectangular_imaginary"])),
                         strict=True))
        polar = tuple(zip(map(_r, _list(r["est_polar_magnitude"])), map(_r, _list(r["est_polar_angle"])), strict=True))
        zd[(rect if any(x != (0, 0) for x in rect) or not polar else polar, _r(r["freq_dev_mhz"]), _r(r["rocof"]))] += 1
    od = Counter()
    for r in data:
        pmu_cfgs = _pmus(our_cfgs, r["idcode"])
        for p, c in zip(r["pmus"], pmu_cfgs, strict=True):
            fnom = c["nominal_frequency"]
            dev = (p["frequency"] - fnom) * 1000.0 if p["frequency"] is not None else 0.0
            # ICSNPP logs an integer DFREQ as sent (ROCOF x 100); we report Hz/s
            rocof = (p["rocof"] or 0.0) * (100 if c["freq_format"] == "integer" else 1)
            od[(tuple((_r(a), _r(b)) for a, b in p["phasors"]), _r(dev), _r(rocof))] += 1
    assert len(zd) == len(od)
    assert sum(zd.values()) == sum(od.values())
    assert zd == od


def _pmus(cfgs: list[dict[str, Any]], idcode: int) -> list[dict[str, Any]]:
    """The PMU configurations a data frame of stream ``idcode`` was decoded with (the last config)."""
    match = [r for r in cfgs if r["idcode"] == idcode] or cfgs
    return list(match[-1]["pmus"])
