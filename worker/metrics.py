"""Prometheus metrics and the health endpoint each long-running process serves.

Counters are incremented where things happen (delivery, reply processing, the inbox watcher);
review-queue sizes and ages are read from the database at scrape time, so every process reports
the same truth. `serve_health(port, engine)` starts /healthz and /metrics on a daemon thread.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select, text

REGISTRY = CollectorRegistry()
REMINDERS_SENT = Counter("dunmail_reminders_sent", "Reminders handed to SMTP", ["stage"], registry=REGISTRY)
SEND_FAILURES = Counter("dunmail_send_failures", "Reminders not sent", ["outcome"], registry=REGISTRY)
REPLIES = Counter("dunmail_replies", "Inbound mails processed, by detected intent", ["intent"], registry=REGISTRY)
IMAP_RECONNECTS = Counter("dunmail_imap_reconnects", "IMAP connections lost and retried", registry=REGISTRY)
QUEUE_LATENCY = Histogram("dunmail_send_queue_latency_seconds", "From planning a reminder to sending it",
                          buckets=(1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 86400), registry=REGISTRY)


class ReviewQueueCollector(Collector):
    """Open review items per kind and the age of the oldest, read at scrape time."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from worker.db.models import ReviewItem

        size = GaugeMetricFamily("dunmail_review_queue_size", "Open review items", labels=["kind"])
        age = GaugeMetricFamily("dunmail_review_queue_oldest_age_seconds", "Age of the oldest open item",
                                labels=["kind"])
        with self.engine.connect() as conn:
            rows = conn.execute(select(ReviewItem.kind, func.count(), func.min(ReviewItem.created_at))
                                .where(ReviewItem.status == "open").group_by(ReviewItem.kind)).all()
        now = datetime.now(UTC)
        for kind, count, oldest in rows:
            size.add_metric([kind], count)
            if oldest is not None:
                oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)
                age.add_metric([kind], (now - oldest).total_seconds())
        yield size
        yield age


def serve_health(port: int, engine: Engine, *, host: str = "127.0.0.1", role: str = "worker") -> ThreadingHTTPServer:
    """GET /healthz (200 when the database answers, else 503) and GET /metrics (Prometheus text)."""
    registry = CollectorRegistry()
    registry.register(ReviewQueueCollector(engine))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/metrics":
                body = generate_latest(REGISTRY) + generate_latest(registry)
                self._reply(200, body, CONTENT_TYPE_LATEST)
            elif self.path == "/healthz":
                ok, detail = database_ok(engine)
                payload = {"status": "ok" if ok else "unhealthy", "role": role, "database": detail}
                self._reply(200 if ok else 503, json.dumps(payload).encode(), "application/json")
            else:
                self._reply(404, b"not found\n", "text/plain")

        def _reply(self, code: int, body: bytes, ctype: str) -> None:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # scrapes are not worth a log line
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True, name="health").start()
    return server


def database_ok(engine: Engine) -> tuple[bool, str]:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        return False, type(exc).__name__
    return True, "ok"
