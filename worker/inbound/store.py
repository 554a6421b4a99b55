"""Raw mail goes into the correspondence log first, before anything else is done with it.

Idempotent by (mailbox, UIDVALIDITY, UID), then by Message-ID, then by a digest of the bytes, so a
re-fetch, a UIDVALIDITY change or the same mail in two folders never makes a second row.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from worker.db.models import Mail, utcnow


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


_HEADER_END = re.compile(rb"\r?\n\r?\n")
_MESSAGE_ID = re.compile(rb"^message-id:[ \t]*((?:.*)(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE)


def _message_id(raw: bytes) -> str | None:
    """The Message-ID from the header block alone (a regex: the full parser costs more than the rest of ingest)."""
    end = _HEADER_END.search(raw, 0, 262144)
    match = _MESSAGE_ID.search(raw, 0, end.start() if end else min(len(raw), 262144))
    if match is None:
        return None
    cleaned = re.sub(rb"\s+", b"", match.group(1)).decode("ascii", "replace").strip("<>")
    return cleaned[:998] or None


@dataclass(frozen=True)
class Stored:
    id: int
    uid: int | None
    message_id: str | None


def store_batch(
    session: Session, items: list[tuple[int, bytes]], *, mailbox: str, uidvalidity: int
) -> list[Stored]:
    """Store many fetched mails with two look-ups and one multi-row INSERT; returns the new rows."""
    if not items:
        return []
    uids = [uid for uid, _ in items]
    taken = set(session.scalars(
        select(Mail.uid).where(Mail.mailbox == mailbox, Mail.uidvalidity == uidvalidity, Mail.uid.in_(uids))
    ))
    prepared = [(uid, raw, _message_id(raw), hashlib.sha256(raw).hexdigest()) for uid, raw in items if uid not in taken]
    ids = [mid for _, _, mid, _ in prepared if mid]
    digests = [d for _, _, mid, d in prepared if not mid]
    known_ids = set(session.scalars(select(Mail.message_id).where(Mail.direction == "in", Mail.message_id.in_(ids))))
    known_digests = set(session.scalars(select(Mail.digest).where(Mail.direction == "in", Mail.digest.in_(digests))))
    rows: list[dict[str, object]] = []
    now = utcnow()
    for uid, raw, mid, digest in prepared:
        if (mid and mid in known_ids) or (not mid and digest in known_digests):
            continue
        if mid:  # remember it: the same mail twice inside one batch is stored once too
            known_ids.add(mid)
        else:
            known_digests.add(digest)
        rows.append({"direction": "in", "status": "received", "raw": raw, "message_id": mid, "digest": digest,
                     "mailbox": mailbox, "uidvalidity": uidvalidity, "uid": uid, "created_at": now,
                     "subject": "", "from_addr": "", "to_addrs": "", "analysis": {}})
    if not rows:
        return []
    # One INSERT … RETURNING for the batch: building ORM objects cost more than the IMAP fetch itself.
    result = session.execute(insert(Mail).returning(Mail.id, Mail.uid, Mail.message_id, sort_by_parameter_order=True),
                             rows)
    return [Stored(*row) for row in result]
