"""Credentials an eavesdropper can read: ``ics.credentials_in_clear`` (T0859 Valid Accounts) and
``ics.default_credentials`` (T0812 Default Credentials, SNMP communities such as public/private).

Sources: MQTT CONNECT with a password and no TLS, HTTP Basic authentication, SNMP v1/v2c communities,
FTP PASS and Telnet passwords typed at a login prompt. Passwords are never in the events, so neither
are they in alerts. See docs/detections/.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from plantwarden.core.alerts import HIGH, MEDIUM
from plantwarden.core.events import Event
from plantwarden.core.flow import Flow
from plantwarden.detections.base import Detection, Finding, Option, sender

SNMP_EVENTS = frozenset({"snmp_get_request", "snmp_get_next_request", "snmp_set_request", "snmp_get_bulk_request",
                         "snmp_trap", "snmp_trapv2", "snmp_inform_request"})
DEFAULT_COMMUNITIES = ("public", "private", "admin", "manager", "write", "ILMI", "cisco")


def _credential(ev: Event) -> tuple[str, str | None] | None:
    """(protocol, user or community) when the event shows a credential in clear."""
    f = ev.fields
    if f.get("credentials_in_clear") is not True:
        return None
    if ev.name == "mqtt_connect":
        return "mqtt", f.get("username")
    if ev.name == "http_request":
        return "http", f.get("username")
    if ev.name in SNMP_EVENTS:
        return "snmp", f.get("community")
    if ev.name == "ftp_command":
        return "ftp", f.get("user")
    if ev.name == "telnet_password_sent":
        return "telnet", f.get("user")
    return None


class CredentialsInClear(Detection):
    id = "ics.credentials_in_clear"
    technique = "T0859"
    severity = MEDIUM
    summary = "A login whose password travels unencrypted (MQTT CONNECT, HTTP Basic, FTP, Telnet, SNMP v1/v2c community)."
    events = frozenset({"mqtt_connect", "http_request", "ftp_command", "telnet_password_sent"}) | SNMP_EVENTS
    options = {"default_communities": Option(DEFAULT_COMMUNITIES, "SNMP communities left to ics.default_credentials")}

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self.defaults = frozenset(self.opts["default_communities"])

    def on_event(self, capture: str, flow: Flow, ev: Event) -> Iterable[Finding]:
        cred = _credential(ev)
        if cred is None:
            return ()
        proto, user = cred
        if proto == "snmp" and user in self.defaults:
            return ()
        src, dst = sender(flow, ev)
        shown = user if proto != "snmp" else "<community>"
        return (Finding(f"{src}->{dst}/{proto}/{user}", f"{proto} credentials in clear: {src} -> {dst} (user {shown})",
                        ev.ts, src, dst, {"proto": proto, "user": user if proto != "snmp" else None,
                                          "frame": ev.frame}),)


class DefaultCredentials(Detection):
    id = "ics.default_credentials"
    technique = "T0812"
    severity = HIGH
    summary = "A well-known default credential in use (SNMP communities public, private ...)."
    events = SNMP_EVENTS
    options = {"communities": Option(DEFAULT_COMMUNITIES, "SNMP communities that are vendor defaults")}

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self.defaults = frozenset(self.opts["communities"])

    def on_event(self, capture: str, flow: Flow, ev: Event) -> Iterable[Finding]:
        community = ev.fields.get("community")
        if community not in self.defaults:
            return ()
        src, dst = sender(flow, ev)
        return (Finding(f"{src}->{dst}/{community}", f"SNMP default community '{community}': {src} -> {dst}",
                        ev.ts, src, dst, {"community": community, "version": ev.fields.get("version"),
                                          "frame": ev.frame}),)
