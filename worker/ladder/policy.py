"""Reminder ladders as data: TOML files in config/policies/, validated into frozen objects.

A bad file fails at start with the file, the key and what is expected (ConfigError).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any

from worker.errors import ConfigError

TEMPLATES = frozenset({"courtesy", "reminder_1", "reminder_2", "reminder_3", "final_notice", "promise_missed",
                       "payment_not_received", "instalment_due", "consolidated"})


@dataclass(frozen=True)
class SendWindow:
    start: time
    end: time


@dataclass(frozen=True)
class Stage:
    name: str
    offset_days: int
    template: str | None  # None for action "escalate"
    action: str = "send"  # send | escalate
    cc_account_owner: bool = False


@dataclass(frozen=True)
class Policy:
    name: str
    stages: tuple[Stage, ...]
    min_days_between: int = 7
    max_reminders: int = 6
    promise_grace_days: int = 2
    final_notice_deadline_days: int = 10
    instalment_notice_days: int = 3  # an instalment is reminded this many days before it falls due
    stop_when_balance_zero: bool = True
    send_window: SendWindow = SendWindow(time(9), time(17))


def load_policy(path: Path) -> Policy:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the ladder policy: {exc}") from None
    return _policy(path, data)


def load_policies(directory: Path) -> dict[str, Policy]:
    files = sorted(Path(directory).glob("*.toml"))
    if not files:
        raise ConfigError(f"no ladder policies (*.toml) in {directory}; set policies_dir")
    return {f.stem: load_policy(f) for f in files}


def policy_for(name: str | None, segment: str | None, policies: dict[str, Policy], *, default: str) -> Policy:
    """The customer's own policy, else the one named like its segment, else the default."""
    for candidate in (name, segment, default):
        if candidate and candidate in policies:
            return policies[candidate]
    raise ConfigError(f"ladder policy {default!r} not found; have {', '.join(sorted(policies))}")


def _policy(path: Path, data: dict[str, Any]) -> Policy:
    def fail(key: str, expected: str) -> ConfigError:
        return ConfigError(f"{path}: {key} must be {expected}")

    known = {"stages", "min_days_between", "max_reminders", "promise_grace_days", "final_notice_deadline_days",
             "instalment_notice_days", "stop_when_balance_zero", "loop_in_owner_from_stage", "send_window"}
    for key in data:
        if key not in known:
            raise ConfigError(f"{path}: unknown key {key!r} (known: {', '.join(sorted(known))})")
    ints = {}
    for key, default in (("min_days_between", 7), ("max_reminders", 6), ("promise_grace_days", 2),
                         ("final_notice_deadline_days", 10), ("instalment_notice_days", 3)):
        value = data.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise fail(key, "a whole number ≥ 0")
        ints[key] = value
    raw_stages = data.get("stages")
    if not isinstance(raw_stages, list) or not raw_stages:
        raise fail("stages", "a non-empty list of [[stages]] tables")
    owner_from = data.get("loop_in_owner_from_stage")
    names = [s.get("name") for s in raw_stages if isinstance(s, dict)]
    if owner_from is not None and owner_from not in names:
        raise fail("loop_in_owner_from_stage", f"one of the stage names ({', '.join(map(str, names))})")
    stages = []
    owner = False
    for i, raw in enumerate(raw_stages):
        stage = _stage(path, i, raw)
        owner = owner or stage.name == owner_from
        stages.append(Stage(stage.name, stage.offset_days, stage.template, stage.action,
                            stage.cc_account_owner or owner))
    offsets = [s.offset_days for s in stages]
    if offsets != sorted(offsets) or len(set(names)) != len(names):
        raise fail("stages", "in increasing offset_days order with distinct names")
    stop = data.get("stop_when_balance_zero", True)
    if not isinstance(stop, bool):
        raise fail("stop_when_balance_zero", "true or false")
    return Policy(name=path.stem, stages=tuple(stages), stop_when_balance_zero=stop,
                  send_window=_window(path, data.get("send_window", {})), **ints)


def _stage(path: Path, i: int, raw: Any) -> Stage:
    where = f"stages[{i}]"
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: {where} must be a table")
    name, offset, action = raw.get("name"), raw.get("offset_days"), raw.get("action", "send")
    template = raw.get("template")
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{path}: {where}.name must be a non-empty string")
    if not isinstance(offset, int) or isinstance(offset, bool):
        raise ConfigError(f"{path}: {where}.offset_days must be a whole number of days (negative = before due)")
    if action not in ("send", "escalate"):
        raise ConfigError(f"{path}: {where}.action must be 'send' or 'escalate'")
    if action == "send" and template not in TEMPLATES:
        raise ConfigError(f"{path}: {where}.template must be one of {', '.join(sorted(TEMPLATES))}")
    cc = raw.get("cc_account_owner", False)
    if not isinstance(cc, bool):
        raise ConfigError(f"{path}: {where}.cc_account_owner must be true or false")
    return Stage(name, offset, template if action == "send" else None, action, cc)


def _window(path: Path, raw: Any) -> SendWindow:
    try:
        start = time.fromisoformat(raw.get("start", "09:00"))
        end = time.fromisoformat(raw.get("end", "17:00"))
    except (AttributeError, TypeError, ValueError):
        raise ConfigError(f"{path}: send_window.start/end must be times like \"09:00\"") from None
    if start >= end:
        raise ConfigError(f"{path}: send_window.start must be before send_window.end")
    return SendWindow(start, end)
