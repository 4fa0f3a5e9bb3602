"""Process values from decoded traffic (plantwarden.ml.series): the demo plant's capture, crafted events,
type guesses, the time grid, caps and hostile input."""

from __future__ import annotations

import math
import struct
from pathlib import Path

import numpy as np
import pytest

from plantwarden.core.events import Event
from plantwarden.core.flow import Flow
from plantwarden.demo.plant import generate_demo_capture
from plantwarden.ml.series import Frame, PointType, ValueRecorder, frame, guess_types
from plantwarden.sensor.pipeline import Sensor


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> ValueRecorder:
    cap = generate_demo_capture(tmp_path_factory.mktemp("demo") / "demo.pcap")
    rec = ValueRecorder()
    Sensor(sinks=[rec]).process_file(cap)
    return rec


def flow(client: str = "10.0.0.9", server: str = "10.0.0.5") -> Flow:
    return Flow("tcp", client, 50000, server, 502, 0.0, 1, 1)


def ev(name: str, ts: float, **fields: object) -> Event:
    return Event(name, ts, 1, name.endswith("_request"), dict(fields))


def test_the_demo_plant_s_registers_coils_and_db_words(demo: ValueRecorder) -> None:
    pts = demo.points
    plc1 = [k for k in pts if k.startswith("10.10.10.11/unit1/")]
    assert {k.rsplit("/", 2)[1] for k in plc1} == {"holding", "coil"}
    assert len([k for k in plc1 if "/holding/" in k]) == 10 and len([k for k in plc1 if "/coil/" in k]) == 16
    h1 = pts["10.10.10.11/unit1/holding/1"]
    assert h1.reads > 200 and h1.writes >= 1 and "10.10.20.10" in h1.writers  # the EWS's setpoint write
    counter = pts["10.10.10.11/unit1/holding/7"].arrays()[1]
    assert counter[:4].tolist() == [1.0, 2.0, 3.0, 4.0]  # a counter the generator increments each poll
    g = guess_types(pts)
    assert g["10.10.10.11/unit1/coil/3"].dtype == "bool"
    assert g["10.10.10.12/db2/w/4"].dtype == "float32_abcd"
    assert g["10.10.10.12/db2/w/6"].dtype == "float32_abcd:low"
    assert g["10.10.10.12/db1/w/0"].dtype == "uint16"


def test_the_frame_decodes_the_float_and_leaves_nan_before_the_first_sample(demo: ValueRecorder) -> None:
    f = frame(demo.points, 1.0)
    assert f.values.shape == (len(f.ts), len(f.columns))
    assert "10.10.10.12/db2/w/6" not in f.columns  # the float's second word is part of the first
    j = f.columns.index("10.10.10.12/db2/w/4")
    col = f.values[:, j]
    assert math.isnan(col[0])  # the S7 poll starts after the Modbus one
    seen = col[~np.isnan(col)]
    assert seen.min() >= 6.5 and seen.max() <= 6.6  # the generator's 6.5 + random()/10
    assert np.all(np.diff(f.ts) == 1.0)


def test_a_corrected_type_scales_into_engineering_units(demo: ValueRecorder) -> None:
    key = "10.10.10.12/db1/w/2"
    f = frame(demo.points, 1.0, {key: PointType("int16", "degC", 0.1, 0.0, "oven temperature")}, keys=[key])
    assert f.columns == ("oven temperature",) and f.units == ("degC",)
    raw = demo.points[key].arrays()[1]
    seen = f.values[~np.isnan(f.values[:, 0]), 0]
    assert np.allclose(np.unique(seen), np.unique(raw * 0.1)[np.isin(np.unique(raw * 0.1), np.unique(seen))])
    assert 55 < seen.mean() < 67  # 612 +- a random walk, tenths of a degree


def _words(x: float, order: str) -> list[int]:
    hi, lo = struct.unpack(">HH", struct.pack(">f", x))
    return [hi, lo] if order == "abcd" else [lo, hi]


@pytest.mark.parametrize("order", ["abcd", "cdab"])
def test_float_pairs_in_either_word_order_and_signed_registers(order: str) -> None:
    rec = ValueRecorder()
    fl = flow()
    for i in range(50):
        level = 40.0 + 10 * math.sin(i / 5)
        temp = int(round(5 * math.sin(i / 3))) & 0xFFFF  # -5..5 as a 16-bit register
        rec.on_event("c", fl, ev("modbus_read_holding_registers_response", float(i), unit_id=1, address=100,
                                 quantity=3, values=[*_words(level, order), temp]))
    g = guess_types(rec.points)
    assert g["10.0.0.5/unit1/holding/100"].dtype == f"float32_{order}"
    assert g["10.0.0.5/unit1/holding/102"].dtype == "int16"
    f = frame(rec.points, 1.0)
    assert f.columns == ("10.0.0.5/unit1/holding/100", "10.0.0.5/unit1/holding/102")
    assert np.allclose(f.values[:, 0], [40.0 + 10 * math.sin(i / 5) for i in range(50)], atol=1e-4)
    assert f.values[:, 1].min() == -5 and f.values[:, 1].max() == 5


def test_writes_coils_and_fc23_land_in_their_points() -> None:
    rec = ValueRecorder()
    fl = flow()
    rec.on_event("c", fl, ev("modbus_write_single_register_request", 1.0, unit_id=2, address=7, quantity=1,
                             values=[1234]))
    rec.on_event("c", fl, ev("modbus_write_multiple_coils_request", 2.0, unit_id=2, address=0, quantity=3,
                             values=[1, 0, 1]))
    rec.on_event("c", fl, ev("modbus_read_write_multiple_registers_response", 3.0, unit_id=2, read_address=20,
                             values=[5, 6]))
    rec.on_event("c", fl, ev("modbus_read_holding_registers_response", 4.0, unit_id=2, address=7,
                             exception_code=2, values=[9]))  # an exception carries no value
    p = rec.points
    assert p["10.0.0.5/unit2/holding/7"].samples_v == [1234.0] and p["10.0.0.5/unit2/holding/7"].writers == {"10.0.0.9"}
    assert [p[f"10.0.0.5/unit2/coil/{i}"].samples_v for i in range(3)] == [[1.0], [0.0], [1.0]]
    assert p["10.0.0.5/unit2/holding/21"].samples_v == [6.0] and p["10.0.0.5/unit2/holding/21"].reads == 1


def test_s7_items_by_transport_size() -> None:
    rec = ValueRecorder()
    fl = flow(server="10.0.0.6")
    items = [
        {"transport_size": "real", "area": "db", "db_number": 3, "byte_address": 8, "return_code": "success",
         "value": struct.pack(">ff", 1.5, -2.25).hex()},
        {"transport_size": "int", "area": "flags", "byte_address": 10, "return_code": "success",
         "value": struct.pack(">h", -7).hex()},
        {"transport_size": "bit", "area": "outputs", "byte_address": 0, "bit_address": 3, "return_code": "success",
         "value": "01"},
        {"transport_size": "word", "area": "db", "db_number": 3, "byte_address": 0,
         "return_code": "access_denied", "value": "ffff"},
    ]
    rec.on_event("c", fl, ev("s7comm_read_var_response", 5.0, items=items))
    p = rec.points
    assert p["10.0.0.6/db3/real8"].samples_v == [1.5] and p["10.0.0.6/db3/real12"].samples_v == [-2.25]
    assert p["10.0.0.6/m/int10"].samples_v == [-7.0]
    assert p["10.0.0.6/q/x0.3"].samples_v == [1.0]
    assert not any("word0" in k for k in p)  # a failed item carries no value


def test_caps_and_hostile_fields_are_counted_never_raised() -> None:
    rec = ValueRecorder(max_points=3, max_samples=4)
    fl = flow()
    for i in range(10):
        rec.on_event("c", fl, ev("modbus_read_holding_registers_response", float(i), unit_id=1, address=0,
                                 values=[i, i, i, i, i]))
    assert len(rec.points) == 3 and rec.dropped["points"] == 20
    assert len(rec.points["10.0.0.5/unit1/holding/0"].samples_v) <= 4 and rec.dropped["samples"] > 0
    assert rec.points["10.0.0.5/unit1/holding/0"].samples_v[-1] == 9.0  # the newest are kept
    hostile = ValueRecorder()
    for fields in ({"unit_id": 1, "address": 65535, "values": [1, 2, 3]}, {"unit_id": "x", "address": 0, "values": [1]},
                   {"unit_id": 1, "address": 0, "values": ["<script>", None, 2**80, True]},
                   {"unit_id": 1, "address": 0, "values": "AAAA"}, {}):
        hostile.on_event("c", fl, ev("modbus_read_holding_registers_response", 1.0, **fields))
    hostile.on_event("c", fl, ev("s7comm_read_var_response", 1.0, items=[
        {"transport_size": "real", "area": "db", "byte_address": 0, "value": "zz"}, "junk", None,
        {"transport_size": "real", "area": "<b>", "byte_address": 0, "value": "00"}]))
    hostile.on_event("c", None, ev("modbus_read_holding_registers_response", 1.0, unit_id=1, address=0, values=[1]))
    assert set(hostile.points) == {"10.0.0.5/unit1/holding/65535"}  # its neighbours would pass 65535
    assert hostile.dropped["values"] == 2 + 4 + 1  # two addresses past 65535, four bad values, bad hex
    f = frame(hostile.points, 1.0)
    assert isinstance(f, Frame)


def test_frame_rejects_a_bad_step_and_a_grid_too_large(demo: ValueRecorder) -> None:
    for step in (0, -1, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            frame(demo.points, step)
    with pytest.raises(ValueError):
        frame(demo.points, 1e-9)


def test_the_recorder_is_a_sensor_sink_that_needs_no_store(tmp_path: Path) -> None:
    rec = ValueRecorder()
    rec.on_flow_end("c", flow())
    assert rec.points == {}


def test_iec104_measured_values_and_commands() -> None:
    rec = ValueRecorder()
    fl = Flow("tcp", "10.0.0.9", 50000, "10.0.0.30", 2404, 0.0, 1, 1)
    rec.on_event("c", fl, ev("iec104_m_me_nc_1", 1.0, type_name="M_ME_NC_1", common_address=3, cause=3,
                             objects=[{"ioa": 1300, "value": 30.5, "quality": []},
                                      {"ioa": 1301, "value": 708.0, "quality": ["iv"]}]))
    rec.on_event("c", fl, ev("iec104_c_se_nc_1", 2.0, type_name="C_SE_NC_1", common_address=3, cause=6,
                             objects=[{"ioa": 5021, "value": 123.0}]))
    rec.on_event("c", fl, ev("iec104_c_se_nc_1", 2.1, type_name="C_SE_NC_1", common_address=3, cause=7,
                             objects=[{"ioa": 5021, "value": 123.0}]))  # the confirmation is no second write
    rec.on_event("c", fl, ev("iec104_c_ic_na_1", 3.0, type_name="C_IC_NA_1", common_address=3, cause=6,
                             objects=[{"ioa": 0, "value": 20}]))  # an interrogation carries no process value
    p = rec.points
    assert set(p) == {"10.0.0.30/ca3/ioa1300", "10.0.0.30/ca3/ioa5021"}
    assert p["10.0.0.30/ca3/ioa1300"].samples_v == [30.5] and rec.dropped["values"] == 1  # the invalid one
    sp = p["10.0.0.30/ca3/ioa5021"]
    assert (sp.samples_v, sp.writes, sp.last_writer) == ([123.0], 1, "10.0.0.9")


def test_dnp3_points_events_and_analog_output_commands() -> None:
    rec = ValueRecorder()
    fl = Flow("tcp", "10.0.0.8", 2828, "10.0.0.3", 20000, 0.0, 1, 1)
    rec.on_event("c", fl, ev("dnp3_response", 1.0, objects=[
        {"group": 30, "variation": 1, "indexes": [0, 1], "values": [198, 202]},
        {"group": 32, "variation": 1, "indexes": [1], "values": [205]},  # an event of analog input 1
        {"group": 1, "variation": 2, "indexes": [0], "values": [1]},
        {"group": 30, "variation": 5, "indexes": [2], "values": ["nan"]},
        {"group": 50, "variation": 1, "indexes": [0], "values": [1097489794.0]}]))  # time: no process value
    rec.on_event("c", fl, ev("dnp3_direct_operate_request", 2.0, objects=[
        {"group": 41, "variation": 2, "commands": [{"index": 4, "value": 1500, "status": 0}]}]))
    rec.on_event("c", fl, ev("dnp3_select_request", 2.0, objects=[
        {"group": 41, "variation": 2, "commands": [{"index": 4, "value": 9999, "status": 0}]}]))  # not yet a write
    p = rec.points
    assert p["10.0.0.3/analog_input/1"].samples_v == [202.0, 205.0]
    assert p["10.0.0.3/binary_input/0"].samples_v == [1.0] and "10.0.0.3/analog_input/2" not in p
    ao = p["10.0.0.3/analog_output/4"]
    assert (ao.samples_v, ao.writes, ao.last_writer) == ([1500.0], 1, "10.0.0.8")
    assert not any("time" in k for k in p)


@pytest.mark.shared
@pytest.mark.parametrize("proto, name, point, first", [
    ("iec104", "ICS-Security-Tools__090813_diverse.pcap", "10.0.0.10/ca3/ioa1301", 708.0),
    ("dnp3", "zeek__dnp3.pcap", "10.0.0.3/analog_input/0", 0.0),
])
def test_values_from_the_shared_captures(proto: str, name: str, point: str, first: float) -> None:
    path = Path(__file__).resolve().parents[3] / "shared" / "pcaps" / proto / name
    if not path.is_file():
        pytest.skip("../shared/pcaps is not beside the project")
    rec = ValueRecorder()
    Sensor(sinks=[rec]).process_file(path)
    assert rec.points[point].samples_v[0] == first and len(rec.points[point].samples_v) >= 5
