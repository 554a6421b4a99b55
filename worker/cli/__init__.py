"""The `dunmail` command. Each command group lives in its own module and registers itself here."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False, help="dunmail: chases unpaid invoices by email.")


def main() -> None:
    _register()
    app()


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
    "classify",
    "review",
]
