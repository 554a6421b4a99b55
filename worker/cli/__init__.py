"""The `dunmail` command. Each command group lives in its own module and registers itself here."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False, help="dunmail: chases unpaid invoices by email.")


def main() -> None:
    import sys

    args = sys.argv[1:]
    if _is_model_command(args):  # `dunmail classify train|export-feedback`: beside `classify FILE…`
        from worker.cli.classify_model import model_app

        model_app(args[1:], prog_name="dunmail classify")
        return
    _register()
    app()


def _is_model_command(args: list[str]) -> bool:
    """`classify train …` and `classify export-feedback …`, unless a file of that name is what was meant."""
    from pathlib import Path

    return len(args) >= 2 and args[0] == "classify" and args[1] in MODEL_SUBCOMMANDS and not Path(args[1]).exists()


MODEL_SUBCOMMANDS = ("train", "export-feedback")  # worker/cli/classify_model.py


def _register() -> None:
    """Import the command modules; each adds its commands to `app`. Kept lazy so `import worker.cli` is cheap."""
    import importlib

    for name in COMMAND_MODULES:
        importlib.import_module(f"worker.cli.{name}")


# One line per command module; a module adds its own commands to `app` when imported.
COMMAND_MODULES: list[str] = [
    "core",
    "run",
    "demo",
    "preview",
    "intake",
    "intake_corrections",
    "classify",
    "review",
    "customer",
]
