"""Reminders as customers receive them: every template in both languages, exact Japanese through real SMTP,
escaped customer data, no header injection, unforgeable reply tokens, stable threading ids."""

from __future__ import annotations

import email
from dataclasses import replace
from datetime import date
from decimal import Decimal
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.policy import compat32
from email.policy import default as default_policy
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from worker.inbound.htmltext import html_to_text
from worker.outbound.compose import NAMES, Composer, Rendered, preview_context
from worker.outbound.localsmtp import LocalSMTPServer
from worker.outbound.mimebuild import build_reminder, make_message_id
from worker.outbound.smtp import SMTPConfig, SMTPSender, wire_bytes
from worker.outbound.tokens import make_reply_token, reply_address, token_from_address, verify_reply_token

COMPOSER = Composer(Path(__file__).resolve().parents[1] / "mail_templates")
SECRET = b"k" * 32


def _build(rendered, case_id: int = 7, stage: str = "reminder_1"):  # type: ignore[no-untyped-def]
    return build_reminder(rendered, from_addr="billing@dunmail.example", from_name="経理部",
                          to=["keiri@kitayama.example"], cc=[], reply_to=reply_address(case_id, SECRET,
                                                                                       domain="dunmail.example"),
                          message_id=make_message_id(case_id, stage, "dunmail.example", secret=SECRET),
                          in_reply_to=None,
                          references=[], case_id=case_id, stage=stage, extra_headers={})


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("name", NAMES)
def test_every_template_renders_with_its_facts(name: str, lang: str) -> None:
    """Each template in each language names the invoice, has a subject, HTML and a text alternative."""
    r = COMPOSER.render(name, preview_context(lang))
    number = preview_context(lang).invoices[0].number
    assert r.subject and number in r.subject + r.text
    assert "<html" in r.html and "{{" not in r.html and "%%" not in r.html
    assert r.text.strip() and "<" not in r.text.split("\n")[0]


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("name", NAMES)
def test_text_alternative_says_what_the_html_says(name: str, lang: str) -> None:
    """The text part (a template derived once at start) reads exactly as the filled HTML does as text, also
    with markup-like customer data and without payment instructions."""
    for ctx in (preview_context(lang),
                replace(preview_context(lang), customer_name='A & <b>B</b> "Co"', payment_instructions="")):
        r = COMPOSER.render(name, ctx)
        assert r.text == html_to_text(r.html).strip() + "\n"


def test_firmness_grows_and_final_notice_states_the_deadline() -> None:
    """The final notice carries its deadline; the first reminder does not threaten collection."""
    ctx = preview_context("en")
    final = COMPOSER.render("final_notice", ctx)
    first = COMPOSER.render("reminder_1", ctx)
    assert "30 April 2026" in final.text and "collection" in final.text
    assert "collection" not in first.text
    ja = COMPOSER.render("final_notice", preview_context("ja"))
    assert ja.subject.startswith("【最終通知】") and "2026年4月30日" in ja.text


def test_customer_data_is_escaped_in_html() -> None:
    """A customer named with markup is shown as text, never as a tag."""
    ctx = replace(preview_context("en"), customer_name='<script>alert("x")</script> & Co')
    html = COMPOSER.render("reminder_1", ctx).html
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_japanese_money_and_dates() -> None:
    """JPY has no minor unit and reads 1,234,500円; dates carry the weekday: 2026年3月31日（火）."""
    text = COMPOSER.render("reminder_1", preview_context("ja")).text
    assert "1,234,500円" in text and "2026年3月31日（火）" in text


def test_japanese_reminder_survives_a_real_smtp_server_exactly() -> None:
    """Sent through aiosmtpd, the Japanese subject, sender name and body decode back to the same text."""
    rendered = COMPOSER.render("reminder_2", preview_context("ja"))
    msg = _build(rendered)
    with LocalSMTPServer() as server:
        sender = SMTPSender(SMTPConfig("127.0.0.1", server.port))
        sender.send(msg, sender="billing@dunmail.example", recipients=["keiri@kitayama.example"])
        sender.close()
        (received,) = server.messages
    got = email.message_from_bytes(received.data, policy=default_policy)
    assert str(make_header(decode_header(received_header(received.data, "Subject")))) == rendered.subject
    assert got["From"].addresses[0].display_name == "経理部"
    body = got.get_body(("plain",))
    assert body is not None and body.get_content().replace("\r\n", "\n") == rendered.text
    assert got["Auto-Submitted"] == "auto-generated"
    assert verify_reply_token(token_from_address(got["Reply-To"].addresses[0].addr_spec) or "", SECRET) == 7


def received_header(raw: bytes, name: str) -> str:
    return str(email.message_from_bytes(raw)[name])


def test_header_injection_is_impossible() -> None:
    """A customer name or invoice number with CR/LF cannot add a header."""
    ctx = preview_context("en")
    evil_line = replace(ctx.invoices[0], number="INV-1\r\nBcc: victim@evil.example")
    rendered = COMPOSER.render("reminder_1", replace(ctx, invoices=[evil_line]))
    raw = _build(rendered).as_bytes()
    parsed = email.message_from_bytes(raw)
    assert parsed["Bcc"] is None and "victim@evil.example" in str(parsed["Subject"])


def test_reply_tokens_cannot_be_forged_or_moved() -> None:
    """A token verifies only with our secret, only for its own case; any altered character fails."""
    token = make_reply_token(42, SECRET)
    assert verify_reply_token(token, SECRET) == 42
    assert verify_reply_token(token, b"another-secret") is None
    flipped = token[:-1] + ("a" if token[-1] != "a" else "b")
    assert verify_reply_token(flipped, SECRET) is None
    assert verify_reply_token("not-a-token", SECRET) is None
    assert token_from_address(f"AR+{token}@dunmail.example") == token


def test_message_id_is_stable_per_case_and_stage() -> None:
    """A retried send reuses the same Message-ID, so it can be recognised and threaded."""
    mid = make_message_id(5, "reminder_2", "d.example", secret=SECRET)
    assert mid == make_message_id(5, "reminder_2", "d.example", secret=SECRET)
    assert mid != make_message_id(5, "reminder_3", "d.example", secret=SECRET)


def test_message_id_cannot_be_guessed_without_the_key() -> None:
    """Issue 12: the Message-ID names neither case nor stage and depends on the signing key, so a forged
    In-Reply-To cannot be built from a case number."""
    mid = make_message_id(5, "reminder_2", "d.example", secret=SECRET)
    assert mid.startswith("<r.") and mid.endswith("@d.example>")
    assert "reminder" not in mid
    assert mid != make_message_id(5, "reminder_2", "d.example", secret=b"another key" * 3)
    assert len(mid.partition("@")[0]) >= 3 + 32  # 160 bits of MAC in base32


def test_threading_headers_chain_earlier_reminders() -> None:
    """In-Reply-To points at the last reminder and References lists them all."""
    rendered = COMPOSER.render("reminder_2", preview_context("en"))
    msg = build_reminder(rendered, from_addr="b@d.example", from_name="AR", to=["a@c.example"], cc=["o@d.example"],
                         reply_to="ar+x@d.example", message_id="<reminder.1.reminder_2@d.example>",
                         in_reply_to="reminder.1.reminder_1@d.example",
                         references=["reminder.1.courtesy@d.example", "reminder.1.reminder_1@d.example"],
                         case_id=1, stage="reminder_2", extra_headers={})
    assert msg["In-Reply-To"] == "<reminder.1.reminder_1@d.example>"
    assert msg["References"].split() == ["<reminder.1.courtesy@d.example>", "<reminder.1.reminder_1@d.example>"]
    assert msg["Cc"] == "o@d.example"


def test_invoice_lines_total_per_currency() -> None:
    """A consolidated notice totals per currency."""
    ctx = preview_context("en")
    extra = replace(ctx.invoices[0], number="EU-1", currency="EUR", balance=Decimal("10.50"), due_date=date(2026, 4, 1))
    subject = COMPOSER.render("consolidated", replace(ctx, invoices=[*ctx.invoices, extra])).subject
    assert "$13,325.67" in subject and "€10.50" in subject


def _reminder(rendered: Rendered, references: list[str], extra: dict[str, str]) -> Message:
    return build_reminder(rendered, from_addr="billing@dunmail.example", from_name="経理部 Accounts",
                          to=["keiri@kitayama.example"], cc=["owner@dunmail.example"], reply_to="ar+x@dunmail.example",
                          message_id="<reminder.7.reminder_2@dunmail.example>", in_reply_to=references[-1],
                          references=references, case_id=7, stage="reminder_2", extra_headers=extra)


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("name", NAMES)
def test_wire_form_is_byte_for_byte_what_the_standard_library_writes(name: str, lang: str) -> None:
    """wire_bytes takes shortcuts (short ASCII headers written as they are, bodies written whole); the stock
    compat32 generator writes the very same bytes, long folded headers and Japanese included."""
    rendered = COMPOSER.render(name, preview_context(lang))
    refs = [make_message_id(7, stage, "dunmail.example", secret=SECRET) for stage in NAMES]
    msg = _reminder(rendered, refs, {"X-Customer": "株式会社北山商事 " * 6, "X-Note": "a  b\tc " * 15})
    assert wire_bytes(msg) == msg.as_bytes(policy=compat32.clone(linesep="\r\n"))


def test_wire_form_of_a_modern_message_is_unchanged() -> None:
    """Messages built with the modern policy (tests, tools) serialise exactly as the standard library does."""
    msg = EmailMessage()
    msg["Subject"] = "【お支払いのお願い】請求書 JP-2026-0201 ①㈱"
    msg["To"] = "keiri@kitayama.example"
    msg.set_content("お世話になっております。\n" * 40)
    msg.add_alternative("<p>お世話になっております。</p>\r\n" * 40, subtype="html")
    assert wire_bytes(msg) == msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))


@settings(max_examples=300, deadline=None)
@given(value=st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=90),
       name=st.sampled_from(["X-Dunmail-Stage", "References", "X-A"]))
def test_any_printable_ascii_header_is_written_as_compat32_writes_it(value: str, name: str) -> None:
    """The short-header shortcut agrees with compat32 for every printable ASCII value, runs of spaces included."""
    msg = Message()
    msg[name] = value
    assert wire_bytes(msg) == msg.as_bytes(policy=compat32.clone(linesep="\r\n"))


@settings(max_examples=300, deadline=None)
@given(subject=st.text(alphabet=st.sampled_from(list("【再送】お支払いのお願い：請求書①㈱～髙éß😀 abc-12")), min_size=1,
                       max_size=120).map(str.strip).filter(bool))
def test_any_japanese_subject_decodes_back_exactly(subject: str) -> None:
    """Encoded words hold whole characters, stay within RFC 2047's 75 characters, and decode to the subject."""
    rendered = Rendered(subject=subject, html="<p>x</p>", text="x\n")
    raw = wire_bytes(_reminder(rendered, ["<a@dunmail.example>"], {}))
    header = str(email.message_from_bytes(raw)["Subject"])
    assert str(make_header(decode_header(header))) == subject
    assert all(len(word) <= 75 for word in header.split() if word.startswith("=?"))
