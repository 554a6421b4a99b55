"""Bounded input before classifying (issue 12, finding 5): a 10 MB subject, a 10 MB body, a 5 MB header or a
20,000-part mail reaches the classifier cut to fixed sizes, with a defect naming the cut; the raw bytes stay
whole in the store."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from worker.classify import classifier
from worker.db.engine import transaction
from worker.db.models import Mail
from worker.inbound.limits import MAX_ATTACHMENTS, MAX_HEADER_CHARS, MAX_PARTS, MAX_SUBJECT_CHARS, MAX_TEXT_CHARS
from worker.inbound.mime import parse_mail
from worker.inbound.store import store_inbound

HUGE_SUBJECT = b"From: ap@acme.example\r\nSubject: " + b"please pay invoice INV-1 " * 400_000 + b"\r\n\r\nWe paid.\r\n"


def test_a_huge_subject_is_cut_before_the_classifier_reads_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 10 MB subject reaches the intent rules as its first 998 characters (the classifier's input is what is
    bounded, so the cost no longer grows with the subject); the mail says it was cut."""
    seen: list[int] = []
    real = classifier.read_intent

    def spy(text: str, reference: Any, **kw: Any) -> Any:
        seen.append(len(kw.get("subject", "")))
        seen.append(len(text))
        return real(text, reference, **kw)

    monkeypatch.setattr(classifier, "read_intent", spy)
    parsed = parse_mail(HUGE_SUBJECT)
    assert len(parsed.subject) == MAX_SUBJECT_CHARS and "subject_truncated" in parsed.defects
    classifier.classify(parsed)
    assert seen and max(seen) <= MAX_SUBJECT_CHARS


def test_a_huge_body_is_cut_to_the_text_bound() -> None:
    """A 10 MB plain-text body is read as its first 100,000 characters."""
    parsed = parse_mail(b"From: ap@acme.example\r\nSubject: x\r\n\r\n" + b"we will pay next friday. " * 400_000)
    assert len(parsed.text) == MAX_TEXT_CHARS and "text_truncated" in parsed.defects
    assert parsed.text.startswith("we will pay next friday.")


def test_a_huge_header_is_cut_where_it_is_read() -> None:
    """A 5 MB header value is cut to 16,384 characters when headers are read; the others are read as usual."""
    raw = b"From: ap@acme.example\r\nX-Junk: " + b"a" * 5_000_000 + b"\r\nSubject: hello\r\n\r\nhi\r\n"
    parsed = parse_mail(raw)
    assert "header_truncated:x-junk" in parsed.defects and parsed.subject == "hello"
    assert MAX_HEADER_CHARS == 16_384


def test_only_the_first_parts_of_a_huge_tree_are_walked() -> None:
    """Of 20,000 MIME parts only the first 200 are walked (texts read from them only) and at most 50
    attachments are kept."""
    texts = b"".join(b"--b\r\nContent-Type: text/plain\r\n\r\npaid\r\n" for _ in range(20_000))
    parsed = parse_mail(b"From: ap@acme.example\r\nSubject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
                        + texts + b"--b--\r\n")
    assert "parts_truncated" in parsed.defects
    assert parsed.text.count("paid") == MAX_PARTS - 1  # the multipart itself is the first part walked
    files = b"".join(b"--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; "
                     b"filename=\"f%d.pdf\"\r\n\r\n%%PDF\r\n" % n for n in range(120))
    many = parse_mail(b"From: ap@acme.example\r\nSubject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
                      + files + b"--b--\r\n")
    assert len(many.attachments) == MAX_ATTACHMENTS and "attachments_truncated" in many.defects


def test_the_raw_mail_is_stored_whole(engine: Engine) -> None:
    """The bounds are for reading only: the store keeps every byte of the 10 MB mail."""
    with transaction(engine) as s:
        mail_id = store_inbound(s, HUGE_SUBJECT, mailbox="test")[0].id
    with transaction(engine) as s:
        mail = s.get(Mail, mail_id)
        assert mail is not None and mail.raw == HUGE_SUBJECT
