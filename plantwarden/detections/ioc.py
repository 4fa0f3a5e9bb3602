"""``ioc.match``: traffic with a known-bad indicator of compromise (T0869 Standard Application Layer
Protocol; docs/detections/ioc.match.md says why).

The indicators come from the context (``Context.indicators``, filled from the store's ``indicators``
table). What is compared:
- at flow end, both endpoint addresses against IP and CIDR indicators;
- DNS queries and responses: question names, answer owner names and CNAME targets against domains;
  the ``resolved`` addresses against IPs and CIDRs;
- HTTP requests: the Host (without its port) against domains, ``http://host/uri`` against URLs;
- TLS: the client hello's SNI and the certificate's subject CN against domains, the certificate's
  SHA-256 against sha256 indicators.
A detection instance subscribes only to what its indicators can match: with no indicators it costs
nothing at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from plantwarden.core.alerts import HIGH
from plantwarden.core.events import Event
from plantwarden.core.flow import Flow
from plantwarden.detections.base import Context, Detection, Finding, Option
from plantwarden.iocs.model import Indicator

DNS_EVENTS = frozenset({"dns_query", "dns_response"})
HTTP_EVENTS = frozenset({"http_request"})
TLS_NAME_EVENTS = frozenset({"tls_client_hello", "tls_certificate"})


class IocMatch(Detection):
    id = "ioc.match"
    technique = "T0869"
    severity = HIGH
    summary = ("Traffic with a known-bad indicator: a flow endpoint in an IP/CIDR indicator, or a domain, URL or "
               "certificate hash from an imported feed seen in DNS, HTTP or TLS.")
    events = DNS_EVENTS | HTTP_EVENTS | TLS_NAME_EVENTS
    wants_flow_end = True
    options = {
        "subdomains": Option(True, "a domain indicator also matches its subdomains (evil.example: a.evil.example)"),
        "check_validity": Option(True, "only indicators whose valid_from/valid_until window holds the traffic time"),
    }

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        m = self.m = context.indicators
        self.subdomains = bool(self.opts["subdomains"])
        self.check_validity = bool(self.opts["check_validity"])
        wanted: set[str] = set()
        if m.has_names or m.has_addresses:
            wanted |= DNS_EVENTS
        if m.has_names or m.has_urls:
            wanted |= HTTP_EVENTS
        if m.has_names:
            wanted.add("tls_client_hello")
        if m.has_names or m.has_hashes:
            wanted.add("tls_certificate")
        # per instance: the engine reads these from the instance, so an empty feed subscribes to nothing
        self.events = frozenset(wanted)  # type: ignore[misc]
        self.wants_flow_end = m.has_addresses  # type: ignore[misc]

    # -- flows ------------------------------------------------------------------------------------

    def on_flow_end(self, capture: str, flow: Flow) -> Iterable[Finding]:
        ts = flow.first_ts
        at = ts if self.check_validity else None
        out = []
        for addr, where in ((flow.resp_addr, "flow responder address"), (flow.orig_addr, "flow originator address")):
            for ind in self.m.match_ip(addr, at):
                out.append(self._finding(ind, where, addr, ts, flow, {"frame": flow.first_frame}))
        return out

    # -- names ------------------------------------------------------------------------------------

    def on_event(self, capture: str, flow: Flow, ev: Event) -> Iterable[Finding]:
        name = ev.name
        if name in DNS_EVENTS:
            seen = self._dns(ev.fields)
        elif name == "http_request":
            seen = self._http(ev.fields)
        elif name == "tls_client_hello":
            seen = self._names(((ev.fields.get("sni"), "tls server name (SNI)"),))
        else:
            seen = self._certificate(ev.fields)
        at = ev.ts if self.check_validity else None
        out = []
        for value, where, kind in seen:
            if kind == "ip":
                hits = self.m.match_ip(value, at)
            elif kind == "name":
                hits = self.m.match_name(value, at, self.subdomains)
            elif kind == "url":
                hits = self.m.match_url(value, at)
            else:
                hits = self.m.match_hash(value, at)
            for ind in hits:
                out.append(self._finding(ind, where, value, ev.ts, flow, {"frame": ev.frame, "event": name}))
        return out

    def _dns(self, f: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
        m = self.m
        if m.has_names:
            for q in f.get("questions") or ():
                yield q.get("name"), "dns question name", "name"
            for rr in f.get("answers") or ():
                yield rr.get("name"), "dns answer name", "name"
                if rr.get("type") == "CNAME" and isinstance(rr.get("data"), str):
                    yield rr["data"], "dns answer CNAME target", "name"
        if m.has_addresses:
            for pair in f.get("resolved") or ():
                addr = pair.get("address")
                if isinstance(addr, str):
                    yield addr, f"dns answer address (of {pair.get('name')})", "ip"

    def _http(self, f: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
        host = f.get("host")
        if not isinstance(host, str) or not host:
            return
        if host.startswith("["):  # an IPv6 literal, maybe with a port
            name = host[1:host.find("]")] if "]" in host else host[1:]
        else:
            name = host.rsplit(":", 1)[0] if ":" in host else host
        if self.m.has_names:
            yield name, "http host", "name"
        uri = f.get("uri")
        if self.m.has_urls and isinstance(uri, str):
            url = uri if uri.startswith(("http://", "https://")) else f"http://{host}{uri if uri.startswith('/') else '/' + uri}"
            yield url, "http url", "url"

    def _certificate(self, f: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
        yield from self._names(((f.get("subject_cn"), "tls certificate subject CN"),))
        digest = f.get("sha256")
        if self.m.has_hashes and isinstance(digest, str):
            yield digest, "tls certificate sha256", "hash"

    def _names(self, items: Iterable[tuple[Any, str]]) -> Iterator[tuple[str, str, str]]:
        if not self.m.has_names:
            return
        for value, where in items:
            if isinstance(value, str) and value:
                yield (value[2:] if value.startswith("*.") else value), where, "name"

    # -- the finding ------------------------------------------------------------------------------

    def _finding(self, ind: Indicator, where: str, observed: str, ts: float, flow: Flow,
                 extra: dict[str, Any]) -> Finding:
        src, dst = flow.orig_addr, flow.resp_addr
        title = (f"Known-bad {ind.kind} {ind.value} ({where}, source {ind.source or '-'}): {src} -> {dst} "
                 f"({flow.proto or flow.transport})")
        details = {"indicator": ind.value, "indicator_kind": ind.kind, "indicator_id": ind.id,
                   "indicator_source": ind.source, "indicator_description": ind.description or None,
                   "stix_id": ind.stix_id, "where": where, "observed": observed, **extra}
        return Finding(f"{src}->{dst}|{ind.kind}:{ind.value}", title, ts, src, dst, details)
