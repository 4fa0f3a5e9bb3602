"""``plantwarden export alerts``: the stored alerts for SIEMs as CEF, JSON lines or STIX 2.1 sightings, to
stdout, a file, or a syslog server over UDP, TCP or TLS (docs/outputs.md)."""

from __future__ import annotations

import datetime as _dt
import json
import sys
import time
from typing import IO, Any

import click

from plantwarden.cli.alerts import alert_document
from plantwarden.cli.common import broken_pipe_guard, db_option, open_store
from plantwarden.cli.render import safe
from plantwarden.core.alerts import STATES

FORMATS = ("cef", "jsonl", "stix")


def parse_since(text: str) -> float:
    """Epoch seconds, or an ISO 8601 date or time (UTC unless it names a zone)."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        when = _dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter("epoch seconds or an ISO 8601 time such as 2024-06-01T12:00:00Z",
                                 param_hint="--since") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=_dt.UTC)
    return when.timestamp()


@click.group("export")
def export_group() -> None:
    """Export stored data for other tools (SIEMs, threat-intelligence platforms)."""


@export_group.command("alerts")
@db_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="cef: one ArcSight CEF line per alert; jsonl: one alert object per line (docs/alerts.md); "
                   "stix: a STIX 2.1 bundle of sightings. Default: jsonl, or cef with --syslog.")
@click.option("--since", "since", metavar="TS", default=None,
              help="Only alerts whose traffic was last seen at or after TS (epoch seconds or ISO 8601, UTC).")
@click.option("--state", "state", type=click.Choice(list(STATES)), default=None, help="Only alerts in this state.")
@click.option("--output", "-o", "output", metavar="FILE", type=click.Path(dir_okay=False, path_type=str),
              default=None, help="Write to FILE instead of stdout.")
@click.option("--syslog", "syslog", metavar="URL", default=None,
              help="Send as RFC 5424 syslog messages with the CEF line: udp://HOST:PORT, tcp://HOST:PORT or "
                   "tls://HOST:PORT (TCP and TLS framed by octet counting, RFC 5425).")
@click.option("--ca", "ca", metavar="FILE", type=click.Path(dir_okay=False, exists=True, path_type=str), default=None,
              help="tls://: CA certificates (PEM) that sign the server's certificate (default: the system's).")
@click.option("--cert", "cert", metavar="FILE", type=click.Path(dir_okay=False, exists=True, path_type=str),
              default=None, help="tls://: client certificate (PEM) to present.")
@click.option("--key", "key", metavar="FILE", type=click.Path(dir_okay=False, exists=True, path_type=str),
              default=None, help="tls://: the client certificate's private key (PEM).")
def export_alerts(db: str, fmt: str | None, since: str | None, state: str | None, output: str | None,
                  syslog: str | None, ca: str | None, cert: str | None, key: str | None) -> None:
    """Export the stored alerts, oldest traffic first."""
    if syslog is not None and fmt not in (None, "cef"):
        raise click.BadParameter("syslog messages carry CEF; leave --format out or use cef", param_hint="--format")
    if syslog is not None and output is not None:
        raise click.BadParameter("either --syslog or --output", param_hint="--output")
    if syslog is None and (ca or cert or key):
        raise click.BadParameter("--ca, --cert and --key go with --syslog tls://...", param_hint="--ca/--cert/--key")
    fmt = fmt or ("cef" if syslog is not None else "jsonl")
    threshold = parse_since(since) if since is not None else None
    with open_store(db, create=False) as store:
        items = store.alerts(state=state)
    docs = [alert_document(st) for st in items if threshold is None or st.alert.last_seen >= threshold]
    if syslog is not None:
        _send(docs, syslog, ca, cert, key)
        return
    if output is None:
        with broken_pipe_guard():
            _write(sys.stdout, docs, fmt)
            sys.stdout.flush()
        return
    try:
        with open(output, "w", encoding="utf-8", newline="\n") as f:
            _write(f, docs, fmt)
    except OSError as exc:
        raise click.ClickException(f"cannot write {safe(output)}: {exc.strerror or exc}") from None
    click.echo(f"{len(docs)} alerts written to {safe(output)} ({fmt})", err=True)


def _write(out: IO[str], docs: list[dict[str, Any]], fmt: str) -> None:
    if fmt == "stix":
        from plantwarden.outputs.stix import sightings_bundle

        out.write(sightings_bundle(docs, time.time()))
        out.write("\n")
        return
    if fmt == "cef":
        from plantwarden.outputs.cef import cef_message

        for d in docs:
            out.write(cef_message(d))
            out.write("\n")
        return
    for d in docs:
        out.write(json.dumps(d, separators=(",", ":"), ensure_ascii=True))
        out.write("\n")


def _send(docs: list[dict[str, Any]], url: str, ca: str | None, cert: str | None, key: str | None) -> None:
    from plantwarden.outputs.cef import cef_message
    from plantwarden.outputs.syslog import SyslogError, SyslogSender, syslog_message

    now = time.time()
    try:
        with SyslogSender(url, ca=ca, cert=cert, key=key) as sender:
            n = sender.send(syslog_message(cef_message(d), str(d.get("severity")), now) for d in docs)
    except SyslogError as exc:
        raise click.ClickException(safe(str(exc))) from None
    click.echo(f"{n} alerts sent to {safe(url)}", err=True)
