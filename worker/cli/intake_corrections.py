"""`dunmail intake export-corrections --out DIR`: what people confirmed in the review app, as labels.

Each confirmed invoice becomes one row of DIR/labels.jsonl — the fields intake read (`machine`), the
fields a person confirmed (`confirmed`, the label) and which of them the person changed (`corrected`)
— beside the forwarded mail it came from (DIR/intake-<mail id>.eml), for evaluating and tuning the
reader on invoices it got wrong.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from worker import runtime
from worker.cli.core import ConfigOption, fail
from worker.cli.intake import intake_app
from worker.db.engine import transaction
from worker.db.models import Mail
from worker.errors import DunmailError
from worker.labelled import write_labelled
from worker.review.intakeconfirm import correction_rows


@intake_app.command("export-corrections")
def export_corrections(
    out: Annotated[Path, typer.Option(help="folder to write labels.jsonl and the forwarded .eml files into")],
    config: ConfigOption = None,
) -> None:
    """Write every invoice a reviewer confirmed: machine values, confirmed values, corrected fields, raw mail."""
    try:
        rt = runtime.start(config)
        with transaction(rt.engine) as session:
            rows = correction_rows(session)
            mails = [session.get(Mail, row["mail_id"]) if row["mail_id"] else None for row in rows]
            written = write_labelled(out, (
                (f"intake-{row['mail_id']}.eml" if mail is not None else None, mail.raw if mail else None, row)
                for row, mail in zip(rows, mails, strict=True)
            ))
            corrected = sum(bool(row["corrected"]) for row in rows)
    except (DunmailError, OSError) as exc:
        raise fail(str(exc)) from None
    Console().print(f"{written} confirmed invoices ({corrected} with corrections) written to {out}")
