"""The encryption posture: verdicts per protocol from the security facts, grouping by zone and conduit,
the store round trip of the facts, and escaping (docs/zones.md, "Encryption posture")."""

from __future__ import annotations

import pytest

from plantwarden.inventory.builder import InventoryBuilder
from plantwarden.inventory.model import Communication, Inventory
from plantwarden.store.service import CaptureInfo, Store
from plantwarden.zones.model import load_model
from plantwarden.zones.posture import assess, posture, posture_document, posture_html

from ..inventory.helpers import flow, req, resp
from ..store.conftest import pg_url, target  # noqa: F401


def comm(proto: str, client: str = "10.0.2.10", server: str = "10.0.1.20", **security: int) -> Communication:
    c = Communication(client, server, proto, "tcp", 1000.0, 1010.0, {1234}, 1)
    for key, n in security.items():
        name, _, value = key.partition("__")
        c.security[(name, value)] = n
    return c


@pytest.mark.parametrize(("c", "verdict", "weak", "creds"), [
    (comm("modbus"), "cleartext", [], []),
    (comm("s7comm"), "cleartext", [], []),
    (comm("iec104"), "cleartext", [], []),
    (comm("mqtt", credentials_in_clear__mqtt=1), "cleartext", [], ["mqtt"]),
    (comm("telnet", credentials_in_clear__telnet=2), "cleartext", [], ["telnet"]),
    (comm("dnp3"), "cleartext", [], []),
    (comm("dnp3", dnp3_secure_authentication__authenticate_request=3), "authenticated", [], []),
    (comm("opcua"), "unknown", [], []),  # the channel was opened before the capture
    (comm("opcua", opcua_security_mode__none=4), "cleartext", [], []),
    (comm("opcua", opcua_security_mode__sign=4), "authenticated", [], []),
    (comm("opcua", opcua_security_mode__sign_and_encrypt=4, opcua_security_policy__Basic128Rsa15=1), "encrypted",
     ["policy:Basic128Rsa15"], []),
    (comm("opcua", opcua_security_mode__sign_and_encrypt=4, opcua_security_mode__none=1), "cleartext", [], []),
    (comm("snmp", snmp_version__2c=5, credentials_in_clear__snmp=5), "cleartext", [], ["snmp"]),
    (comm("snmp", snmp_version__3=5, snmp_security_level__authPriv=5), "encrypted", [], []),
    (comm("snmp", snmp_version__3=5, snmp_security_level__authNoPriv=5), "authenticated", [], []),
    (comm("tls", tls_version__TLSv1_3=1), "encrypted", [], []),
    (comm("tls", **{"tls_weak__TLSv1.0": 1, "tls_weak__rc4_cipher": 1, "tls_weak_offered__3des_cipher": 1}),
     "encrypted", ["TLSv1.0", "offered:3des_cipher", "rc4_cipher"], []),
    (comm("ssh", **{"ssh_protocol__1.5": 1}), "encrypted", ["ssh1"], []),
    (comm("ssh", **{"ssh_protocol__2.0": 1, "ssh_weak_offered__3des-cbc": 1}), "encrypted", ["offered:3des-cbc"], []),
    (comm("rdp", rdp_security__rdp=1), "encrypted", ["standard_rdp_security"], []),
    (comm("rdp", rdp_security__credssp=1), "encrypted", [], []),
    (comm("tcp/4000"), "unknown", [], []),
])
def test_verdicts(c: Communication, verdict: str, weak: list[str], creds: list[str]) -> None:
    a = assess(c)
    assert (a.verdict, a.weaknesses, a.credentials_in_clear) == (verdict, weak, creds)


def test_the_builder_counts_facts_only_from_the_listed_events() -> None:
    b = InventoryBuilder()
    t = flow("10.0.2.10", "10.0.1.20", 443, "tls")
    b.on_event("x", t, req("tls_client_hello", weak_offered=["3des_cipher"], version="TLSv1.2"))
    b.on_event("x", t, resp("tls_server_hello", version="TLSv1.2", cipher="TLS_AES_128_GCM_SHA256", weak=[]))
    b.on_event("x", t, resp("tls_application_data", version="TLSv1.2", cipher="TLS_AES_128_GCM_SHA256"))
    b.on_flow_end("x", t)
    m = flow("10.0.2.10", "10.0.1.21", 502, "modbus")
    b.on_event("x", m, req("modbus_fc3_request", function_code=3, exception_code=None, version="TLSv1.0"))
    b.on_flow_end("x", m)
    comms = {c.protocol: c for c in b.result().communications.values()}
    assert comms["tls"].security == {("tls_weak_offered", "3des_cipher"): 1, ("tls_version", "TLSv1.2"): 1,
                                     ("tls_cipher", "TLS_AES_128_GCM_SHA256"): 1}
    assert comms["modbus"].security == {}


def _inv(*comms: Communication) -> Inventory:
    inv = Inventory()
    for c in comms:
        inv.communications[c.key] = c
    return inv


def test_facts_are_stored_and_merged_across_captures(target: str) -> None:  # noqa: F811
    with Store(target) as store:
        store.save(CaptureInfo("a.pcap", "a" * 64, 1), _inv(comm("tls", **{"tls_version__TLSv1.2": 2})))
        store.save(CaptureInfo("b.pcap", "b" * 64, 1), _inv(comm("tls", **{"tls_version__TLSv1.2": 1,
                                                                           "tls_weak__TLSv1.0": 1})))
        store.save(CaptureInfo("c.pcap", "c" * 64, 1), _inv(comm("modbus")))
        got = {c.protocol: c.security for c in store.communications()}
    assert got == {"tls": {("tls_version", "TLSv1.2"): 3, ("tls_weak", "TLSv1.0"): 1}, "modbus": {}}


MODEL = """
zones:
  - {name: control, sl_t: 3, members: {cidrs: [10.0.1.0/24]}}
  - {name: ops, sl_t: 2, members: {cidrs: [10.0.2.0/24]}}
  - {name: dmz, sl_t: 2, members: {cidrs: [10.0.3.0/24]}}
conduits:
  - {zones: [ops, control], protocols: [modbus, opcua]}
"""


def test_groups_by_zone_conduit_pair_and_unplaced() -> None:
    comms = [comm("modbus"), comm("opcua", server="10.0.1.21", opcua_security_mode__sign_and_encrypt=2),
             comm("tls", client="10.0.3.5", server="10.0.1.20", tls_version__TLSv1_3=1),  # dmz-control: no conduit
             comm("http", client="10.0.2.10", server="10.0.2.11"),  # inside ops
             comm("ftp", client="192.168.9.9", server="10.0.1.20", credentials_in_clear__ftp=1)]  # unplaced
    doc = posture_document(posture(comms, load_model(MODEL)))
    groups = {g["name"]: g for g in doc["groups"]}
    assert list(groups) == ["control", "ops", "dmz", "ops--control", "control--dmz", "unplaced"]
    oc = groups["ops--control"]
    assert (oc["scope"], oc["verdict"], oc["cleartext_protocols"]) == ("conduit", "cleartext", ["modbus"])
    assert {p["protocol"]: p["verdict"] for p in oc["protocols"]} == {"modbus": "cleartext", "opcua": "encrypted"}
    assert (groups["control--dmz"]["scope"], groups["control--dmz"]["verdict"]) == ("zone_pair", "encrypted")
    assert (groups["ops"]["verdict"], groups["ops"]["cleartext_protocols"]) == ("cleartext", ["http"])
    assert groups["control"]["verdict"] is None and groups["control"]["communications"] == []
    assert groups["unplaced"]["communications"][0]["credentials_in_clear"] == ["ftp"]
    s = doc["summary"]
    assert s["verdicts"] == {"cleartext": 3, "encrypted": 2}
    assert s["cleartext_protocols"] == ["ftp", "http", "modbus"] and s["credentials_in_clear"] == 1


def test_html_escapes_wire_strings() -> None:
    hostile = '<script>alert(1)</script>"\'&'
    c = comm("tls", **{f"tls_cipher__{hostile}": 1, f"tls_weak__{hostile}": 1})
    page = posture_html(posture([c]))
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#x27;&amp;" in page


def test_every_json_field_is_documented() -> None:
    """Each path of the posture document has its row in docs/zones.md ("Encryption posture"), or is named
    in backticks in the row of its parent (the rows that list an object's fields)."""
    import re

    from ..conftest import ROOT

    text = (ROOT / "docs" / "zones.md").read_text()
    section = text[text.index("## Encryption posture"):]
    rows = dict(re.findall(r"^\| `([a-z_\[\]\.]+)` \| (.*)$", section, re.M))
    data = ("verdicts", "weaknesses", "versions", "ciphers")  # keys of these are data, not fields
    comms = [comm("tls", **{"tls_version__TLSv1.2": 1, "tls_weak__TLSv1.0": 1}), comm("ftp", credentials_in_clear__ftp=1)]
    doc = posture_document(posture(comms, load_model(MODEL)))
    missing = []

    def walk(obj: object, path: str) -> None:
        if isinstance(obj, dict):
            if path.endswith(data):
                return
            for k, v in obj.items():
                p = f"{path}.{k}" if path else k
                parent = next((path[:i] for i in range(len(path), 0, -1) if path[:i] in rows), None)
                container = any(r.startswith((p + ".", p + "[]")) for r in rows)
                if p not in rows and not container and (parent is None or f"`{k}`" not in rows[parent]):
                    missing.append(p)
                walk(v, p)
        elif isinstance(obj, list):
            for item in obj:
                walk(item, path + "[]")

    walk(doc, "")
    assert not missing
