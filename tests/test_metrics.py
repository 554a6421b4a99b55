"""Health and metrics over HTTP: /healthz answers from the database, /metrics carries counters and queue sizes."""

from __future__ import annotations

import socket

import httpx
from sqlalchemy import Engine

from worker import ledger, metrics
from worker.db.engine import transaction
from worker.domain import ReviewKind


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_healthz_and_metrics(sqlite_engine: Engine) -> None:
    """/healthz is 200 with the database up; /metrics shows review-queue sizes per kind and sent reminders."""
    with transaction(sqlite_engine) as s:
        ledger.open_review(s, ReviewKind.UNPLACED, summary="stray reply")
    before = metrics.REMINDERS_SENT.labels(stage="reminder_1")._value.get()
    metrics.REMINDERS_SENT.labels(stage="reminder_1").inc()
    port = _free_port()
    server = metrics.serve_health(port, sqlite_engine)
    try:
        health = httpx.get(f"http://127.0.0.1:{port}/healthz")
        body = httpx.get(f"http://127.0.0.1:{port}/metrics").text
    finally:
        server.shutdown()
        server.server_close()
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert 'dunmail_review_queue_size{kind="unplaced"} 1.0' in body
    assert f'dunmail_reminders_sent_total{{stage="reminder_1"}} {before + 1}' in body


def test_healthz_is_503_when_the_database_is_gone(tmp_path: object) -> None:
    """A process whose database cannot be reached reports unhealthy, so an orchestrator restarts or alerts."""
    from worker.db.engine import make_engine

    engine = make_engine("postgresql://postgres@127.0.0.1:9/none")
    port = _free_port()
    server = metrics.serve_health(port, engine)
    try:
        response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=30)
    finally:
        server.shutdown()
        server.server_close()
    assert response.status_code == 503 and response.json()["status"] == "unhealthy"
