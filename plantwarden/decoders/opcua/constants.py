"""OPC UA code tables: number -> name. Unknown codes render as ``unknown-<n>`` (see :func:`name_of`).

Our own enumerations (services, security modes, token types, ...) are lower-case snake case so that
they can be used as event-name parts; the open-ended OPC UA namespaces (status codes, attribute
names, built-in type names, security policy names) keep the specification's identifiers, which is
what an engineer searches for.
"""

from __future__ import annotations

from typing import Final

from plantwarden.decoders.names import name_of  # noqa: F401  (re-exported to the package)

#: UA TCP message types (the 3-byte header field)
MESSAGE_TYPES: Final = frozenset({b"HEL", b"ACK", b"ERR", b"RHE", b"OPN", b"CLO", b"MSG"})
CHUNK_TYPES: Final = frozenset({b"F", b"C", b"A"})

#: binary encoding node id (namespace 0) of a service message -> (service, kind)
#: kind: "request", "response" or "fault"
_SERVICES: Final[dict[str, tuple[int, int]]] = {
    "find_servers": (422, 425),
    "find_servers_on_network": (12208, 12209),
    "get_endpoints": (428, 431),
    "register_server": (437, 440),
    "register_server2": (12211, 12212),
    "open_secure_channel": (446, 449),
    "close_secure_channel": (452, 455),
    "create_session": (461, 464),
    "activate_session": (467, 470),
    "close_session": (473, 476),
    "cancel": (479, 482),
    "add_nodes": (488, 491),
    "add_references": (494, 497),
    "delete_nodes": (500, 503),
    "delete_references": (506, 509),
    "browse": (527, 530),
    "browse_next": (533, 536),
    "translate_browse_paths_to_node_ids": (554, 557),
    "register_nodes": (560, 563),
    "unregister_nodes": (566, 569),
    "query_first": (615, 618),
    "query_next": (621, 624),
    "read": (631, 634),
    "history_read": (664, 667),
    "write": (673, 676),
    "history_update": (700, 703),
    "call": (712, 715),
    "create_monitored_items": (751, 754),
    "modify_monitored_items": (763, 766),
    "set_monitoring_mode": (769, 772),
    "set_triggering": (775, 778),
    "delete_monitored_items": (781, 784),
    "create_subscription": (787, 790),
    "modify_subscription": (793, 796),
    "set_publishing_mode": (799, 802),
    "publish": (826, 829),
    "republish": (832, 835),
    "transfer_subscriptions": (841, 844),
    "delete_subscriptions": (847, 850),
}
SERVICE_FAULT: Final = 397
SERVICES: Final[dict[int, tuple[str, str]]] = {SERVICE_FAULT: ("service_fault", "fault")}
for _name, (_req, _resp) in _SERVICES.items():
    SERVICES[_req] = (_name, "request")
    SERVICES[_resp] = (_name, "response")
#: binary encoding id -> event name
SERVICE_EVENTS: Final[dict[int, str]] = {
    k: ("opcua_service_fault" if kind == "fault" else f"opcua_{name}_{kind}") for k, (name, kind) in SERVICES.items()
}

SECURITY_POLICY_PREFIX: Final = "http://opcfoundation.org/UA/SecurityPolicy#"
SECURITY_POLICIES: Final = frozenset({"None", "Basic128Rsa15", "Basic256", "Basic256Sha256",
                                      "Aes128_Sha256_RsaOaep", "Aes256_Sha256_RsaPss"})

SECURITY_MODES: Final[dict[int, str]] = {0: "invalid", 1: "none", 2: "sign", 3: "sign_and_encrypt"}
REQUEST_TYPES: Final[dict[int, str]] = {0: "issue", 1: "renew"}
APPLICATION_TYPES: Final[dict[int, str]] = {0: "server", 1: "client", 2: "client_and_server", 3: "discovery_server"}
USER_TOKEN_TYPES: Final[dict[int, str]] = {0: "anonymous", 1: "username", 2: "x509", 3: "issued"}
#: binary encoding id of an identity token extension object -> user token type
IDENTITY_TOKENS: Final[dict[int, str]] = {321: "anonymous", 324: "username", 327: "x509", 940: "issued"}
TIMESTAMPS_TO_RETURN: Final[dict[int, str]] = {0: "source", 1: "server", 2: "both", 3: "neither", 4: "invalid"}
MONITORING_MODES: Final[dict[int, str]] = {0: "disabled", 1: "sampling", 2: "reporting"}
BROWSE_DIRECTIONS: Final[dict[int, str]] = {0: "forward", 1: "inverse", 2: "both", 3: "invalid"}
SERVER_STATES: Final[dict[int, str]] = {0: "running", 1: "failed", 2: "no_configuration", 3: "suspended",
                                       4: "shutdown", 5: "test", 6: "communication_fault", 7: "unknown"}

ATTRIBUTES: Final[dict[int, str]] = {
    1: "NodeId", 2: "NodeClass", 3: "BrowseName", 4: "DisplayName", 5: "Description", 6: "WriteMask",
    7: "UserWriteMask", 8: "IsAbstract", 9: "Symmetric", 10: "InverseName", 11: "ContainsNoLoops",
    12: "EventNotifier", 13: "Value", 14: "DataType", 15: "ValueRank", 16: "ArrayDimensions",
    17: "AccessLevel", 18: "UserAccessLevel", 19: "MinimumSamplingInterval", 20: "Historizing",
    21: "Executable", 22: "UserExecutable", 23: "DataTypeDefinition", 24: "RolePermissions",
    25: "UserRolePermissions", 26: "AccessRestrictions", 27: "AccessLevelEx",
}

BUILTIN_TYPES: Final[dict[int, str]] = {
    0: "Null", 1: "Boolean", 2: "SByte", 3: "Byte", 4: "Int16", 5: "UInt16", 6: "Int32", 7: "UInt32",
    8: "Int64", 9: "UInt64", 10: "Float", 11: "Double", 12: "String", 13: "DateTime", 14: "Guid",
    15: "ByteString", 16: "XmlElement", 17: "NodeId", 18: "ExpandedNodeId", 19: "StatusCode",
    20: "QualifiedName", 21: "LocalizedText", 22: "ExtensionObject", 23: "DataValue", 24: "Variant",
    25: "DiagnosticInfo",
}

# Node ids (namespace 0) whose values identify the server
NODE_SERVER_STATUS: Final = 2256
NODE_BUILD_INFO: Final = 2260
#: BuildInfo children -> identity key
BUILD_INFO_NODES: Final[dict[int, str]] = {
    2261: "product_name", 2262: "product_code", 2263: "vendor", 2264: "application_version",
    2265: "revision", 2266: "build_date",
}
ENC_SERVER_STATUS: Final = 864  # ServerStatusDataType, binary encoding
ENC_BUILD_INFO: Final = 340  # BuildInfo, binary encoding

#: status codes by their top 16 bits (the low bits are info bits)
STATUS_CODES: Final[dict[int, str]] = {
    0x00000000: "Good",
    0x40000000: "Uncertain",
    0x80000000: "Bad",
    0x80010000: "BadUnexpectedError",
    0x80020000: "BadInternalError",
    0x80030000: "BadOutOfMemory",
    0x80040000: "BadResourceUnavailable",
    0x80050000: "BadCommunicationError",
    0x80060000: "BadEncodingError",
    0x80070000: "BadDecodingError",
    0x80080000: "BadEncodingLimitsExceeded",
    0x80B80000: "BadRequestTooLarge",
    0x80B90000: "BadResponseTooLarge",
    0x80090000: "BadUnknownResponse",
    0x800A0000: "BadTimeout",
    0x800B0000: "BadServiceUnsupported",
    0x800C0000: "BadShutdown",
    0x800D0000: "BadServerNotConnected",
    0x800E0000: "BadServerHalted",
    0x800F0000: "BadNothingToDo",
    0x80100000: "BadTooManyOperations",
    0x80110000: "BadDataTypeIdUnknown",
    0x80120000: "BadCertificateInvalid",
    0x80130000: "BadSecurityChecksFailed",
    0x80140000: "BadCertificateTimeInvalid",
    0x80160000: "BadCertificateHostNameInvalid",
    0x80170000: "BadCertificateUriInvalid",
    0x80180000: "BadCertificateUseNotAllowed",
    0x801A0000: "BadCertificateUntrusted",
    0x801B0000: "BadCertificateRevocationUnknown",
    0x801C0000: "BadCertificateIssuerRevocationUnknown",
    0x801D0000: "BadCertificateRevoked",
    0x801F0000: "BadUserAccessDenied",
    0x80200000: "BadIdentityTokenInvalid",
    0x80210000: "BadIdentityTokenRejected",
    0x80220000: "BadSecureChannelIdInvalid",
    0x80230000: "BadInvalidTimestamp",
    0x80240000: "BadNonceInvalid",
    0x80250000: "BadSessionIdInvalid",
    0x80260000: "BadSessionClosed",
    0x80270000: "BadSessionNotActivated",
    0x80280000: "BadSubscriptionIdInvalid",
    0x802A0000: "BadRequestHeaderInvalid",
    0x802B0000: "BadTimestampsToReturnInvalid",
    0x802C0000: "BadRequestCancelledByClient",
    0x80310000: "BadNoCommunication",
    0x80320000: "BadWaitingForInitialData",
    0x80330000: "BadNodeIdInvalid",
    0x80340000: "BadNodeIdUnknown",
    0x80350000: "BadAttributeIdInvalid",
    0x80360000: "BadIndexRangeInvalid",
    0x80370000: "BadIndexRangeNoData",
    0x80380000: "BadDataEncodingInvalid",
    0x80390000: "BadDataEncodingUnsupported",
    0x803A0000: "BadNotReadable",
    0x803B0000: "BadNotWritable",
    0x803C0000: "BadOutOfRange",
    0x803D0000: "BadNotSupported",
    0x803E0000: "BadNotFound",
    0x803F0000: "BadObjectDeleted",
    0x80400000: "BadNotImplemented",
    0x80410000: "BadMonitoringModeInvalid",
    0x80420000: "BadMonitoredItemIdInvalid",
    0x80430000: "BadMonitoredItemFilterInvalid",
    0x80450000: "BadFilterNotAllowed",
    0x804A0000: "BadContinuationPointInvalid",
    0x804B0000: "BadNoContinuationPoints",
    0x804C0000: "BadReferenceTypeIdInvalid",
    0x804D0000: "BadBrowseDirectionInvalid",
    0x804E0000: "BadNodeNotInView",
    0x804F0000: "BadServerUriInvalid",
    0x80500000: "BadServerNameMissing",
    0x80510000: "BadDiscoveryUrlMissing",
    0x80530000: "BadRequestTypeInvalid",
    0x80540000: "BadSecurityModeRejected",
    0x80550000: "BadSecurityPolicyRejected",
    0x80560000: "BadTooManySessions",
    0x80570000: "BadUserSignatureInvalid",
    0x80580000: "BadApplicationSignatureInvalid",
    0x80590000: "BadNoValidCertificates",
    0x805A0000: "BadRequestCancelledByRequest",
    0x805B0000: "BadParentNodeIdInvalid",
    0x805C0000: "BadReferenceNotAllowed",
    0x805D0000: "BadNodeIdRejected",
    0x805E0000: "BadNodeIdExists",
    0x805F0000: "BadNodeClassInvalid",
    0x80600000: "BadBrowseNameInvalid",
    0x80610000: "BadBrowseNameDuplicated",
    0x80630000: "BadTypeDefinitionInvalid",
    0x80640000: "BadSourceNodeIdInvalid",
    0x80650000: "BadTargetNodeIdInvalid",
    0x80710000: "BadHistoryOperationInvalid",
    0x80720000: "BadHistoryOperationUnsupported",
    0x80730000: "BadWriteNotSupported",
    0x80740000: "BadTypeMismatch",
    0x80750000: "BadMethodInvalid",
    0x80760000: "BadArgumentsMissing",
    0x80770000: "BadTooManySubscriptions",
    0x80780000: "BadTooManyPublishRequests",
    0x80790000: "BadNoSubscription",
    0x807A0000: "BadSequenceNumberUnknown",
    0x807B0000: "BadMessageNotAvailable",
    0x807C0000: "BadInsufficientClientProfile",
    0x807D0000: "BadTcpServerTooBusy",
    0x807E0000: "BadTcpMessageTypeInvalid",
    0x807F0000: "BadTcpSecureChannelUnknown",
    0x80800000: "BadTcpMessageTooLarge",
    0x80810000: "BadTcpNotEnoughResources",
    0x80820000: "BadTcpInternalError",
    0x80830000: "BadTcpEndpointUrlInvalid",
    0x80840000: "BadRequestInterrupted",
    0x80850000: "BadRequestTimeout",
    0x80860000: "BadSecureChannelClosed",
    0x80870000: "BadSecureChannelTokenUnknown",
    0x80880000: "BadSequenceNumberInvalid",
    0x80890000: "BadConfigurationError",
    0x808A0000: "BadNotConnected",
    0x808B0000: "BadDeviceFailure",
    0x808C0000: "BadSensorFailure",
    0x808D0000: "BadOutOfService",
    0x808E0000: "BadDeadbandFilterInvalid",
    0x80AB0000: "BadInvalidArgument",
    0x80AC0000: "BadConnectionRejected",
    0x80AD0000: "BadDisconnect",
    0x80AE0000: "BadConnectionClosed",
    0x80AF0000: "BadInvalidState",
    0x80B00000: "BadEndOfStream",
    0x80B10000: "BadNoDataAvailable",
    0x80B20000: "BadWaitingForResponse",
    0x80B30000: "BadOperationAbandoned",
    0x80B40000: "BadExpectedStreamToBlock",
    0x80B50000: "BadWouldBlock",
    0x80B60000: "BadSyntaxError",
    0x80B70000: "BadMaxConnectionsReached",
    0x80BE0000: "BadProtocolVersionUnsupported",
    0x80BF0000: "BadStateNotActive",
    0x80C60000: "BadIdentityChangeNotSupported",
    0x80E60000: "BadSecurityModeInsufficient",
    0x810D0000: "BadCertificateChainIncomplete",
    0x810E0000: "BadLicenseExpired",
    0x810F0000: "BadLicenseLimitsExceeded",
    0x81100000: "BadLicenseNotAvailable",
    0x81140000: "BadCertificatePolicyCheckFailed",
    0x002D0000: "GoodSubscriptionTransferred",
    0x002E0000: "GoodCompletesAsynchronously",
    0x002F0000: "GoodOverload",
    0x00300000: "GoodClamped",
    0x00A50000: "GoodNoData",
    0x00A60000: "GoodMoreData",
    0x00A90000: "GoodCallAgain",
    0x00AA0000: "GoodNonCriticalTimeout",
    0x406C0000: "UncertainReferenceOutOfServer",
    0x408F0000: "UncertainNoCommunicationLastUsableValue",
    0x40900000: "UncertainLastUsableValue",
    0x40910000: "UncertainSubstituteValue",
    0x40920000: "UncertainInitialValue",
    0x40930000: "UncertainSensorNotAccurate",
    0x40940000: "UncertainEngineeringUnitsExceeded",
    0x40950000: "UncertainSubNormal",
}


def status_name(code: int) -> str:
    """The name of a status code; the low 16 info bits are ignored, unknown codes are ``unknown-<n>``."""
    return STATUS_CODES.get(code & 0xFFFF0000) or f"unknown-{code}"


def policy_name(uri: str | None) -> str | None:
    """``http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256`` -> ``Basic256Sha256``.

    A null URI stays None; an unrecognised URI is ``unknown``.
    """
    if uri is None:
        return None
    if uri.startswith(SECURITY_POLICY_PREFIX):
        short = uri[len(SECURITY_POLICY_PREFIX):]
        if short in SECURITY_POLICIES:
            return short
    return "unknown"
