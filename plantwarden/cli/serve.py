"""``plantwarden serve``: the REST API and the dashboard (docs/web.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from plantwarden.cli.common import db_option, display_db, open_store
from plantwarden.cli.render import safe


def first_admin(store: Any) -> tuple[str, str] | None:
    """At the first start (no account at all) create ``admin`` with a generated password: there is
    never a fixed default. Returns (name, password) when it did."""
    from plantwarden.auth.accounts import generate_password
    from plantwarden.auth.roles import ADMIN

    if store.users():
        return None
    password = generate_password()
    store.add_user("admin", ADMIN, password)
    return "admin", password


def run_server(store: Any, host: str, port: int, zones: str | None = None, uploads: Path | None = None,
               secure_cookies: bool = False, banner: str = "") -> None:
    import uvicorn

    from plantwarden.web.app import create_app

    app = create_app(store, uploads=uploads, secure_cookies=secure_cookies)
    if zones is not None:
        from plantwarden.cli.zones import load_model_or_exit

        app.state.zone_model = load_model_or_exit(zones)
    else:
        app.state.zone_model = None
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"{banner}dashboard: http://{shown}:{port}/   (API under /api/, OpenAPI at /api/openapi.json; "
               "Ctrl-C stops)")
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=True)


def server_options(f: Any) -> Any:
    f = click.option("--secure-cookies", is_flag=True,
                     help="Mark cookies Secure even without TLS seen (behind a proxy that ends TLS).")(f)
    f = click.option("--uploads", type=click.Path(file_okay=False, path_type=Path), default=None,
                     help="Folder for uploaded captures (default: 'uploads' beside the database file).")(f)
    f = click.option("--zones", "zones", type=click.Path(dir_okay=False, exists=True), default=None,
                     help="A zones model (docs/zones.md): the network map groups assets by its zones.")(f)
    f = click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
                     help="TCP port to listen on.")(f)
    f = click.option("--host", default="127.0.0.1", show_default=True,
                     help="Address to listen on (0.0.0.0: every interface; put TLS in front).")(f)
    return f


@click.command("serve")
@server_options
@db_option
def serve_command(host: str, port: int, zones: str | None, uploads: Path | None, secure_cookies: bool,
                  db: str) -> None:
    """Serve the dashboard and the REST API over the store (the first start creates an admin)."""
    with open_store(db, create=True) as store:
        created = first_admin(store)
        banner = f"store:     {safe(display_db(db))}\n"
        if created is not None:
            banner += (f"first admin: user {created[0]}, password {created[1]}   (shown once; change it with "
                       f"`plantwarden user passwd {created[0]}`)\n")
        run_server(store, host, port, zones, uploads, secure_cookies, banner)
