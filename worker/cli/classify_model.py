"""`dunmail classify train` and `dunmail classify export-feedback`: the learned model, rebuilt from labels.

    dunmail classify export-feedback --out var/feedback     # reviewers' corrections, in corpus format
    dunmail classify train --feedback var/feedback --out var/intent_model.npz
    export DUNMAIL_CLASSIFY_MODEL=var/intent_model.npz      # then every dunmail process uses it

`classify FILE…` keeps its contract; these two words after `classify` reach this module instead
(worker.cli.main routes them), unless a file of that name exists.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from worker import runtime
from worker.classify import model as intent_model
from worker.classify import train as training
from worker.cli.core import ConfigOption, fail
from worker.db.engine import transaction
from worker.errors import DunmailError
from worker.labelled import write_labelled
from worker.review import decisions

console = Console()
model_app = typer.Typer(no_args_is_help=True, add_completion=False, help="The classifier's learned model.")
WORSE_BY = 0.01  # a retrained model this much worse on held-out replaces nothing without --force


@model_app.command("train")
def train(
    corpus: Annotated[Path, typer.Option(help="corpus folder holding train/ and heldout/")] = Path("tests/corpus"),
    feedback: Annotated[
        list[Path] | None, typer.Option(help="corpus-format folders of corrections (export-feedback); repeatable")
    ] = None,
    out: Annotated[Path, typer.Option(help="where the model file goes")] = Path("var/intent_model.npz"),
    force: Annotated[bool, typer.Option("--force", help="write the model even if held-out gets worse")] = False,
) -> None:
    """Retrain on the corpus's train split plus corrections; report held-out before replacing the model."""
    try:
        examples = training.corpus_examples(corpus, "train")
        for folder in feedback or []:
            examples += training.labelled_examples(folder)
        new = training.fit(examples, trained_on={"corpus": str(corpus), "feedback": [str(f) for f in feedback or []]})
    except training.TrainingError as exc:
        raise fail(str(exc)) from None
    heldout = corpus / "heldout"
    before = training.evaluate(intent_model.current_model(), heldout)
    after = training.evaluate(new, heldout)
    rules = training.evaluate(None, heldout)
    table = Table(title=f"held-out ({after['n']:.0f} replies in {heldout})")
    for heading in ("model", "macro-F1", "accuracy"):
        table.add_column(heading)
    for name, figures in (("rules only", rules), ("current model", before), ("retrained", after)):
        table.add_row(name, f"{figures['macro_f1']:.3f}", f"{figures['accuracy']:.3f}")
    console.print(f"trained on {len(examples)} replies ({training.intents_of(examples)})")
    console.print(table)
    if after["macro_f1"] < before["macro_f1"] - WORSE_BY and not force:
        raise fail(f"the retrained model is worse on held-out; {out} left as it was (--force writes it anyway)", 1)
    intent_model.save(new, out)
    console.print(f"model written to {out}; use it with {intent_model.MODEL_ENV}={out}")


@model_app.command("export-feedback")
def export_feedback(
    out: Annotated[Path, typer.Option(help="folder to write labels.jsonl and the .eml files into")],
    config: ConfigOption = None,
) -> None:
    """Write every reviewer-corrected reply in corpus format (the raw mail and its corrected intent)."""
    try:
        rt = runtime.start(config)
        with transaction(rt.engine) as session:
            written = write_labelled(out, (
                (f"feedback-{mail.id}.eml", mail.raw, {
                    "intent": (mail.analysis or {})["corrected_intent"],
                    "language": (mail.analysis or {}).get("language") or "und",
                    "body": f"feedback:{mail.id}",
                    "source": "feedback",
                    "machine_intent": (mail.analysis or {}).get("machine_intent"),
                })
                for mail in decisions.corrected_mails(session)
            ))
    except (DunmailError, OSError) as exc:
        raise fail(str(exc)) from None
    console.print(f"{written} corrected replies written to {out}")
