"""DNS code tables (RFC 1035 and successors), with ``unknown-<n>`` for codes not listed."""

from __future__ import annotations


class _Names(dict[int, str]):
    """code -> name; a missing code renders as ``unknown-<n>``."""

    def __missing__(self, key: int) -> str:
        return f"unknown-{key}"


TYPES = _Names({
    1: "A", 2: "NS", 3: "MD", 4: "MF", 5: "CNAME", 6: "SOA", 7: "MB", 8: "MG", 9: "MR", 10: "NULL",
    11: "WKS", 12: "PTR", 13: "HINFO", 14: "MINFO", 15: "MX", 16: "TXT", 17: "RP", 18: "AFSDB",
    24: "SIG", 25: "KEY", 28: "AAAA", 29: "LOC", 33: "SRV", 35: "NAPTR", 36: "KX", 37: "CERT",
    39: "DNAME", 41: "OPT", 43: "DS", 44: "SSHFP", 46: "RRSIG", 47: "NSEC", 48: "DNSKEY", 49: "DHCID",
    50: "NSEC3", 51: "NSEC3PARAM", 52: "TLSA", 59: "CDS", 60: "CDNSKEY", 64: "SVCB", 65: "HTTPS",
    99: "SPF", 249: "TKEY", 250: "TSIG", 251: "IXFR", 252: "AXFR", 255: "ANY", 256: "URI", 257: "CAA",
})
CLASSES = _Names({1: "IN", 3: "CH", 4: "HS", 254: "NONE", 255: "ANY"})
OPCODES = _Names({0: "query", 1: "iquery", 2: "status", 4: "notify", 5: "update", 6: "dso"})
RCODES = _Names({
    0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED", 6: "YXDOMAIN",
    7: "YXRRSET", 8: "NXRRSET", 9: "NOTAUTH", 10: "NOTZONE", 11: "DSOTYPENI",
})

#: record types whose data is decoded (others give ``data: null``)
T_A, T_NS, T_CNAME, T_SOA, T_PTR, T_MX, T_TXT, T_AAAA, T_SRV, T_NSEC = 1, 2, 5, 6, 12, 15, 16, 28, 33, 47

#: a TXT record's text is cut after this many characters
MAX_TXT = 256
#: records kept per section (the counts are always reported)
MAX_RECORDS = 256
#: questions kept per message
MAX_QUESTIONS = 256
#: compression pointers followed per name
MAX_POINTERS = 32
#: longest name (RFC 1035: 255 octets on the wire)
MAX_NAME = 255
#: a TCP message longer than this is skipped, not buffered
MAX_TCP_MESSAGE = 65535
