"""`dunmail customer export|erase`: a data-subject access request and an erasure request (worker/privacy.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from worker import privacy, runtime
from worker.cli import app
from worker.cli.core import ConfigOption, fail
from worker.db.engine import transaction
from worker.errors import DunmailError
from worker.review.decisions import actor_for

console = Console()
customer_app = typer.Typer(no_args_is_help=True, help="Personal data of one customer (GDPR, 個人情報保護法).")
app.add_typer(customer_app, name="customer")

CustomerId = Annotated[int, typer.Argument(help="customer number (shown on the case page)")]


@customer_app.command("find")
def find(
    text: Annotated[str, typer.Argument(help="part of a name or an email address")],
    config: ConfigOption = None,
) -> None:
    """Customers whose name or contact address contains TEXT, with their numbers (for export and erase)."""
    try:
        rt = runtime.start(config)
        with transaction(rt.engine) as session:
            rows = [(str(c.id), c.name, ", ".join(x.email for x in c.contacts), str(n))
                    for c, n in privacy.find_customers(session, text)]
    except DunmailError as exc:
        raise fail(str(exc)) from None
    table = Table("customer", "name", "contacts", "cases")
    for row in rows:
        table.add_row(*row)
    console.print(table)
    if not rows:
        raise typer.Exit(1)


@customer_app.command("export")
def export(
    customer_id: CustomerId,
    out: Annotated[Path | None, typer.Option("--out", help="write the JSON here (default: standard output)")] = None,
    config: ConfigOption = None,
) -> None:
    """Everything dunmail holds about the customer as one JSON document; raw mail is base64 inside it."""
    try:
        rt = runtime.start(config)
        with transaction(rt.engine) as session:
            document = privacy.export_customer(session, customer_id)
        text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
        if out is None:
            typer.echo(text, nl=False)
            return
        out.write_text(text, encoding="utf-8")
    except (DunmailError, OSError) as exc:
        raise fail(str(exc)) from None
    Console(stderr=True).print(f"customer {customer_id}: {len(document['mails'])} mails, "
                               f"{len(document['cases'])} cases written to {out}")


@customer_app.command("erase")
def erase(
    customer_id: CustomerId,
    by: Annotated[str, typer.Option("--by", help="who erases (an email; kept in the trail)")],
    yes: Annotated[bool, typer.Option("--yes", help="really erase: this cannot be undone")] = False,
    force: Annotated[bool, typer.Option("--force", help="erase even with open cases (they stop being chased)")]
    = False,
    config: ConfigOption = None,
) -> None:
    """Remove the customer's names, addresses and mail; keep invoices, amounts, dates, states and the event
    skeleton. Export first (`dunmail customer export`) if the request asks for a copy."""
    if not yes:
        raise fail(f"erasing customer {customer_id} cannot be undone: run again with --yes "
                   "(and `dunmail customer export` first if a copy is needed)")
    try:
        rt = runtime.start(config)
        with transaction(rt.engine) as session:
            report = privacy.erase_customer(session, customer_id, actor=actor_for(by), force=force)
    except DunmailError as exc:
        raise fail(str(exc)) from None
    if report.already_erased and not report.changed:
        console.print(f"customer {customer_id} was already erased; nothing left to remove")
        return
    console.print(f"customer {customer_id} erased: {report.contacts_removed} contacts, {report.mails_erased} "
                  f"mails, {report.events_scrubbed} events and {report.reviews_scrubbed} review items scrubbed; "
                  f"cases kept: {', '.join(map(str, report.cases)) or 'none'}")
    if report.stopped_cases:
        console.print(f"no longer chased: cases {', '.join(map(str, report.stopped_cases))}")
    if report.shared_mails:
        console.print(f"[yellow]kept[/yellow] mails {', '.join(map(str, report.shared_mails))}: they also "
                      "belong to another customer's case; erase them by hand if they must go")
