"""`dunmail intake parse`: read forwarded invoices offline, one JSON line per file (DESIGN.md contract).

A file is a raw mail (.eml), or a bare PDF or UBL/CII XML document. Nothing touches the database or
the network, so one process can read thousands of files. A file that cannot be read still answers
`{"file": …, "invoices": [], "error": "…"}`: the catch-all at this edge never stops the run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import structlog
import typer
from rich.console import Console
from rich.table import Table

from worker.cli import app
from worker.domain import ExtractedInvoice
from worker.errors import DunmailError
from worker.inbound.mime import parse_mail
from worker.intake.document import read_document, sniff
from worker.intake.extract import IntakeResult, extract_invoices
from worker.logs import configure_logging

log = structlog.get_logger(__name__)
intake_app = typer.Typer(no_args_is_help=True, help="Forwarded invoices: read them without opening cases.")
app.add_typer(intake_app, name="intake")


def _is_complete(inv: ExtractedInvoice) -> bool:
    """The contract's invoices carry an amount and a currency; anything less is listed as incomplete."""
    return inv.amount is not None and inv.currency is not None


def _details(inv: ExtractedInvoice) -> dict[str, object]:
    return {
        **inv.contract(),
        "registration_number": inv.registration_number,
        "language": inv.language,
        "source": inv.source,
        "confidence": inv.confidence,
        "due_date_inferred": inv.due_date_inferred,
        "notes": list(inv.notes),
    }


def read_file(path: Path, *, default_terms_days: int) -> IntakeResult:
    """The intake result for one file: a mail, or a bare PDF/XML document. DunmailError when unreadable."""
    data = path.read_bytes()
    if path.suffix.lower() not in (".eml", ".msg", ".mbox") and sniff(path.name, "", data) is not None:
        result = IntakeResult()
        outcome = read_document(path.name, "", data, default_terms_days=default_terms_days)
        result.invoices.extend(outcome.invoices)
        if outcome.not_invoice:
            result.skipped.append((path.name, outcome.not_invoice))
        return result
    return extract_invoices(parse_mail(data), default_terms_days=default_terms_days)


def answer(path: Path, *, default_terms_days: int, details: bool = False) -> dict[str, object]:
    """The JSON object for one file; never raises."""
    out: dict[str, object] = {"file": str(path), "invoices": []}
    try:
        result = read_file(path, default_terms_days=default_terms_days)
    except (DunmailError, OSError) as exc:
        out["error"] = str(exc) or type(exc).__name__
        return out
    except Exception as exc:  # a bug must not stop a run over thousands of files; say which file
        log.exception("intake_parse_crashed", file=path.name)
        out["error"] = f"internal error: {type(exc).__name__}"
        return out
    render = _details if details else ExtractedInvoice.contract
    out["invoices"] = [render(inv) for inv in result.invoices if _is_complete(inv)]
    incomplete = [render(inv) for inv in result.invoices if not _is_complete(inv)]
    if incomplete:
        out["incomplete"] = incomplete  # no amount or currency: a person completes these
    if result.skipped:
        out["skipped"] = [{"what": what, "reason": why} for what, why in result.skipped]
    if result.problems:
        out["problems"] = [{"what": what, "reason": why} for what, why in result.problems]
    return out


def _table(answers: list[dict[str, object]]) -> Table:
    table = Table()
    for heading in ("file", "number", "customer", "email", "amount", "issued", "due", "note"):
        table.add_column(heading, overflow="fold")  # fold, never cut: a truncated number misleads
    for item in answers:
        name = Path(str(item["file"])).name
        invoices = item["invoices"]
        assert isinstance(invoices, list)
        for inv in invoices:
            table.add_row(
                name,
                inv["number"],
                inv["customer_name"],
                inv["customer_email"],
                f"{inv['amount']} {inv['currency']}",
                inv["issue_date"],
                inv["due_date"],
                "",
            )
        if not invoices:
            reasons = [str(r["reason"]) for r in item.get("skipped", []) + item.get("problems", [])]  # type: ignore[operator]
            table.add_row(
                name, "", "", "", "", "", "", str(item.get("error") or "; ".join(reasons) or "no invoice")
            )
    return table


@intake_app.command("parse")
def parse(
    files: Annotated[list[Path], typer.Argument(help=".eml mails, or bare .pdf / .xml invoices")],
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per line, per file")] = False,
    details: Annotated[
        bool, typer.Option("--details", help="add confidence, source, notes per invoice")
    ] = False,
    default_terms_days: Annotated[int, typer.Option(help="days to due when a document gives no terms")] = 30,
) -> None:
    """Read invoices from forwarded mails or documents, offline. Non-invoices give "invoices": [].

    Invoices without an amount or currency are listed under "incomplete"; why a file holds no
    invoice is under "skipped" (not an invoice) or "problems" / "error" (could not be read)."""
    configure_logging(level="warning")  # logs go to stderr; stdout carries only the answers
    answers = []
    for path in files:
        item = answer(path, default_terms_days=default_terms_days, details=details)
        if as_json:
            sys.stdout.write(json.dumps(item, ensure_ascii=False) + "\n")
        else:
            answers.append(item)
    if as_json:
        sys.stdout.flush()
    else:
        Console().print(_table(answers))
