"""``plantwarden baseline show|accept|remove|clear``: review and edit the learned baseline.

Learning itself is ``plantwarden analyze --learn`` / ``--learn-for SECONDS`` (cli/main.py). The JSON
document (``baseline_document``) is a public interface: docs/baselines.md documents every field.
"""

from __future__ import annotations

import click

from plantwarden.cli.common import db_option, echo_json, open_store
from plantwarden.cli.render import fmt_ts_short, safe, table
from plantwarden.core.errors import InvalidInput, NotFound


def _ranges(rs: list[list[int]]) -> str:
    return ",".join(f"{lo}" if lo == hi else f"{lo}-{hi}" for lo, hi in rs)


def baseline_tables(b: object) -> str:
    from plantwarden.baseline.model import Baseline

    assert isinstance(b, Baseline)
    rows = []
    for p in sorted(b.pairs.values(), key=lambda p: (p.client, p.server, p.protocol)):
        funcs = sorted(p.functions.items(), key=lambda kv: (-kv[1], kv[0]))
        ftext = ", ".join(f"{f}x{n}" for f, n in funcs[:6]) + (f", +{len(funcs) - 6}" if len(funcs) > 6 else "")
        writes = "; ".join(f"{sp} {_ranges(rs)}" for sp, rs in sorted(p.writes.items()))
        rows.append((p.client, p.server, p.protocol, p.requests, ftext or "-", writes or "-",
                     fmt_ts_short(p.first_seen), fmt_ts_short(p.last_seen)))
    out = [f"Pairs ({len(rows)})", "", table(("client", "server", "protocol", "requests", "functions", "writes",
                                              "first seen", "last seen"), rows, max_width=60)]
    vrows = [(v.server, v.unit, v.register, f"{v.low:g}", f"{v.high:g}", v.count)
             for v in sorted(b.values.values(), key=lambda v: (v.server, v.unit, v.register))]
    if vrows:
        out += ["", f"Modbus holding register values ({len(vrows)})", "",
                table(("server", "unit", "register", "low", "high", "samples"), vrows)]
    return "\n".join(out)


@click.group("baseline")
def baseline_group() -> None:
    """Review and edit the learned baseline (learn with `analyze --learn` or `--learn-for`)."""


@baseline_group.command("show")
@db_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="json: the documented baseline document (docs/baselines.md).")
def show(db: str, fmt: str) -> None:
    """Show the allowed pairs with their functions and written ranges, and the register value ranges."""
    from plantwarden.baseline.model import baseline_document

    with open_store(db, create=False) as store:
        b = store.baseline()
    if fmt == "json":
        echo_json(baseline_document(b))
    elif not b.pairs and not b.values:
        click.echo("the baseline is empty: learn with `plantwarden analyze --learn CAPTURE`")
    else:
        click.echo(baseline_tables(b))


@baseline_group.command("accept")
@click.argument("alert_id", metavar="ALERT_ID", type=int)
@db_option
def accept(alert_id: int, db: str) -> None:
    """Add what deviation alert ALERT_ID saw to the baseline, and resolve the alert."""
    with open_store(db, create=False) as store:
        try:
            st, ch = store.accept_alert(alert_id)
        except NotFound:
            raise click.ClickException(f"no alert with id {alert_id} (see `plantwarden alerts`)") from None
        except InvalidInput as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"alert {st.id} [{safe(st.alert.detection)}] accepted into the baseline "
               f"({ch.new_pairs} new pairs, {ch.updated_pairs} pairs extended, {ch.new_values} new and "
               f"{ch.updated_values} widened register ranges); the alert is {st.alert.state}")


def _register(value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    unit, sep, reg = value.partition("/")
    if not sep or not unit.isdigit() or not reg.isdigit():
        raise click.BadParameter("UNIT/REGISTER, e.g. 1/40", param_hint="--register")
    return int(unit), int(reg)


@baseline_group.command("remove")
@click.option("--client", "client", metavar="IP", default=None, help="Pairs of this client.")
@click.option("--server", "server", metavar="IP", default=None, help="Pairs of this server (and, alone, its register ranges).")
@click.option("--protocol", "protocol", metavar="NAME", default=None, help="Pairs of this protocol (e.g. modbus).")
@click.option("--function", "function", metavar="NAME", default=None,
              help="Only this function of the matching pairs (as `baseline show` names it).")
@click.option("--register", "register", metavar="UNIT/REGISTER", default=None,
              help="The value range of this Modbus holding register (of --server, else of every server).")
@db_option
def remove(client: str | None, server: str | None, protocol: str | None, function: str | None,
           register: str | None, db: str) -> None:
    """Remove pairs (or one of their functions, or a register's value range) from the baseline."""
    reg = _register(register)
    if client is None and server is None and protocol is None and reg is None:
        raise click.UsageError("say what to remove: --client, --server, --protocol and/or --register "
                               "(`plantwarden baseline clear` removes everything)")
    with open_store(db, create=False) as store:
        n = store.remove_from_baseline(client, server, protocol, function, reg)
    what = "register ranges" if reg is not None else "functions" if function is not None else "entries"
    click.echo(f"removed {n} {what} from the baseline")


@baseline_group.command("clear")
@click.option("--yes", "yes", is_flag=True, help="Do not ask for confirmation.")
@db_option
def clear(yes: bool, db: str) -> None:
    """Forget the whole baseline (the deviation detections fall back to their in-capture learning)."""
    if not yes:
        click.confirm("Forget the whole learned baseline?", abort=True)
    with open_store(db, create=False) as store:
        pairs, values = store.clear_baseline()
    click.echo(f"baseline cleared: {pairs} pairs and {values} register ranges removed")
