"""The ioc.match detection: flow endpoints at flow end, names in DNS, HTTP and TLS; silent without a match."""

from __future__ import annotations

import pytest

from plantwarden.core.events import Event
from plantwarden.core.flow import Flow
from plantwarden.detections.attack_ics import TECHNIQUES
from plantwarden.detections.base import Context
from plantwarden.detections.engine import DetectionEngine
from plantwarden.detections.ioc import IocMatch
from plantwarden.detections.registry import DETECTIONS
from plantwarden.iocs.matcher import IndicatorMatcher
from plantwarden.iocs.model import Indicator

SHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
FEED = [Indicator("ip", "198.51.100.7", "intel", "C2", "indicator--x", id=1),
        Indicator("cidr", "203.0.113.0/24", "intel", id=2),
        Indicator("domain", "evil.example", "intel", "dropper", id=3),
        Indicator("domain", "late.example", "intel", valid_from=1000.0, id=4),
        Indicator("url", "http://files.example/stage2.bin", "intel", id=5),
        Indicator("sha256", SHA, "intel", id=6)]


def engine(feed=FEED, **opts):
    ctx = Context(indicators=IndicatorMatcher(feed), options={"ioc.match": opts} if opts else {})
    return DetectionEngine([IocMatch], ctx)


def flow(orig="10.0.0.5", resp="10.0.0.53", port=53, proto="dns", ts=500.0):
    f = Flow("udp" if proto == "dns" else "tcp", orig, 40000, resp, port, ts, 7, 1)
    f.proto = proto
    return f


def found(eng):
    return sorted((a.key, a.count) for a in eng.alerts())


def test_registered_well_formed_and_the_technique_is_command_and_control():
    assert IocMatch in DETECTIONS
    name, tactics, active = TECHNIQUES[IocMatch.technique]
    assert (IocMatch.technique, name, tactics, active) == ("T0869", "Standard Application Layer Protocol",
                                                           ("TA0101",), True)


def test_no_indicators_subscribe_to_nothing():
    eng = engine([])
    [d] = eng.detections
    assert d.events == frozenset() and not d.wants_flow_end and not eng._by_event and not eng._flow_end
    names_only = engine([FEED[2]]).detections[0]
    assert names_only.events == {"dns_query", "dns_response", "http_request", "tls_client_hello", "tls_certificate"}
    assert not names_only.wants_flow_end
    addrs_only = engine([FEED[0]]).detections[0]
    assert addrs_only.events == {"dns_query", "dns_response"} and addrs_only.wants_flow_end


def test_flow_endpoints_ip_and_cidr():
    eng = engine()
    eng.on_flow_end("c", flow("10.0.0.5", "198.51.100.7", 443, "tls"))
    eng.on_flow_end("c", flow("203.0.113.80", "10.0.0.9", 502, "modbus"))
    eng.on_flow_end("c", flow("10.0.0.5", "10.0.0.6", 502, "modbus"))  # benign
    assert found(eng) == [("10.0.0.5->198.51.100.7|ip:198.51.100.7", 1),
                          ("203.0.113.80->10.0.0.9|cidr:203.0.113.0/24", 1)]
    a = eng.alerts()[0]
    assert (a.detection, a.technique, a.severity, a.src, a.dst) == ("ioc.match", "T0869", "high", "10.0.0.5",
                                                                     "198.51.100.7")
    assert a.evidence[0]["details"] == {
        "indicator": "198.51.100.7", "indicator_kind": "ip", "indicator_id": 1, "indicator_source": "intel",
        "indicator_description": "C2", "stix_id": "indicator--x", "where": "flow responder address",
        "observed": "198.51.100.7", "frame": 7}
    assert "Known-bad ip 198.51.100.7" in a.title and "source intel" in a.title


def test_dns_questions_answers_cnames_and_resolved_addresses():
    eng = engine()
    f = flow()
    eng.on_event("c", f, Event("dns_query", 500.0, 1, True, {"questions": [{"name": "WWW.Evil.Example"}]}))
    eng.on_event("c", f, Event("dns_response", 500.1, 2, False, {
        "questions": [{"name": "cdn.benign.example"}],
        "answers": [{"name": "cdn.benign.example", "type": "CNAME", "data": "x.evil.example"},
                    {"name": "x.evil.example", "type": "A", "data": "203.0.113.9"}],
        "resolved": [{"name": "x.evil.example", "address": "203.0.113.9"}]}))
    eng.on_event("c", f, Event("dns_query", 500.2, 3, True, {"questions": [{"name": "plc.plant.local"}]}))
    assert found(eng) == [("10.0.0.5->10.0.0.53|cidr:203.0.113.0/24", 1), ("10.0.0.5->10.0.0.53|domain:evil.example", 3)]
    wheres = {e["details"]["where"] for a in eng.alerts() for e in a.evidence}
    assert wheres == {"dns question name", "dns answer CNAME target", "dns answer name",
                      "dns answer address (of x.evil.example)"}


def test_http_host_and_url():
    eng = engine()
    f = flow(resp="10.0.0.80", port=80, proto="http")
    eng.on_event("c", f, Event("http_request", 1.0, 1, True, {"host": "files.example:80", "uri": "/stage2.bin?v=2"}))
    eng.on_event("c", f, Event("http_request", 2.0, 2, True, {"host": "Evil.Example:8080", "uri": "/"}))
    eng.on_event("c", f, Event("http_request", 3.0, 3, True, {"host": None, "uri": "http://files.example/stage2.bin"}))
    eng.on_event("c", f, Event("http_request", 4.0, 4, True, {"host": "[2001:db8::1]:80", "uri": "/x"}))
    eng.on_event("c", f, Event("http_request", 5.0, 5, True, {"host": "plc.local", "uri": "/index.html"}))
    assert found(eng) == [("10.0.0.5->10.0.0.80|domain:evil.example", 1),
                          ("10.0.0.5->10.0.0.80|url:http://files.example/stage2.bin", 1)]


def test_tls_sni_certificate_names_and_fingerprint():
    eng = engine()
    f = flow(resp="10.0.0.44", port=443, proto="tls")
    eng.on_event("c", f, Event("tls_client_hello", 1.0, 1, True, {"sni": "api.evil.example"}))
    eng.on_event("c", f, Event("tls_certificate", 1.1, 2, False, {"subject_cn": "*.evil.example", "sha256": SHA}))
    eng.on_event("c", f, Event("tls_client_hello", 2.0, 3, True, {"sni": None}))
    assert found(eng) == [("10.0.0.5->10.0.0.44|domain:evil.example", 2), ("10.0.0.5->10.0.0.44|sha256:" + SHA, 1)]


def test_validity_window_and_options():
    eng = engine()
    f = flow()
    eng.on_event("c", f, Event("dns_query", 999.0, 1, True, {"questions": [{"name": "late.example"}]}))
    assert found(eng) == []
    eng.on_event("c", f, Event("dns_query", 1000.0, 2, True, {"questions": [{"name": "late.example"}]}))
    assert found(eng) == [("10.0.0.5->10.0.0.53|domain:late.example", 1)]
    loose = engine(check_validity=False, subdomains=False)
    loose.on_event("c", f, Event("dns_query", 1.0, 1, True, {"questions": [{"name": "late.example"},
                                                                           {"name": "a.evil.example"}]}))
    assert found(loose) == [("10.0.0.5->10.0.0.53|domain:late.example", 1)]
    with pytest.raises(ValueError, match="unknown option"):
        engine(nope=1)


def test_malformed_fields_do_not_break_it():
    eng = engine()
    f = flow()
    for fields in ({}, {"questions": None, "answers": None, "resolved": None}, {"questions": [{}]},
                   {"resolved": [{"name": "x", "address": None}]}, {"host": "", "uri": None}, {"host": 5},
                   {"sni": 7}, {"subject_cn": "", "sha256": None}):
        for name in ("dns_query", "dns_response", "http_request", "tls_client_hello", "tls_certificate"):
            eng.on_event("c", f, Event(name, 1.0, 1, True, dict(fields)))
    assert not eng.errors and found(eng) == []
