"""STIX 2.1 sightings: validated by parsing the bundle with stix2; references resolve; ids are stable."""

from __future__ import annotations

import json

import stix2

from plantwarden.outputs.stix import sightings_bundle

from ..iocs.stixdata import sid
from .alertdocs import HOSTILE, doc, ioc_doc


def parse(text: str) -> dict[str, object]:
    bundle = stix2.parse(text, allow_custom=False)  # validates every object and property
    return {o.id: o for o in bundle.objects}


def test_rule_alerts_are_sightings_of_attack_patterns():
    objs = parse(sightings_bundle([doc(1), doc(2, title=HOSTILE)], 1700000200.0))
    [identity] = [o for o in objs.values() if o.type == "identity"]
    [ap] = [o for o in objs.values() if o.type == "attack-pattern"]  # one per technique
    assert ap.name == "Change Operating Mode"
    assert ap.external_references[0].source_name == "mitre-attack" and ap.external_references[0].external_id == "T0858"
    assert ap.external_references[0].url == "https://attack.mitre.org/techniques/T0858"
    sightings = sorted((o for o in objs.values() if o.type == "sighting"), key=lambda o: o.description)
    assert len(sightings) == 2 and all(s.sighting_of_ref == ap.id for s in sightings)
    s = next(x for x in sightings if x.external_references[0].external_id == "alert-1")
    assert (s.count, s.first_seen.isoformat(), s.last_seen.isoformat()) == (
        3, "2023-11-14T22:13:20.250000+00:00", "2023-11-14T22:14:20.500000+00:00")
    assert s.where_sighted_refs == [identity.id] and s.created_by_ref == identity.id
    assert {x.description for x in sightings} == {"S7 PLC stop: 10.0.0.5 -> 10.0.0.9 (1)", HOSTILE}
    assert "observed_data_refs" not in s


def test_ioc_alerts_reference_their_indicator_and_observed_data():
    feed_id = sid("indicator", 77)
    objs = parse(sightings_bundle([ioc_doc(2), ioc_doc(3, stix_id=feed_id, kind="cidr", value="203.0.113.0/24",
                                                      observed="203.0.113.9")], 1700000200.0))
    made = [o for o in objs.values() if o.type == "indicator"]
    assert len(made) == 1 and made[0].pattern == "[domain-name:value = 'evil.example']"
    assert made[0].description == "dropper"
    by_alert = {o.external_references[0].external_id: o for o in objs.values() if o.type == "sighting"}
    own, from_feed = by_alert["alert-2"], by_alert["alert-3"]
    assert own.sighting_of_ref == made[0].id and from_feed.sighting_of_ref == feed_id  # the feed's own id
    od = objs[own.observed_data_refs[0]]
    assert od.type == "observed-data" and od.number_observed == 3
    assert sorted((objs[r].type, objs[r].value) for r in od.object_refs) == [
        ("domain-name", "c2.evil.example"), ("ipv4-addr", "10.0.0.5"), ("ipv4-addr", "10.0.0.53")]
    od3 = objs[from_feed.observed_data_refs[0]]
    assert sorted(objs[r].value for r in od3.object_refs) == ["10.0.0.5", "10.0.0.53", "203.0.113.9"]
    for s in by_alert.values():  # every reference but the feed's indicator resolves in the bundle
        refs = [s.created_by_ref, *s.where_sighted_refs, *s.get("observed_data_refs", [])]
        assert all(r in objs for r in refs)


def test_hash_url_and_ipv6_observables():
    sha = "ab" * 32
    objs = parse(sightings_bundle([
        ioc_doc(4, kind="sha256", value=sha, observed=sha),
        ioc_doc(5, kind="url", value="http://evil.example/x", observed="http://evil.example/x?y=1"),
        ioc_doc(6, kind="md5", value="d41d8cd98f00b204e9800998ecf8427e", observed="d41d8cd98f00b204e9800998ecf8427e"),
    ] + [dict(ioc_doc(7, kind="ip", value="2001:db8::66", observed="2001:db8::66"), src="2001:db8::5")],
        1700000200.0))
    patterns = sorted(o.pattern for o in objs.values() if o.type == "indicator")
    assert patterns == ["[file:hashes.'MD5' = 'd41d8cd98f00b204e9800998ecf8427e']", f"[file:hashes.'SHA-256' = '{sha}']",
                        "[ipv6-addr:value = '2001:db8::66']", "[url:value = 'http://evil.example/x']"]
    types = {o.type for o in objs.values()}
    assert {"x509-certificate", "url", "ipv6-addr"} <= types


def test_stable_ids_and_an_empty_export():
    a = json.loads(sightings_bundle([doc(1), ioc_doc(2)], 1.0))
    b = json.loads(sightings_bundle([doc(1), ioc_doc(2)], 2.0))
    assert sorted(o["id"] for o in a["objects"]) == sorted(o["id"] for o in b["objects"])
    empty = parse(sightings_bundle([], 1.0))
    assert [o.type for o in empty.values()] == ["identity"]


def test_odd_values_do_not_break_the_bundle():
    odd = doc(9, first_seen=None, last_seen="x", count=0, technique=None, technique_name=None, title=None)
    objs = parse(sightings_bundle([odd, dict(ioc_doc(10), evidence=[{"details": {"indicator": "x"}}, "junk"])], 1.0))
    assert sum(o.type == "sighting" for o in objs.values()) == 2
