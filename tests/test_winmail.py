"""Outlook's winmail.dat (TNEF): the files inside are attachments of their own, the text inside is read when
the mail has no other, and a broken one is kept as it came with a defect instead of failing the mail."""

from __future__ import annotations

from tests.mailfactory import attachment, mail, multipart, part
from tests.support.tnef import winmail_dat
from worker.classify.classifier import LOW_CONFIDENCE, classify_bytes
from worker.domain import Intent
from worker.inbound.mime import parse_mail

PDF = b"%PDF-1.4\n% remittance advice\n" + bytes(range(256)) * 4


def _outlook_reply(text: str, dat: bytes, charset: str = "us-ascii") -> bytes:
    """An Outlook reply in rich text: a plain-text part and application/ms-tnef named winmail.dat."""
    return mail([("Subject", "RE: Invoice INV-2026-0102")],
                multipart("mixed", [part("text/plain", text, charset=charset),
                                    attachment('filename="winmail.dat"', "application/ms-tnef", dat)]))


def test_the_files_inside_winmail_dat_are_attachments() -> None:
    """The remittance advice inside winmail.dat is listed by name, type and size; winmail.dat is kept too."""
    parsed = parse_mail(_outlook_reply("Please find attached.", winmail_dat([("Remittance_Advice.pdf", PDF)])))
    names = {a.filename: a for a in parsed.attachments}
    assert set(names) == {"winmail.dat", "Remittance_Advice.pdf"}
    advice = names["Remittance_Advice.pdf"]
    assert (advice.content_type, advice.size, advice.payload) == ("application/pdf", len(PDF), PDF)


def test_a_payment_proof_inside_winmail_dat_counts_as_one() -> None:
    """The remittance advice inside winmail.dat says paid even where the words say nothing ("Hello,"); the
    same words with an empty winmail.dat do not."""
    with_advice = classify_bytes(_outlook_reply("Hello,", winmail_dat([("Remittance_Advice.pdf", PDF)])))
    assert with_advice.intent is Intent.PAID and "paid_proof_attached" in with_advice.reasons
    assert classify_bytes(_outlook_reply("Hello,", winmail_dat([]))).intent is not Intent.PAID
    attached = classify_bytes(_outlook_reply("Please find attached.", winmail_dat([("Remittance_Advice.pdf", PDF)])))
    assert attached.intent is Intent.PAID and attached.confidence >= LOW_CONFIDENCE


def test_japanese_outlook_names_come_out_right() -> None:
    """Japanese Outlook writes attachment names in CP932; 振込明細書.pdf is read as such."""
    parsed = parse_mail(_outlook_reply("ご確認ください。", winmail_dat([("振込明細書.pdf", PDF)], codepage=932),
                                       charset="shift_jis"))
    assert "振込明細書.pdf" in {a.filename for a in parsed.attachments}


def test_text_only_inside_winmail_dat_is_read() -> None:
    """A mail that carries its words only inside winmail.dat is not read as empty."""
    dat = winmail_dat([], body="We paid invoice INV-2026-0102 yesterday.")
    raw = mail([("Subject", "RE: Invoice INV-2026-0102")],
               multipart("mixed", [attachment('filename="winmail.dat"', "application/ms-tnef", dat)]))
    assert "We paid invoice INV-2026-0102 yesterday." in parse_mail(raw).text


def test_a_broken_winmail_dat_is_kept_and_flagged() -> None:
    """Garbage labelled application/ms-tnef does not fail the mail: kept as it came, with a defect."""
    parsed = parse_mail(_outlook_reply("We paid yesterday.", b"not a TNEF stream at all"))
    assert [a.filename for a in parsed.attachments] == ["winmail.dat"]
    assert any(d.startswith("tnef_unreadable") for d in parsed.defects)
    assert "We paid yesterday." in parsed.text
