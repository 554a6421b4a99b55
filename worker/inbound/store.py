"""Raw mail goes into the correspondence log first, before anything else is done with it.

Idempotent by (mailbox, UIDVALIDITY, UID), then by Message-ID, then by a digest of the bytes, so a
re-fetch, a UIDVALIDITY change or the same mail in two folders never makes a second row.
"""

from __future__ import annotations

import hashlib
from email.parser import BytesHeaderParser
from email.policy import compat32

from sqlalchemy import select
from sqlalchemy.orm import Session

from worker.db.models import Mail, utcnow

_HEADERS = BytesHeaderParser(policy=compat32)


def store_inbound(
    session: Session, raw: bytes, *, mailbox: str | None, uidvalidity: int | None = None, uid: int | None = None
) -> tuple[Mail, bool]:
    """(the stored mail, True when it is new)."""
    if uid is not None:
        same_slot = session.scalars(
            select(Mail).where(Mail.mailbox == mailbox, Mail.uidvalidity == uidvalidity, Mail.uid == uid)
        ).first()
        if same_slot is not None:
            return same_slot, False
    message_id = _message_id(raw)
    digest = hashlib.sha256(raw).hexdigest()
    twin = session.scalars(
        select(Mail).where(Mail.direction == "in",
                           Mail.message_id == message_id if message_id else Mail.digest == digest)
    ).first()
    if twin is not None:
        return twin, False
    mail = Mail(direction="in", status="received", raw=raw, message_id=message_id, digest=digest,
                mailbox=mailbox, uidvalidity=uidvalidity, uid=uid, created_at=utcnow())
    session.add(mail)
    session.flush()
    return mail, True


def _message_id(raw: bytes) -> str | None:
    try:
        value = _HEADERS.parsebytes(raw[:65536]).get("Message-ID")
    except Exception:  # a header block too broken to read still gets stored, keyed by digest
        return None
    if not value:
        return None
    cleaned = str(value).strip().strip("<>").strip()
    return cleaned[:998] or None
