"""Raw mail goes into the correspondence log first, before anything else is done with it.

Idempotent by (mailbox, UIDVALIDITY, UID), then by Message-ID *and* a digest of the bytes, so a
re-fetch, a UIDVALIDITY change or the same mail in two folders never makes a second row. A mail that
reuses a Message-ID already seen with other bytes is not a duplicate (senders reuse them, by bug or on
purpose): it is stored and processed like any other, marked `reused_message_id` in its analysis.
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
    same_id = Mail.message_id == message_id if message_id else Mail.message_id.is_(None)
    twin = session.scalars(select(Mail).where(Mail.direction == "in", Mail.digest == digest, same_id)).first()
    if twin is not None:
        return twin, False
    reused = message_id is not None and session.scalars(
        select(Mail.id).where(Mail.direction == "in", Mail.message_id == message_id).limit(1)).first() is not None
    mail = Mail(direction="in", status="received", raw=raw, message_id=message_id, digest=digest,
                mailbox=mailbox, uidvalidity=uidvalidity, uid=uid, created_at=utcnow(),
                analysis={"reused_message_id": True} if reused else {})
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
    # Control bytes (a NUL would make PostgreSQL refuse the whole batch) and 8-bit bytes are dropped.
    cleaned = re.sub(rb"[\s\x00-\x1f\x7f]+", b"", match.group(1)).decode("ascii", "ignore").strip("<>")
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
    digests = [d for _, _, _, d in prepared]
    known_ids = set(session.scalars(select(Mail.message_id).where(Mail.direction == "in", Mail.message_id.in_(ids))))
    # A duplicate is the same Message-ID (or none) with the same bytes.
    known: set[tuple[str | None, str | None]] = {
        (mid, digest) for mid, digest in session.execute(
            select(Mail.message_id, Mail.digest).where(Mail.direction == "in", Mail.digest.in_(digests)))}
    rows: list[dict[str, object]] = []
    now = utcnow()
    for uid, raw, mid, digest in prepared:
        if (mid, digest) in known:
            continue
        known.add((mid, digest))  # remember it: the same mail twice inside one batch is stored once too
        reused = mid is not None and mid in known_ids
        if mid:
            known_ids.add(mid)
        rows.append({"direction": "in", "status": "received", "raw": raw, "message_id": mid, "digest": digest,
                     "mailbox": mailbox, "uidvalidity": uidvalidity, "uid": uid, "created_at": now,
                     "subject": "", "from_addr": "", "to_addrs": "",
                     "analysis": {"reused_message_id": True} if reused else {}})
    if not rows:
        return []
    # One INSERT … RETURNING for the batch: building ORM objects cost more than the IMAP fetch itself.
    result = session.execute(insert(Mail).returning(Mail.id, Mail.uid, Mail.message_id, sort_by_parameter_order=True),
                             rows)
    return [Stored(*row) for row in result]
