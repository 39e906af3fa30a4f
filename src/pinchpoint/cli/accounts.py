"""``pinchpoint audit`` (verify, export, show) and ``pinchpoint users`` / ``orgs`` (accounts for the workbench)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from pinchpoint.cli.common import FormatOpt, OutputOpt, WorkspaceOpt, friendly_errors

audit_app = typer.Typer(no_args_is_help=True, help="Check and export the hash-chained audit trail.")
users_app = typer.Typer(no_args_is_help=True, help="Workbench accounts and organisations.")

PASSWORD_ENV = "PINCHPOINT_PASSWORD"


def _store(workspace: Path | None) -> object:
    from pinchpoint.accounts.store import AccountStore, default_store

    if workspace is None:
        return default_store()
    return AccountStore(workspace if workspace.suffix != ".duckdb" else workspace.parent)


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")
    app.add_typer(users_app, name="users")

    @audit_app.command("verify")
    @friendly_errors
    def verify(file: Annotated[Path | None, typer.Option("--file", help="Check an export (JSON lines) instead of "
                                                         "the workspace's trail.")] = None,
               against: Annotated[Path | None, typer.Option("--against", help="An earlier export (`audit export`, "
                                  "kept where the server cannot write): the trail must still hold its last record "
                                  "unchanged, so records cut off the end are found.")] = None,
               workspace: WorkspaceOpt = None) -> None:
        """Recompute the hash chain; report the first altered, missing or moved record (exit 1 if any) and print
        the head (last record and hash) to compare with later."""
        from pinchpoint.accounts.audit import export_head, read_jsonl, verify_against
        from pinchpoint.accounts.audit import verify as check
        from pinchpoint.accounts.store import AccountStore

        earlier = None
        if against is not None:
            earlier = export_head(*read_jsonl(against), source=str(against))
        if file is not None:
            records, head = read_jsonl(file)
            result = check(records, head) if earlier is None else verify_against(records, head, earlier)
        else:
            store = _store(workspace)
            assert isinstance(store, AccountStore)
            result = store.verify_audit(against=earlier)
        typer.echo(str(result))
        if not result.ok:
            raise typer.Exit(1)

    @audit_app.command("export")
    @friendly_errors
    def export(output: Annotated[Path, typer.Option("--output", "-o", help="JSON lines file to write.")],
               workspace: WorkspaceOpt = None) -> None:
        """Write every record and the chain head as JSON lines, for an inspector (`audit verify --file`)."""
        from pinchpoint.accounts.audit import write_jsonl
        from pinchpoint.accounts.store import AccountStore

        store = _store(workspace)
        assert isinstance(store, AccountStore)
        n = write_jsonl(store.audit_records(), output, store.audit_head())
        store.audit("system", "export", "audit", {"records": n, "file": output.name})
        typer.echo(f"wrote {n:,} audit records to {output}", err=True)

    @audit_app.command("show")
    @friendly_errors
    def show(last: Annotated[int, typer.Option("--last", min=1, help="How many of the latest records.")] = 50,
             fmt: FormatOpt = None, output: OutputOpt = None, workspace: WorkspaceOpt = None) -> None:
        """The latest records (a caveat says where the chain is broken, if it is)."""
        from pinchpoint.accounts.store import AccountStore, audit_table
        from pinchpoint.cli.common import with_command
        from pinchpoint.cli.output import emit

        store = _store(workspace)
        assert isinstance(store, AccountStore)
        emit(with_command(audit_table(store, last)), fmt, output, title="Audit trail")

    @users_app.command("add-org")
    @friendly_errors
    def add_org(name: str, title: Annotated[str, typer.Option(help="Display name.")] = "",
                workspace: WorkspaceOpt = None) -> None:
        """Add an organisation (a ministry, an agency, a company's compliance team)."""
        from pinchpoint.accounts.store import AccountStore

        store = _store(workspace)
        assert isinstance(store, AccountStore)
        store.create_org(name, title)
        typer.echo(f"organisation {name} added", err=True)

    @users_app.command("add")
    @friendly_errors
    def add(username: str, org: Annotated[str, typer.Option(help="Organisation.")],
            role: Annotated[str, typer.Option(help="viewer, analyst or admin.")] = "viewer",
            workspace: WorkspaceOpt = None) -> None:
        """Add a user; the password comes from $PINCHPOINT_PASSWORD, else is asked for (never an option, so it
        stays out of the shell history)."""
        from pinchpoint.accounts.store import AccountStore

        password = os.environ.get(PASSWORD_ENV) or typer.prompt("password", hide_input=True,
                                                                confirmation_prompt=True)
        store = _store(workspace)
        assert isinstance(store, AccountStore)
        store.create_user(username, password, org, role)
        typer.echo(f"user {username} ({role}, {org}) added", err=True)

    @users_app.command("password")
    @friendly_errors
    def password(username: str, workspace: WorkspaceOpt = None) -> None:
        """Set a user's password (from $PINCHPOINT_PASSWORD, else asked for), as the operator at the server."""
        from pinchpoint.accounts.model import Actor
        from pinchpoint.accounts.store import AccountStore

        new = os.environ.get(PASSWORD_ENV) or typer.prompt("new password", hide_input=True, confirmation_prompt=True)
        store = _store(workspace)
        assert isinstance(store, AccountStore)
        store.set_password(username, new, Actor.system())
        typer.echo(f"password of {username} changed", err=True)

    @users_app.command("sso")
    @friendly_errors
    def sso(org: str,
            discovery_url: Annotated[str, typer.Option("--discovery-url", help="The provider's issuer URL or its "
                                                       "/.well-known/openid-configuration.")],
            client_id: Annotated[str, typer.Option("--client-id", help="This workbench's client id there.")],
            secret_env: Annotated[str, typer.Option("--secret-env", help="Environment variable holding the client "
                                                    "secret (read at sign-in; never stored).")] = "",
            secret_file: Annotated[str, typer.Option("--secret-file", help="File holding the client secret (read at "
                                                     "sign-in; never stored).")] = "",
            provisioning: Annotated[str, typer.Option(help="auto: a first sign-in makes a viewer; pre: only "
                                                      "accounts an admin made.")] = "auto",
            username_claim: Annotated[str, typer.Option("--username-claim", help="preferred_username, email or "
                                                        "sub.")] = "preferred_username",
            label: Annotated[str, typer.Option(help="Shown on the sign-in button.")] = "",
            workspace: WorkspaceOpt = None) -> None:
        """Set an organisation's OpenID Connect identity provider (single sign-on on the workbench)."""
        from pinchpoint.accounts import oidc
        from pinchpoint.accounts.model import Actor
        from pinchpoint.accounts.store import AccountStore

        store = _store(workspace)
        assert isinstance(store, AccountStore)
        prov = oidc.configure(store, org, discovery_url, client_id, by=Actor.system(), secret_env=secret_env,
                              secret_file=secret_file, provisioning=provisioning, username_claim=username_claim,
                              label=label)
        typer.echo(f"single sign-on for {org}: {prov.discovery_url} (client {prov.client_id}, secret "
                   f"{prov.secret_reference}, provisioning {prov.provisioning})", err=True)

    @users_app.command("list")
    @friendly_errors
    def list_users(fmt: FormatOpt = None, output: OutputOpt = None, workspace: WorkspaceOpt = None) -> None:
        """Users with their organisation and role."""
        from pinchpoint.accounts.store import AccountStore
        from pinchpoint.cli.common import with_command
        from pinchpoint.cli.output import emit
        from pinchpoint.results import ResultTable

        store = _store(workspace)
        assert isinstance(store, AccountStore)
        table = ResultTable.from_records(
            "users", [{"username": u.username, "org": u.org, "role": u.role.value, "created_at": u.created_at,
                       "disabled": u.disabled} for u in store.users()],
            columns=["username", "org", "role", "created_at", "disabled"], meta={"analysis": "users"})
        emit(with_command(table), fmt, output, title="Users")
