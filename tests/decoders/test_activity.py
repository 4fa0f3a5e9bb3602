"""Each decoder classifies its own requests into the shared activities (core/activity.py)."""

import pytest

from plantwarden.core.activity import ACTIVITIES, IDENTIFIES, PROGRAMS, READS, WRITES
from plantwarden.decoders.modbus import ModbusDecoder
from plantwarden.decoders.registry import DECODERS
from plantwarden.decoders.s7comm import S7commDecoder


@pytest.mark.parametrize("fields", [{}, {"function_code": "x"}, {"function_code": 3}, {"userdata_group": 4}])
@pytest.mark.parametrize("dec", DECODERS, ids=lambda d: d.name)
def test_activity_never_fails_and_speaks_the_shared_words(dec, fields):
    assert dec.activity(fields) in (None, *ACTIVITIES)


@pytest.mark.parametrize(("fields", "want"), [
    ({"function_code": 3}, READS), ({"function_code": 16}, WRITES), ({"function_code": 43}, IDENTIFIES),
    ({"function_code": 90, "umas_function": 0x02}, READS), ({"function_code": 90, "umas_function": 0x40}, PROGRAMS),
    ({"function_code": 90}, PROGRAMS), ({"function_code": 0x83}, READS), ({"function_code": 99}, None),
])
def test_modbus(fields, want):
    assert ModbusDecoder.activity(fields) == want


@pytest.mark.parametrize(("fields", "want"), [
    ({"function_code": 0x04}, READS), ({"function_code": 0x05}, WRITES), ({"function_code": 0x29}, PROGRAMS),
    ({"function_code": 0x1A}, PROGRAMS), ({"userdata_group": 4, "userdata_subfunction": 1}, IDENTIFIES),
    ({"userdata_group": 7, "userdata_subfunction": 4}, WRITES), ({"userdata_group": 7, "userdata_subfunction": 1}, READS),
    ({"userdata_group": 3, "userdata_subfunction": 1}, PROGRAMS), ({"function_code": 0xF0}, None),
])
def test_s7comm(fields, want):
    assert S7commDecoder.activity(fields) == want


def test_dnp3():
    from plantwarden.decoders.dnp3 import Dnp3Decoder

    assert Dnp3Decoder.activity({"function_code": 1, "objects": [{"group": 30}]}) == READS
    assert Dnp3Decoder.activity({"function_code": 1, "objects": [{"group": 0, "variation": 254}]}) == IDENTIFIES
    assert Dnp3Decoder.activity({"function_code": 5}) == WRITES  # direct operate
    assert Dnp3Decoder.activity({"function_code": 13}) == PROGRAMS  # cold restart
    assert Dnp3Decoder.activity({"function_code": 129}) is None  # a response code


def test_enip():
    from plantwarden.decoders.enip import EnipDecoder

    assert EnipDecoder.activity({"service_code": 0x4C, "class": 0x6B}) == READS
    assert EnipDecoder.activity({"service_code": 0x4D}) == WRITES
    assert EnipDecoder.activity({"service_code": 0x07}) == PROGRAMS  # stop
    assert EnipDecoder.activity({"service_code": 0x01, "class": 0x01}) == IDENTIFIES
    assert EnipDecoder.activity({"command_code": 0x63}) == IDENTIFIES  # ListIdentity
    assert EnipDecoder.activity({"service_code": 0x0A}) is None  # multiple service packet: a container


def test_opcua():
    from plantwarden.decoders.opcua import OpcuaDecoder

    assert OpcuaDecoder.activity({"service": "read"}) == READS
    assert OpcuaDecoder.activity({"service": "write"}) == WRITES
    assert OpcuaDecoder.activity({"service": "call"}) == WRITES
    assert OpcuaDecoder.activity({"service": "add_nodes"}) == PROGRAMS
    assert OpcuaDecoder.activity({"service": "get_endpoints"}) == IDENTIFIES
    assert OpcuaDecoder.activity({"service": "create_session"}) is None


def test_iec104():
    from plantwarden.decoders.iec104 import Iec104Decoder

    assert Iec104Decoder.activity({"type_id": 100, "cause": 6}) == READS  # general interrogation
    assert Iec104Decoder.activity({"type_id": 45, "cause": 6}) == WRITES  # single command
    assert Iec104Decoder.activity({"type_id": 105, "cause": 6}) == PROGRAMS  # reset process
    assert Iec104Decoder.activity({"type_id": 45, "cause": 7}) is None  # the confirmation
    assert Iec104Decoder.activity({"type_id": 13, "cause": 3}) is None  # monitoring data


def test_fins_ads_slmp_genisys():
    from plantwarden.decoders.ads import AdsDecoder, AdsUdpDecoder
    from plantwarden.decoders.fins import FinsDecoder
    from plantwarden.decoders.genisys import GenisysDecoder
    from plantwarden.decoders.slmp import SlmpDecoder

    assert FinsDecoder.activity({"command_code": 0x0101, "direction": "request"}) == READS
    assert FinsDecoder.activity({"command_code": 0x0402, "direction": "request"}) == PROGRAMS  # stop
    assert FinsDecoder.activity({"command_code": 0x0501, "direction": "request"}) == IDENTIFIES
    assert FinsDecoder.activity({"command_code": 0x0102, "direction": "response"}) is None
    assert AdsDecoder.activity({"command_id": 5, "direction": "request"}) == PROGRAMS  # write control
    assert AdsDecoder.activity({"command_id": 3, "direction": "request"}) == WRITES
    assert AdsUdpDecoder.activity({"service_id": 6, "direction": "request"}) == PROGRAMS  # add route
    assert SlmpDecoder.activity({"command_code": 0x1002, "direction": "request"}) == PROGRAMS  # remote stop
    assert SlmpDecoder.activity({"command_code": 0x1401, "direction": "request"}) == WRITES
    assert GenisysDecoder.activity({"header_code": 0xFE}) == WRITES
    assert GenisysDecoder.activity({"header_code": 0xFB}) == READS
