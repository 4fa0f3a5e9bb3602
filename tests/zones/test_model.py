"""The YAML model: what it reads, and the errors (with their YAML path) for what it refuses."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plantwarden.zones.model import ModelError, load_model, load_model_file

GOOD = """
tags:
  historian: [10.1.3.5, "00-1B-1B-AA-BB-CC"]
zones:
  - name: control
    purdue_level: 1
    sl_t: 3
    description: line 1 PLCs
    members:
      cidrs: [10.1.1.0/24]
      macs: ["00:80:F4:0A:33:5C"]
  - name: dmz
    purdue_level: 3
    sl_t: 2
    members: {tags: [historian]}
conduits:
  - zones: [control, dmz]
    protocols:
      - modbus
      - {protocol: s7comm, ports: [102]}
    function_classes: [read]
    initiators: [dmz]
"""


def errors(text: str) -> list[str]:
    with pytest.raises(ModelError) as exc:
        load_model(text)
    return exc.value.errors


def test_a_valid_model():
    m = load_model(GOOD)
    control, dmz = m.zones
    assert (control.name, control.purdue_level, control.sl_t, control.description) == ("control", 1, 3, "line 1 PLCs")
    assert control.cidrs == (ipaddress.ip_network("10.1.1.0/24"),)
    assert control.macs == {"00:80:f4:0a:33:5c"}
    assert dmz.tags == {"historian"}
    assert m.tags == {"historian": {"10.1.3.5", "00:1b:1b:aa:bb:cc"}}
    (c,) = m.conduits
    assert c.name == "control--dmz" and c.zones == ("control", "dmz")
    assert c.rule("modbus").ports is None and c.rule("s7comm").ports == {102} and c.rule("dnp3") is None
    assert c.function_classes == {"read"} and c.initiators == {"dmz"}
    assert m.conduit_between("dmz", "control") is c and m.conduit_between("dmz", "x") is None


def test_defaults_any_class_and_both_initiators():
    m = load_model("zones: [{name: a, sl_t: 1}, {name: b, sl_t: 4}]\n"
                   "conduits: [{name: ab, zones: [a, b], protocols: [dnp3]}]\n")
    (c,) = m.conduits
    assert c.function_classes is None and c.initiators == {"a", "b"}
    assert m.zones[0].purdue_level is None and m.zones[0].cidrs == ()


@pytest.mark.parametrize(("text", "expected"), [
    ("zones: [{name: a, sl_t: 5}]", "zones[0].sl_t: must be an integer from 1 to 4, not 5"),
    ("zones: [{name: a, sl_t: true}]", "zones[0].sl_t: must be an integer from 1 to 4, not True"),
    ("zones: [{name: a}]", "zones[0].sl_t: is required"),
    ("zones: [{name: a, sl_t: 1, purdue_level: 9}]", "zones[0].purdue_level: must be an integer from 0 to 5"),
    ("zones: [{name: 'a b', sl_t: 1}]", "zones[0].name: must be a name"),
    ("zones: [{name: a, sl_t: 1, colour: red}]", "zones[0].colour: unknown key"),
    ("zones: [{name: a, sl_t: 1, members: {cidrs: [10.0.0.0/33]}}]", "zones[0].members.cidrs[0]: must be an address"),
    ("zones: [{name: a, sl_t: 1, members: {macs: [zz]}}]", "zones[0].members.macs[0]: must be a MAC"),
    ("zones: [{name: a, sl_t: 1, members: [10.0.0.1]}]", "zones[0].members: must be a mapping, not a list"),
    ("zones: [{name: a, sl_t: 1}, {name: a, sl_t: 2}]", "zones[1].name: zone 'a' is defined twice"),
    ("zones: {a: 1}", "zones: must be a list, not a mapping"),
    ("conduits: []", "$.zones: is required"),
    ("- a\n- b", "$: must be a mapping, not a list"),
    ("", "$: must be a mapping, not empty"),
    ("tags: {t: [nope]}\nzones: []", "tags.t[0]: must be an IP address or a MAC"),
])
def test_errors_name_the_yaml_path(text, expected):
    assert any(e.startswith(expected) for e in errors(text)), errors(text)


ZONES = "zones: [{name: a, sl_t: 1}, {name: b, sl_t: 1}]\n"


@pytest.mark.parametrize(("conduit", "expected"), [
    ("{zones: [a, c], protocols: [modbus]}", "conduits[0].zones[1]: no zone named 'c'"),
    ("{zones: [a, a], protocols: [modbus]}", "conduits[0].zones: must name two different zones"),
    ("{zones: [a], protocols: [modbus]}", "conduits[0].zones: must name two different zones"),
    ("{zones: [a, b]}", "conduits[0].protocols: is required"),
    ("{zones: [a, b], protocols: []}", "conduits[0].protocols: must list at least one protocol"),
    ("{zones: [a, b], protocols: [Modbus TCP]}", "conduits[0].protocols[0].protocol: must be a protocol name"),
    ("{zones: [a, b], protocols: [{protocol: modbus, ports: [70000]}]}",
     "conduits[0].protocols[0].ports[0]: must be an integer from 0 to 65535"),
    ("{zones: [a, b], protocols: [{protocol: modbus, port: 502}]}", "conduits[0].protocols[0].port: unknown key"),
    ("{zones: [a, b], protocols: [modbus], function_classes: [reads]}",
     "conduits[0].function_classes[0]: must be one of read, write, program, mode, diagnostic, not 'reads'"),
    ("{zones: [a, b], protocols: [modbus], initiators: [c]}",
     "conduits[0].initiators[0]: must be one of the conduit's zones, not 'c'"),
    ("{zones: [[a], {b: 1}], protocols: [modbus]}", "conduits[0].zones[0]: must be a zone name"),
])
def test_conduit_errors(conduit, expected):
    assert any(e.startswith(expected) for e in errors(ZONES + f"conduits: [{conduit}]")), errors(
        ZONES + f"conduits: [{conduit}]")


def test_one_conduit_per_pair_and_every_error_reported_at_once():
    errs = errors(ZONES + "conduits: [{zones: [a, b], protocols: [modbus]}, {zones: [b, a], protocols: [dnp3]},"
                          " {zones: [a, x], protocols: [modbus], function_classes: [nope]}]")
    assert errs[0].startswith("conduits[1].zones: zones 'b' and 'a' already have conduit 'a--b'")
    assert any(e.startswith("conduits[2].zones[1]: no zone named 'x'") for e in errs)
    assert any(e.startswith("conduits[2].function_classes[0]") for e in errs)


def test_broken_yaml_gives_the_line():
    (e,) = errors("zones:\n  - name: a\n   sl_t: [1\n")
    assert e.startswith("not valid YAML: line 3")


def test_unreadable_file(tmp_path):
    with pytest.raises(ModelError, match="cannot read the model"):
        load_model_file(str(tmp_path / "missing.yaml"))
    (tmp_path / "bin.yaml").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ModelError, match="cannot read the model"):
        load_model_file(str(tmp_path / "bin.yaml"))


def test_yaml_tags_that_build_objects_are_refused():
    (e,) = errors("zones: !!python/object/apply:os.system ['true']")
    assert e.startswith("not valid YAML")


_leaf = st.one_of(st.none(), st.booleans(), st.integers(-5, 70000), st.text(max_size=12),
                  st.sampled_from(["a", "b", "read", "modbus", "10.0.0.0/8", "00:11:22:33:44:55", "sl_t"]))
_keys = st.sampled_from(["zones", "conduits", "tags", "name", "sl_t", "purdue_level", "members", "cidrs", "macs",
                         "protocols", "protocol", "ports", "function_classes", "initiators", "description", "x"])
_docs = st.recursive(_leaf, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                    st.dictionaries(_keys, inner, max_size=5)), max_leaves=30)


@given(_docs)
def test_any_structure_is_a_model_or_a_model_error(doc):
    import yaml

    try:
        load_model(yaml.safe_dump(doc))
    except ModelError as exc:
        assert exc.errors


@given(st.text(max_size=200))
def test_any_text_is_a_model_or_a_model_error(text):
    try:
        load_model(text)
    except ModelError as exc:
        assert exc.errors


def test_firewalls_section() -> None:
    from plantwarden.zones.model import ModelError, load_model

    base = "zones: [{name: a, sl_t: 1}, {name: b, sl_t: 2}]\n"
    m = load_model(base + "firewalls: [{name: fw1, interfaces: {eth0: a, 'br-ot+': b}}]")
    assert m.firewall("fw1") is not None and m.firewall("fw1").interfaces == {"eth0": "a", "br-ot+": "b"}
    assert m.firewall("nope") is None and load_model(base).firewalls == ()
    with pytest.raises(ModelError) as e:
        load_model(base + "firewalls: [{name: fw1, interfaces: {eth0: a}}, {name: fw1, interfaces: {}},"
                          " {name: fw2, interfaces: {averyveryverylongname0: a}}, {interfaces: {eth0: a}}]")
    assert e.value.errors == [
        "firewalls[1].interfaces: must be a mapping of interface name -> zone name, with at least one entry",
        "firewalls[2].interfaces.averyveryverylongname0: must be an interface name such as eth0 or br-ot (at most "
        "15 characters), not 'averyveryverylongname0'",
        "firewalls[3].name: is required",
    ]
