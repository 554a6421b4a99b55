"""Named leases in the database: one holder at a time, expiring if the holder dies.

Used so that one inbox watcher runs per mailbox and one scheduler tick at a time across many hosts.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, Engine, delete, update
from sqlalchemy.exc import IntegrityError

from worker.db.engine import transaction
from worker.db.models import Lease, utcnow


def acquire(engine: Engine, name: str, holder: str, ttl: timedelta, *, now: datetime | None = None) -> bool:
    """Take or renew the lease; False when someone else holds it and it has not expired."""
    now = now or utcnow()
    with transaction(engine) as session:
        result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            update(Lease)
            .where(Lease.name == name, (Lease.holder == holder) | (Lease.expires_at < now))
            .values(holder=holder, expires_at=now + ttl)
        )
        if result.rowcount:
            return True
    try:
        with transaction(engine) as session:
            session.add(Lease(name=name, holder=holder, expires_at=now + ttl))
        return True
    except IntegrityError:
        return False


def release(engine: Engine, name: str, holder: str) -> None:
    with transaction(engine) as session:
        session.execute(delete(Lease).where(Lease.name == name, Lease.holder == holder))
