"""`dunmail classify`: what replies mean, offline, one JSON line per file (the DESIGN.md contract).

    {"file", "intent", "confidence", "promised_date", "language", "reply_text", "invoice_refs",
     "bounce_recipients"}

Nothing touches the database or the network, and one process reads thousands of files. A file that
cannot be read still answers (intent "other", confidence 0, and an "error" key), so a run never stops
halfway; the exit code is 0 unless not one of the files existed. A directory stands for the files in it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from worker.classify.classifier import LOW_CONFIDENCE, classify_bytes
from worker.cli import app
from worker.domain import Classification, Intent
from worker.logs import configure_logging

EXIT_NO_FILES = 2


def expand(paths: list[Path]) -> Iterator[Path]:
    """Files as given; a directory as the files under it, in name order."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file())
        else:
            yield path


def answer(path: Path, *, details: bool = False) -> tuple[dict[str, object], bool]:
    """The contract object for one file, and whether the file could be read at all."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        unreadable = Classification(intent=Intent.OTHER, confidence=0.0, language="und", reply_text="")
        return {**unreadable.contract(str(path)), "error": f"unreadable file: {exc.strerror or exc}"}, False
    result = classify_bytes(raw)
    out = result.contract(str(path))
    if details:
        out.update(_details(result))
    failed = result.reasons[:1] if result.confidence == 0.0 else ()
    if failed and failed[0].startswith(("parse_failed", "classify_failed")):
        out["error"] = failed[0]
    return out, True


def _details(result: Classification) -> dict[str, object]:
    return {
        "amounts": [[format(amount, "f"), currency] for amount, currency in result.amounts],
        "return_date": result.return_date.isoformat() if result.return_date else None,
        "bounce_permanent": result.bounce_permanent,
        "needs_review": result.confidence < LOW_CONFIDENCE,
        "reasons": list(result.reasons),
    }


def _table(answers: list[dict[str, object]]) -> Table:
    table = Table()
    for heading in ("file", "intent", "conf.", "date", "lang", "refs", "reply"):
        table.add_column(heading, overflow="fold")
    for item in answers:
        reply = str(item["reply_text"]).replace("\n", " ")
        refs = item["invoice_refs"] or item["bounce_recipients"]
        assert isinstance(refs, list)
        table.add_row(
            Path(str(item["file"])).name,
            str(item["intent"]),
            f"{item['confidence']:.2f}",
            str(item["promised_date"] or ""),
            str(item["language"]),
            ", ".join(map(str, refs)),
            str(item.get("error") or (reply[:80] + ("…" if len(reply) > 80 else ""))),
        )
    return table


@app.command("classify")
def classify_files(
    files: Annotated[list[Path], typer.Argument(help="raw mails (.eml) or directories of them")],
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per line, per file")] = False,
    details: Annotated[
        bool, typer.Option("--details", help="add amounts, return date, review flag and the rules that fired")
    ] = False,
) -> None:
    """Classify replies offline: intent, confidence, promised date, language, the customer's words."""
    configure_logging(level="warning")  # logs go to stderr; stdout carries only the answers
    answers: list[dict[str, object]] = []
    any_read = False
    for path in expand(files):
        item, readable = answer(path, details=details)
        any_read = any_read or readable
        if as_json:
            sys.stdout.write(json.dumps(item, ensure_ascii=False) + "\n")
        else:
            answers.append(item)
    if as_json:
        sys.stdout.flush()
    else:
        Console().print(_table(answers))
    if not any_read:
        raise typer.Exit(EXIT_NO_FILES)
