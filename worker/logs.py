"""structlog set-up: JSON lines in production, readable lines in a terminal.

Context (case_id, invoice, message_id) is bound with `bind_contextvars` at the edges (actors, CLI)
and appears on every line below them. A processor drops keys that could carry secrets or mail
bodies, so a careless log call cannot leak them.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

FORBIDDEN_KEYS = frozenset(
    {"password", "secret", "secret_key", "token", "body", "text", "html", "raw", "reply_text", "payload"}
)


def drop_sensitive(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Replace values of keys that may hold secrets or mail content with a marker."""
    for key in list(event_dict):
        if key.lower() in FORBIDDEN_KEYS or key.lower().endswith(("_password", "_secret", "_token")):
            event_dict[key] = "[redacted]"
    return event_dict


def configure_logging(fmt: str = "auto", level: str = "info") -> None:
    """Set structlog up once per process. fmt: auto (console on a TTY, JSON otherwise), json or console."""
    use_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    renderer: Any = structlog.processors.JSONRenderer(ensure_ascii=False) if use_json else (
        structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            drop_sensitive,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level.upper()]),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
