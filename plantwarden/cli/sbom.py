"""``plantwarden sbom``, ``plantwarden osv`` and ``plantwarden vex``: SBOMs of assets and products, OSV
records matched to their components, and VEX statements applied to the findings (docs/vulns.md, "SBOM,
VEX and OSV")."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from plantwarden.cli.common import broken_pipe_guard, db_option, echo_json, open_store
from plantwarden.cli.render import fmt_ts_short, safe, table
from plantwarden.core.errors import InvalidInput, NotFound
from plantwarden.store.sbom import COMPONENT_STATES, EXPORT_FORMATS

MAX_FILE = 200 * 1024 * 1024


def _read(path: Path, what: str) -> bytes:
    try:
        if path.stat().st_size > MAX_FILE:
            raise click.ClickException(f"{safe(path)}: larger than 200 MiB, not read as {what}")
        return path.read_bytes()
    except OSError as exc:
        raise click.ClickException(f"cannot read {safe(path)}: {exc.strerror or exc}") from None


def _fail(exc: Exception) -> click.ClickException:
    return click.ClickException(safe(str(exc)))


def _match_line(m: Any) -> str:
    line = (f"matched {m.advisories} OSV records to {m.components} components: {len(m.new)} new, "
            f"{len(m.fixed)} no longer matched, {len(m.reopened)} reopened")
    return line + (f"; {len(m.decided_by_vex)} decided by stored VEX" if m.decided_by_vex else "")


# ---------------------------------------------------------------------------------------------- sbom


@click.group("sbom")
def sbom_group() -> None:
    """Software bills of materials: import CycloneDX or SPDX, list, show, export, their findings."""


@sbom_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--asset", metavar="IP", default=None, help="The asset the SBOM is of (its IP address).")
@click.option("--product", metavar="NAME", default=None, help="The product the SBOM is of.")
@click.option("--name", metavar="NAME", default=None, help="A name for the SBOM (default: its subject's, else "
                                                           "the file's).")
@db_option
def sbom_import(path: Path, asset: str | None, product: str | None, name: str | None, db: str) -> None:
    """Import a CycloneDX 1.4-1.6 (JSON or XML) or SPDX 2.3 (JSON or tag-value) SBOM; its components are
    matched against the stored OSV records."""
    from plantwarden.store import sbom

    data = _read(path, "an SBOM")
    with open_store(db, create=True) as store:
        try:
            res = sbom.import_sbom(store, data, str(path), asset, product, name)
        except InvalidInput as exc:
            raise _fail(exc) from None
    if not res.created:
        click.echo(f"sbom {res.sbom_id}: the same file was imported before for this asset and product; unchanged")
        return
    click.echo(f"sbom {res.sbom_id}: {res.components} components")
    if res.matched is not None:
        click.echo(_match_line(res.matched), err=True)


@sbom_group.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="json: a list of the SBOMs with their ids, formats, subjects, assets and products.")
@db_option
def sbom_list(fmt: str, db: str) -> None:
    """The imported SBOMs."""
    from plantwarden.store import sbom

    with open_store(db, create=False) as store:
        items = sbom.list_sboms(store)
    if fmt == "json":
        echo_json(items)
        return
    if not items:
        click.echo("no SBOMs (plantwarden sbom import FILE)")
        return
    click.echo(table(["id", "name", "version", "format", "spec", "asset", "product", "components", "imported"],
                     [(d["id"], d["name"], d["version"] or "", d["format"], d["spec"], d["asset"] or "",
                       d["product"] or "", d["components"], fmt_ts_short(d["imported_at"])) for d in items]))


@sbom_group.command("show")
@click.argument("sbom_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="json: the SBOM, its components and their findings.")
@db_option
def sbom_show(sbom_id: int, fmt: str, db: str) -> None:
    """One SBOM: its components and the OSV findings in them."""
    from plantwarden.store import sbom

    with open_store(db, create=False) as store:
        try:
            doc = sbom.sbom_document(store, sbom_id)
        except NotFound as exc:
            raise _fail(exc) from None
    if fmt == "json":
        echo_json(doc)
        return
    click.echo(f"sbom {doc['id']}: {safe(doc['name'])} {safe(doc['version'] or '')} ({doc['format']} {doc['spec']})")
    for key in ("supplier", "asset", "product", "source", "sha256", "imported_by"):
        if doc[key]:
            click.echo(f"  {key.replace('_', ' ')}: {safe(doc[key])}")
    rows = [(c["name"], c["version"] or "", c["type"] or "", c["purl"] or "", " AND ".join(c["licenses"]))
            for c in doc["component_list"]]
    click.echo(table(["component", "version", "type", "purl", "licenses"], rows) if rows else "no components")
    _findings_table(doc["findings"])


def _findings_table(items: list[dict[str, Any]]) -> None:
    if not items:
        click.echo("no component findings")
        return
    click.echo(table(["id", "sbom", "component", "version", "osv", "cves", "state", "fixed in", "reason"],
                     [(f["id"], f["sbom"], f["component"], f["version"] or "", f["osv_id"], " ".join(f["cves"][:3]),
                       f["state"], " ".join(f["fixed_in"]), f["reason"] or "") for f in items]))


@sbom_group.command("findings")
@click.option("--state", type=click.Choice(COMPONENT_STATES), default=None, help="Only findings in this state.")
@click.option("--sbom", "sbom_id", type=int, default=None, metavar="ID", help="Only the findings of this SBOM.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="json: the component findings with their OSV record, state and reason.")
@db_option
def sbom_findings(state: str | None, sbom_id: int | None, fmt: str, db: str) -> None:
    """The OSV records found in the SBOMs' components, with their VEX state."""
    from plantwarden.store import sbom

    with open_store(db, create=False) as store:
        items = sbom.component_findings(store, state, sbom_id)
    if fmt == "json":
        echo_json({"format_version": 1, "component_findings": items})
        return
    _findings_table(items)


@sbom_group.command("export")
@click.argument("sbom_id", type=int)
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), required=True, help="The format written.")
@click.option("--spec", type=click.Choice(["1.4", "1.5", "1.6", "2.3"]), default=None,
              help="The spec version: 1.4, 1.5 or 1.6 for CycloneDX (default 1.6), 2.3 for SPDX.")
@click.option("--output", "-o", "output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file (UTF-8) instead of standard output.")
@db_option
def sbom_export(sbom_id: int, fmt: str, spec: str | None, output: Path | None, db: str) -> None:
    """Write a stored SBOM as CycloneDX JSON or XML, or SPDX 2.3 JSON. On standard output every
    character outside ASCII is escaped (JSON \\u escapes, XML character references)."""
    from plantwarden.store import sbom

    if fmt.startswith("cyclonedx") and spec == "2.3":
        raise click.UsageError("--spec 2.3 is SPDX's; CycloneDX is 1.4, 1.5 or 1.6")
    if fmt == "spdx-json" and spec not in (None, "2.3"):
        raise click.UsageError("SPDX is written as 2.3")
    with open_store(db, create=False) as store:
        try:
            text = sbom.export_sbom(store, sbom_id, fmt, spec)
        except (InvalidInput, NotFound) as exc:
            raise _fail(exc) from None
    if output is not None:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise click.ClickException(f"cannot write {safe(output)}: {exc.strerror or exc}") from None
        click.echo(f"sbom {sbom_id}: written to {safe(output)}", err=True)
        return
    # the terminal never sees a raw control, format or other non-ASCII character of the SBOM
    if fmt == "cyclonedx-xml":
        text = text.encode("ascii", "xmlcharrefreplace").decode("ascii")
    else:
        text = json.dumps(json.loads(text), indent=2, ensure_ascii=True)
    with broken_pipe_guard():
        click.echo(text.rstrip("\n"))


@sbom_group.command("delete")
@click.argument("sbom_id", type=int)
@db_option
def sbom_delete(sbom_id: int, db: str) -> None:
    """Remove a stored SBOM with its components and their findings."""
    from plantwarden.store import sbom

    with open_store(db, create=False) as store:
        try:
            sbom.delete_sbom(store, sbom_id)
        except NotFound as exc:
            raise _fail(exc) from None
    click.echo(f"sbom {sbom_id}: deleted")


# ----------------------------------------------------------------------------------------------- osv


@click.group("osv")
def osv_group() -> None:
    """OSV-format advisories for software components, matched to the SBOMs by purl."""


@osv_group.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@db_option
def osv_import(paths: tuple[Path, ...], db: str) -> None:
    """Import OSV records (JSON files; folders: every .json inside, recursively) and match every SBOM
    component against the stored records."""
    from plantwarden.store import sbom

    docs = []
    for p in paths:
        files = sorted(f for f in p.rglob("*.json") if not f.name.startswith(".")) if p.is_dir() else [p]
        docs += [(str(f), _read(f, "an OSV record")) for f in files]
    with open_store(db, create=True) as store:
        res = sbom.import_osv(store, docs)
    click.echo(f"OSV records: {len(res.new)} new, {len(res.updated)} updated, {len(res.unchanged)} unchanged, "
               f"{len(res.invalid)} not OSV")
    for source, reason in res.invalid:
        click.echo(f"  {safe(source)}: {safe(reason)}", err=True)
    if res.matched is not None:
        click.echo(_match_line(res.matched))


@osv_group.command("match")
@db_option
def osv_match(db: str) -> None:
    """Match every SBOM component against the stored OSV records again."""
    from plantwarden.store import sbom

    with open_store(db, create=False) as store:
        click.echo(_match_line(sbom.match(store)))


# ----------------------------------------------------------------------------------------------- vex


@click.group("vex")
def vex_group() -> None:
    """VEX documents (CycloneDX VEX, CSAF VEX) applied to the findings."""


def _vex_result(res: Any) -> None:
    click.echo(f"{res.statements} statements: {len(res.findings)} CSAF findings and {len(res.component_findings)} "
               "component findings changed")


@vex_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@db_option
def vex_import(path: Path, db: str) -> None:
    """Import a CycloneDX VEX (JSON or XML) or CSAF VEX document and apply its statements to the CSAF
    findings and the component findings; a not_affected or fixed statement mitigates a finding with the
    statement as its reason."""
    from plantwarden.store import sbom

    data = _read(path, "a VEX document")
    with open_store(db, create=True) as store:
        try:
            res = sbom.import_vex(store, data, str(path))
        except InvalidInput as exc:
            raise _fail(exc) from None
    _vex_result(res)


@vex_group.command("apply")
@db_option
def vex_apply(db: str) -> None:
    """Apply every stored VEX document again, oldest first (after `plantwarden vulns` found new findings)."""
    from plantwarden.store import sbom

    with open_store(db, create=False) as store:
        _vex_result(sbom.apply_stored_vex(store))


@vex_group.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="json: a list of the stored VEX documents.")
@db_option
def vex_list(fmt: str, db: str) -> None:
    """The imported VEX documents."""
    from plantwarden.store import sbom

    with open_store(db, create=False) as store:
        items = sbom.vex_documents(store)
    if fmt == "json":
        echo_json(items)
        return
    click.echo(table(["id", "document", "format", "statements", "imported", "source"],
                     [(d["id"], d["document"] or "", d["format"], d["statements"], fmt_ts_short(d["imported_at"]),
                       d["source"]) for d in items]) if items else "no VEX documents (plantwarden vex import FILE)")
