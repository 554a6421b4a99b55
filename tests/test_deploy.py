"""The deployment examples stay true: every command they run exists, every variable is a real setting."""

from __future__ import annotations

import configparser
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from worker.cli import _register, app
from worker.settings import Settings

DEPLOY = Path(__file__).resolve().parents[1] / "config" / "deploy"


def _dunmail_args(command_line: str) -> list[str]:
    words = shlex.split(command_line)
    return words[1:] if Path(words[0]).name == "dunmail" else words


def _accepted(args: list[str]) -> None:
    """The command with its options parses (run with --help appended after the subcommand path)."""
    _register()
    path = [a for a in args if not a.startswith("-")]
    # Walk down the subcommand path, then let click validate the options by asking for help.
    result = CliRunner().invoke(app, [*path[:2], "--help"])
    assert result.exit_code == 0, f"`dunmail {' '.join(args)}`: {result.output}"
    for option in (a.split("=")[0] for a in args if a.startswith("--")):
        assert option in result.output, f"`dunmail {' '.join(path[:2])}` has no option {option}"


@pytest.mark.parametrize("unit", sorted((DEPLOY / "systemd").glob("*.service")), ids=lambda p: p.name)
def test_systemd_units_run_real_commands(unit: Path) -> None:
    """Each unit has the sections systemd needs and its ExecStart lines are real dunmail commands."""
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.read(unit)
    assert {"Unit", "Service", "Install"} <= set(parser.sections())
    for key in ("ExecStart", "ExecStartPre"):
        if parser.has_option("Service", key):
            _accepted(_dunmail_args(parser.get("Service", key)))


def test_env_example_names_only_real_settings() -> None:
    """Every DUNMAIL_ variable in the example env file is a setting (or DUNMAIL_CONFIG)."""
    fields = {f"DUNMAIL_{name.upper()}" for name in Settings.model_fields} | {"DUNMAIL_CONFIG"}
    names = re.findall(r"^(DUNMAIL_[A-Z_]+)=", (DEPLOY / "dunmail.env.example").read_text(), flags=re.M)
    assert names and set(names) <= fields


def test_compose_commands_are_real() -> None:
    """The compose file's command lists are dunmail commands with real options."""
    text = (DEPLOY / "compose.yaml").read_text()
    commands = re.findall(r"command: \[(.*)\]", text)
    assert len(commands) == 3
    for command in commands:
        _accepted([w.strip().strip('"') for w in command.split(",")])


def test_containerfile_copies_files_that_exist() -> None:
    """Every COPY source in the Containerfile exists in the project."""
    root = DEPLOY.parents[1]
    for line in (DEPLOY / "Containerfile").read_text().splitlines():
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (root / source).exists(), source
