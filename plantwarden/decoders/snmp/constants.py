"""SNMP code tables: versions, PDU types, error statuses, value types, identity OIDs."""

from __future__ import annotations


class _Names(dict[int, str]):
    def __missing__(self, key: int) -> str:
        return f"unknown-{key}"


VERSIONS = _Names({0: "1", 1: "2c", 3: "3"})
#: PDU tag -> (event name, pdu type name)
PDUS: dict[int, tuple[str, str]] = {
    0xA0: ("snmp_get_request", "get_request"), 0xA1: ("snmp_get_next_request", "get_next_request"),
    0xA2: ("snmp_response", "response"), 0xA3: ("snmp_set_request", "set_request"),
    0xA4: ("snmp_trap", "trap"), 0xA5: ("snmp_get_bulk_request", "get_bulk_request"),
    0xA6: ("snmp_inform_request", "inform_request"), 0xA7: ("snmp_trapv2", "trapv2"),
    0xA8: ("snmp_report", "report"),
}
ERRORS = _Names({
    0: "noError", 1: "tooBig", 2: "noSuchName", 3: "badValue", 4: "readOnly", 5: "genErr", 6: "noAccess",
    7: "wrongType", 8: "wrongLength", 9: "wrongEncoding", 10: "wrongValue", 11: "noCreation",
    12: "inconsistentValue", 13: "resourceUnavailable", 14: "commitFailed", 15: "undoFailed",
    16: "authorizationError", 17: "notWritable", 18: "inconsistentName",
})
GENERIC_TRAPS = _Names({0: "coldStart", 1: "warmStart", 2: "linkDown", 3: "linkUp", 4: "authenticationFailure",
                        5: "egpNeighborLoss", 6: "enterpriseSpecific"})
VALUE_TYPES = _Names({
    0x02: "integer", 0x04: "octet_string", 0x05: "null", 0x06: "oid", 0x40: "ip_address", 0x41: "counter32",
    0x42: "gauge32", 0x43: "timeticks", 0x44: "opaque", 0x46: "counter64", 0x47: "uinteger32",
    0x80: "no_such_object", 0x81: "no_such_instance", 0x82: "end_of_mib_view",
})
SECURITY_LEVELS = {0: "noAuthNoPriv", 1: "authNoPriv", 3: "authPriv", 2: "unknown-2"}

#: system group OIDs (instance 0) -> identity key of the agent that answers with them
IDENTITY_OIDS = {
    "1.3.6.1.2.1.1.1.0": "product_name",  # sysDescr
    "1.3.6.1.2.1.1.2.0": "product_code",  # sysObjectID (the vendor's product registration OID)
    "1.3.6.1.2.1.1.5.0": "name",  # sysName
    "1.3.6.1.2.1.1.6.0": "location",  # sysLocation
}
#: sysContact: reported as its own field, not an identity key (a person, not a device fact)
SYS_CONTACT = "1.3.6.1.2.1.1.4.0"
MAX_VARBINDS = 64
MAX_TEXT = 255
