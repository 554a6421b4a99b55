"""`dunmail demo`: the whole loop on embedded defaults (see worker/demo/run.py)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from worker.cli import app
from worker.cli.core import console, fail
from worker.errors import DunmailError
from worker.settings import PROJECT_ROOT


@app.command("demo")
def demo_command(
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as one JSON object")] = False,
    workdir: Annotated[Path, typer.Option(help="where the demo database and sent mail go")] = PROJECT_ROOT
    / "var" / "demo",
    serve: Annotated[bool, typer.Option("--serve", help="then serve the review app on the demo data")] = False,
    port: Annotated[int, typer.Option(help="port for --serve")] = 8080,
) -> None:
    """Weeks of reminders and replies in a minute: SQLite, in-process broker, a local SMTP server."""
    # The demo always runs on the in-process broker, whatever the environment says.
    os.environ["DUNMAIL_BROKER_URL"] = "memory://"
    from worker.demo.run import run_demo

    try:
        result = run_demo(workdir, log_format="json" if as_json else "console")
    except DunmailError as exc:
        raise fail(str(exc)) from None
    if as_json:
        typer.echo(json.dumps(result.summary, ensure_ascii=False))
    else:
        _print(result.summary)
    if serve:
        _serve(result.database_url, port)
        return
    if as_json:
        return
    console.print(f"\nsent mail (one .eml per message): {result.outbox}")
    command = sys.argv[0] if sys.argv and sys.argv[0].endswith("dunmail") else "dunmail"
    console.print(f"database: {result.database_url}")
    console.print(f"timeline of a case:  DUNMAIL_DATABASE_URL={result.database_url} {command} log 2")
    console.print(f"look at a reminder:  {command} preview --stage final_notice --lang ja")


DEMO_USER = "finance@dunmail.example"


def _serve(database_url: str, port: int) -> None:
    """The review app on the demo's database, with a demo login printed (loopback, plain HTTP)."""
    import secrets

    import uvicorn

    from worker import runtime
    from worker.db.engine import transaction
    from worker.demo.run import DEMO_SECRET
    from worker.review.app import create_app
    from worker.review.auth import Role, add_user

    rt = runtime.start(None, database_url=database_url, secret_key=DEMO_SECRET, log_level="warning")
    password = secrets.token_urlsafe(9)
    with transaction(rt.engine) as session:
        add_user(session, DEMO_USER, password, Role.ADMIN)
    console.print(f"\nreview app: http://127.0.0.1:{port}/   (Ctrl-C stops it)", soft_wrap=True)
    console.print(f"log in as:  {DEMO_USER}", soft_wrap=True)
    console.print(f"password:   {password}", soft_wrap=True)
    uvicorn.run(create_app(rt.settings, secure_cookies=False, engine=rt.engine), host="127.0.0.1", port=port,
                log_level="warning")


def _print(summary: dict[str, object], out: Console | None = None) -> None:
    """The demo's story as two tables. Identifiers are never cut, at any width or in a pipe; the other
    columns wrap."""
    out = out or console
    cases: list[dict[str, Any]] = summary["cases"]  # type: ignore[assignment]
    queue_items: list[dict[str, Any]] = summary["review_queue"]  # type: ignore[assignment]
    widest = max([len(str(c["invoice"])) for c in cases] + [len(str(i["invoice"] or "—")) for i in queue_items] + [7])
    table = Table(title="dunmail demo: 16 March – 30 June 2026, simulated")
    table.add_column("invoice", no_wrap=True, min_width=widest)
    for heading in ("customer", "lang", "reminders sent", "replies (what dunmail understood)", "state now"):
        table.add_column(heading, overflow="fold")
    for case in cases:
        replies = ", ".join(
            r["intent"] + (f" (by {r['promised_date']})" if r.get("promised_date") else "") for r in case["replies"]
        )
        table.add_row(case["invoice"], case["customer"], case["language"],
                      f"{case['reminders_sent']}: " + " → ".join(case["stages"]), replies or "—", case["state"])
    out.print(table)
    queue = Table(title="review queue")
    queue.add_column("waiting for finance", overflow="fold")
    queue.add_column("invoice", no_wrap=True, min_width=widest)
    queue.add_column("why", overflow="fold")
    for item in queue_items:
        queue.add_row(item["kind"], item["invoice"] or "—", item["summary"])
    out.print(queue)
