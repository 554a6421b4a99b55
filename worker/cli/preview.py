"""`dunmail preview`: render a reminder to files a person can open, from sample data or a real case."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from worker import runtime
from worker.cli import app
from worker.cli.core import ConfigOption, console, fail
from worker.errors import DunmailError


@app.command("preview")
def preview(
    stage: Annotated[str, typer.Option(help="template: courtesy, reminder_1 … final_notice, promise_missed, …")] =
    "reminder_1",
    lang: Annotated[str, typer.Option(help="en or ja (ignored with --case: the customer's language wins)")] = "en",
    case: Annotated[int | None, typer.Option("--case", help="render for this case from the database")] = None,
    out: Annotated[Path, typer.Option(help="directory for the .html and .txt files")] = Path("var/preview"),
    config: ConfigOption = None,
) -> None:
    """Write the rendered HTML and text of a reminder to files, and print the subject."""
    try:
        rt = runtime.start(config)
        from worker.outbound.compose import Composer, preview_context

        composer = Composer(rt.settings.templates_dir)
        if case is None:
            ctx = preview_context(lang)
        else:
            from worker.db.engine import transaction
            from worker.db.models import utcnow
            from worker.ledger import get_case
            from worker.outbound.reminder import ReminderComposer

            reminders = ReminderComposer(rt.settings, composer)
            with transaction(rt.engine) as session:
                record = get_case(session, case)
                ctx = reminders.context(record, [record.invoice], stage, utcnow().date(), session)
        rendered = composer.render(stage, ctx)
    except DunmailError as exc:
        raise fail(str(exc)) from None
    out.mkdir(parents=True, exist_ok=True)
    name = f"{stage}-{ctx.customer_language}" + (f"-case{case}" if case else "")
    (out / f"{name}.html").write_text(rendered.html, encoding="utf-8")
    (out / f"{name}.txt").write_text(rendered.text, encoding="utf-8")
    console.print(f"subject: {rendered.subject}")
    console.print(f"open {(out / f'{name}.html').resolve()}  (text: {name}.txt)")
