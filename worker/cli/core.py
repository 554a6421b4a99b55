"""Core commands: db upgrade, import, log."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import select

from worker import runtime
from worker.cli import app
from worker.db import migrate
from worker.db.engine import transaction
from worker.db.models import Event, Mail
from worker.errors import DunmailError, ImportRowError
from worker.importer import ImportDefaults, decode_csv, import_file, read_rows
from worker.ledger import get_case

ConfigOption = Annotated[Path | None, typer.Option("--config", help="settings file (default: DUNMAIL_CONFIG)")]
console = Console()
db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
app.add_typer(db_app, name="db")


def fail(message: str, code: int = 2) -> typer.Exit:
    Console(stderr=True).print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = None) -> None:
    """Create or migrate the schema to the newest version."""
    try:
        rt = runtime.start(config)
        migrate.upgrade(rt.engine)
    except DunmailError as exc:
        raise fail(str(exc)) from None
    console.print(f"database at {rt.engine.url.render_as_string(hide_password=True)} is up to date")


@app.command("import")
def import_invoices(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV of invoices")],
    config: ConfigOption = None,
) -> None:
    """Import invoices from a CSV (UTF-8, UTF-8 with BOM, or CP932). Re-importing updates, never duplicates.

    Columns (any order): invoice_number, customer_name, customer_email, amount, currency, issue_date,
    due_date; optional: language (en, ja), timezone (IANA), country (for holidays), balance,
    account_owner_email, policy, segment.
    """
    try:
        rt = runtime.start(config)
        migrate.upgrade(rt.engine)
        total = sum(1 for _ in read_rows(decode_csv(file.read_bytes())))
        s = rt.settings
        defaults = ImportDefaults(language=s.default_language, timezone=s.default_timezone,
                                  country=s.default_country, policy=s.default_policy)
        with Progress(console=console, transient=True, disable=total < 500) as progress, \
                transaction(rt.engine) as session:
            task = progress.add_task("importing", total=total)
            report = import_file(session, file, defaults=defaults,
                                 progress=lambda n: progress.advance(task, n))
    except ImportRowError as exc:
        raise fail(str(exc)) from None
    except DunmailError as exc:
        raise fail(str(exc)) from None
    for err in report.errors:
        console.print(f"[yellow]skipped[/yellow] row {err.row}: {err.reason}")
    console.print(f"imported {file.name}: {report.created} new, {report.updated} updated, "
                  f"{report.stopped} stopped (balance zero), {len(report.errors)} rejected")
    if report.errors:
        raise typer.Exit(1)


@app.command("log")
def case_log(case_id: Annotated[int, typer.Argument(help="case id")], config: ConfigOption = None) -> None:
    """Print a case's timeline: events and correspondence, oldest first."""
    try:
        rt = runtime.start(config)
        with transaction(rt.engine) as session:
            case = get_case(session, case_id)
            events = session.scalars(select(Event).where(Event.case_id == case_id)).all()
            mails = {m.id: m for m in session.scalars(select(Mail).where(Mail.case_id == case_id))}
            console.print(f"case {case.id} · invoice {case.invoice.number} · {case.customer.name} · "
                          f"{case.invoice.balance} {case.invoice.currency} · state {case.state}")
            table = Table("when (UTC)", "what", "who", "detail")
            for e in sorted(events, key=lambda e: (e.created_at, e.id)):
                mail = mails.get(e.mail_id) if e.mail_id else None
                detail = e.reason or ", ".join(f"{k}={v}" for k, v in e.data.items())
                if mail is not None:
                    detail = f"{detail} · {mail.direction} «{mail.subject}» {mail.intent or ''}".strip(" ·")
                table.add_row(e.created_at.strftime("%Y-%m-%d %H:%M"), e.kind, e.actor, detail)
            console.print(table)
    except DunmailError as exc:
        raise fail(str(exc)) from None


@app.command("doctor")
def doctor(config: ConfigOption = None) -> None:
    """Check settings, database and migrations, broker, SMTP and IMAP logins, templates and policies."""
    from worker.doctor import run_checks

    checks = run_checks(config)
    table = Table("check", "status", "detail", "how to fix")
    colour = {"ok": "green", "warn": "yellow", "fail": "red"}
    for c in checks:
        table.add_row(c.name, f"[{colour[c.status]}]{c.status}[/]", c.detail, c.fix)
    console.print(table)
    if any(c.status == "fail" for c in checks):
        raise typer.Exit(1)
