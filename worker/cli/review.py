"""`dunmail review serve|list|show|decide|feedback` and `dunmail user add`: the same functions as the web app."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from worker import runtime
from worker.cli import app
from worker.cli.core import ConfigOption, fail
from worker.db import migrate
from worker.db.engine import transaction
from worker.errors import DunmailError
from worker.ledger import TransitionError
from worker.review import actions, auth, decisions, queue

console = Console()
review_app = typer.Typer(no_args_is_help=True, help="The finance review queue.")
user_app = typer.Typer(no_args_is_help=True, help="People who may log in to the review app.")
app.add_typer(review_app, name="review")
app.add_typer(user_app, name="user")


@review_app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8080,
    insecure_cookies: Annotated[bool, typer.Option(
        "--insecure-cookies", help="send the session cookie over plain HTTP (local use without TLS only)")] = False,
    config: ConfigOption = None,
) -> None:
    """Serve the review app (same settings and database as the rest: DUNMAIL_DATABASE_URL, DUNMAIL_SECRET_KEY)."""
    import uvicorn

    from worker.review.app import create_app

    try:
        rt = runtime.start(config)
        migrate.upgrade(rt.engine)
        web = create_app(rt.settings, secure_cookies=not insecure_cookies, engine=rt.engine)
    except DunmailError as exc:
        raise fail(str(exc)) from None
    # Proxy headers are read by the app itself, and only from `trusted_proxies` (auth.client_address):
    # uvicorn's own handling would believe any loopback peer.
    uvicorn.run(web, host=host, port=port, log_level="warning", proxy_headers=False)


@review_app.command("list")
def list_items(
    kind: Annotated[str, typer.Option(help="only this kind (dispute, plan_request, …)")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per line")] = False,
    config: ConfigOption = None,
) -> None:
    """Open review items, oldest first."""
    try:
        rt = runtime.start(config)
        with transaction(rt.engine) as session:
            rows = queue.rows(session, queue.Filters(kind=kind))
            out = [{"item": r.item.id, "kind": r.item.kind, "case": r.item.case_id, "customer": r.customer,
                    "balance": format(r.amount, "f") if r.amount is not None else None, "currency": r.currency,
                    "age_hours": int(r.age.total_seconds() // 3600), "late": r.late, "summary": r.item.summary,
                    "assignee": r.item.assignee} for r in rows]
    except (DunmailError, ValueError) as exc:
        raise fail(str(exc)) from None
    if as_json:
        for row in out:
            print(json.dumps(row, ensure_ascii=False))
        return
    table = Table("item", "kind", "case", "customer", "balance", "waiting", "summary")
    for row in out:
        table.add_row(str(row["item"]), str(row["kind"]), str(row["case"] or "—"), str(row["customer"]),
                      f"{row['currency']} {row['balance']}" if row["balance"] else "", f"{row['age_hours']}h",
                      str(row["summary"]))
    console.print(table)


@review_app.command("show")
def show(case_id: Annotated[int, typer.Argument(help="case number")], config: ConfigOption = None) -> None:
    """A case's state and its timeline of events and mails."""
    try:
        rt = runtime.start(config)
        with transaction(rt.engine) as session:
            from worker.ledger import get_case

            case = get_case(session, case_id)
            console.print(f"case {case.id} · {case.customer.name} · invoice {case.invoice.number} · "
                          f"{case.invoice.currency} {case.invoice.balance} · state {case.state}")
            for t in queue.timeline(session, case_id):
                if t.mail:
                    console.print(f"{t.at:%Y-%m-%d %H:%M} mail {t.mail.id} {t.mail.direction} "
                                  f"{t.mail.intent or t.mail.stage or ''} {t.mail.subject}", markup=False)
                elif t.event:
                    console.print(f"{t.at:%Y-%m-%d %H:%M} {t.event.kind} by {t.event.actor}: {t.event.reason}",
                                  markup=False)
    except DunmailError as exc:
        raise fail(str(exc)) from None


@review_app.command("decide")
def decide(
    action: Annotated[str, typer.Argument(help=f"one of: {', '.join(actions.ACTIONS)}")],
    reason: Annotated[str, typer.Option("--reason", help="why (kept in the case's trail)")],
    by: Annotated[str, typer.Option("--by", help="who decides (an email)")],
    item: Annotated[int | None, typer.Option("--item", help="review item number")] = None,
    case: Annotated[int | None, typer.Option("--case", help="case number (for pause/resume/note)")] = None,
    field: Annotated[list[str] | None, typer.Option(
        "--set", help="NAME=VALUE, e.g. amount=500, due=2026-12-31, instalments='2026-12-01 500;2027-01-01 500'")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Make one decision, exactly as the web app does."""
    fields = dict(f.split("=", 1) for f in field or [] if "=" in f)
    fields["reason"] = reason
    try:
        rt = runtime.start(config)
        with transaction(rt.engine) as session:
            actions.apply(session, action, fields, actor=decisions.actor_for(by), item_id=item, case_id=case)
    except (DunmailError, decisions.DecisionError, TransitionError) as exc:
        raise fail(str(exc)) from None
    console.print(f"{action}: done")


@review_app.command("feedback")
def feedback(
    out: Annotated[Path, typer.Option("--out", help="JSONL file for the classifier's corpus")],
    config: ConfigOption = None,
) -> None:
    """Export every reviewer-corrected intent (one JSON object per line)."""
    try:
        rt = runtime.start(config)
        with transaction(rt.engine) as session:
            rows = decisions.feedback_rows(session)
    except DunmailError as exc:
        raise fail(str(exc)) from None
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    console.print(f"{len(rows)} corrected labels written to {out}")


@user_app.command("add")
def user_add(
    email: Annotated[str, typer.Argument(help="login email")],
    role: Annotated[auth.Role, typer.Option("--role", help="viewer, reviewer or admin")] = auth.Role.REVIEWER,
    config: ConfigOption = None,
) -> None:
    """Create a user (or reset one). The password is read from standard input, never from arguments."""
    password = sys.stdin.readline().rstrip("\r\n")
    try:
        rt = runtime.start(config)
        migrate.upgrade(rt.engine)
        with transaction(rt.engine) as session:
            auth.add_user(session, email, password, role)
    except (DunmailError, decisions.DecisionError) as exc:
        raise fail(str(exc)) from None
    console.print(f"user {email.strip().lower()} ({role.value}) saved")


@user_app.command("disable")
def user_disable(
    email: Annotated[str, typer.Argument(help="login email")],
    config: ConfigOption = None,
) -> None:
    """Stop a user logging in and end every session they have open, at once."""
    try:
        rt = runtime.start(config)
        migrate.upgrade(rt.engine)
        with transaction(rt.engine) as session:
            revoked = auth.disable_user(session, email)
    except (DunmailError, decisions.DecisionError) as exc:
        raise fail(str(exc)) from None
    console.print(f"user {email.strip().lower()} disabled; {revoked} open session(s) ended")
