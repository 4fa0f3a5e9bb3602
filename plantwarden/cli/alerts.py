"""``plantwarden alerts`` and ``plantwarden alert ack|resolve|suppress``: the stored alerts.

The JSON object of an alert (``alert_document``) is a public interface: docs/alerts.md documents every
field, and a test fails when the output has a field the page does not list.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from typing import Any

import click

from plantwarden.cli.common import broken_pipe_guard, db_option, echo_json, open_store
from plantwarden.cli.render import fmt_ts_short, safe, table
from plantwarden.core.alerts import ACKNOWLEDGED, APPROVED, RESOLVED, SEVERITIES, STATES, SUPPRESSED
from plantwarden.core.errors import InvalidInput, NotFound

#: most severe first, for summaries and tables
SEVERITY_ORDER = tuple(reversed(SEVERITIES))


def alert_document(stored: Any) -> dict[str, Any]:
    """One stored alert (``store.alerts.StoredAlert``) as the documented JSON object."""
    from plantwarden.detections.attack_ics import TACTICS, TECHNIQUES

    a = stored.alert
    tech = TECHNIQUES.get(a.technique)
    return {
        "id": stored.id,
        "detection": a.detection,
        "technique": a.technique,
        "technique_name": tech[0] if tech else None,
        "tactics": [TACTICS.get(t, t) for t in tech[1]] if tech else [],
        "severity": a.severity,
        "state": a.state,
        "state_reason": stored.state_reason,
        "state_changed_at": stored.state_changed_at,
        "title": a.title,
        "key": a.key,
        "src": a.src,
        "dst": a.dst,
        "first_seen": a.first_seen,
        "last_seen": a.last_seen,
        "count": a.count,
        "evidence": a.evidence,
        "history": [{"state": h.state, "reason": h.reason, "at": h.at} for h in stored.history],
        "created_at": stored.created_at,
        "updated_at": stored.updated_at,
    }


def alerts_table(items: Iterable[Any]) -> str:
    rows = []
    for st in items:
        a = st.alert
        rows.append((st.id, a.severity, a.state, a.detection, a.technique, a.count, a.src or "-", a.dst or "-",
                     fmt_ts_short(a.first_seen), fmt_ts_short(a.last_seen), a.title))
    return table(("id", "severity", "state", "detection", "technique", "count", "src", "dst", "first seen",
                  "last seen", "title"), rows, max_width=72)


def severity_counts(counts: Mapping[str, int]) -> str:
    """``2 high, 1 medium``: most severe first, zero counts left out."""
    known = [f"{counts[s]} {s}" for s in SEVERITY_ORDER if counts.get(s)]
    other = [f"{n} {safe(s)}" for s, n in sorted(counts.items()) if n and s not in SEVERITIES]
    return ", ".join(known + other)


def changes_summary(changes: Any) -> str:
    """The alerts part of analyze's per-capture line, e.g. ``alerts: 3 new (2 high, 1 medium), 1 updated (1 high)``."""
    if changes is None:
        return "alerts: none"
    n_new, n_upd = sum(changes.new.values()), sum(changes.updated.values())
    if not n_new and not n_upd:
        return "alerts: none"
    new = f"{n_new} new" + (f" ({severity_counts(changes.new)})" if n_new else "")
    upd = f"{n_upd} updated" + (f" ({severity_counts(changes.updated)})" if n_upd else "")
    return f"alerts: {new}, {upd}"


# -- commands -------------------------------------------------------------------------------------

@click.command("alerts")
@db_option
@click.option("--format", "fmt", type=click.Choice(["table", "json", "jsonl"]), default="table",
              show_default=True, help="json: a list of alert objects (docs/alerts.md); jsonl: one per line.")
@click.option("--state", "state", type=click.Choice(list(STATES)), default=None,
              help="Only alerts in this state.")
@click.option("--detection", "detection", metavar="ID", default=None,
              help="Only alerts of this detection (e.g. ics.plc_stop).")
def alerts_command(db: str, fmt: str, state: str | None, detection: str | None) -> None:
    """List the stored alerts, oldest traffic first (approved changes only with --state approved)."""
    with open_store(db, create=False) as store:
        items = store.alerts(state=state, detection=detection)
    if state is None:  # approved changes (docs/change-windows.md) are not alerts to act on
        items = [st for st in items if st.alert.state != APPROVED]
    if fmt == "json":
        echo_json([alert_document(st) for st in items])
    elif fmt == "jsonl":
        out = sys.stdout
        with broken_pipe_guard():
            for st in items:
                out.write(json.dumps(alert_document(st), separators=(",", ":"), ensure_ascii=True))
                out.write("\n")
            out.flush()
    elif items:
        click.echo(alerts_table(items))
    else:
        click.echo("no alerts" + (" matching the filters" if state or detection else ""))


@click.group("alert")
def alert_group() -> None:
    """Change the state of one alert: ack, resolve, or suppress with a reason."""


def _change(db: str, alert_id: int, state: str, reason: str | None) -> None:
    with open_store(db, create=False) as store:
        try:
            st = store.set_alert_state(alert_id, state, reason)
        except NotFound:
            raise click.ClickException(f"no alert with id {alert_id} (see `plantwarden alerts`)") from None
        except InvalidInput as exc:
            raise click.ClickException(str(exc)) from None
    why = f" (reason: {safe(st.state_reason)})" if st.state_reason else ""
    click.echo(f"alert {st.id} [{safe(st.alert.detection)}] {safe(st.alert.title)}: {st.alert.state}{why}")


@alert_group.command("ack")
@click.argument("alert_id", metavar="ID", type=int)
@db_option
def ack(alert_id: int, db: str) -> None:
    """Acknowledge alert ID: someone is looking at it."""
    _change(db, alert_id, ACKNOWLEDGED, None)


@alert_group.command("resolve")
@click.argument("alert_id", metavar="ID", type=int)
@db_option
def resolve(alert_id: int, db: str) -> None:
    """Resolve alert ID: the case is closed; a recurrence makes a new alert."""
    _change(db, alert_id, RESOLVED, None)


@alert_group.command("suppress")
@click.argument("alert_id", metavar="ID", type=int)
@click.option("--reason", "reason", metavar="TEXT", required=True, help="Why (required, kept with the alert).")
@db_option
def suppress(alert_id: int, reason: str, db: str) -> None:
    """Suppress alert ID with a reason: expected traffic; recurrences within the window merge silently."""
    _change(db, alert_id, SUPPRESSED, reason)
