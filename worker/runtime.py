"""What a running dunmail process holds: settings, the database engine, logging set up once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from worker.db.engine import engine_for
from worker.logs import configure_logging
from worker.settings import Settings, load_settings


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    engine: Engine


def start(config: Path | None = None, *, log_format: str | None = None, **overrides: object) -> Runtime:
    """Load settings (failing fast with the bad key named), set up logs, open the database."""
    settings = load_settings(config, **overrides)
    configure_logging(log_format or settings.log_format, settings.log_level)
    return Runtime(settings=settings, engine=engine_for(settings.database_url))
