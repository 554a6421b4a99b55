"""Fuzzing the inbound path (issue 12): parse → classify → correlate → act on SQLite, with mail built from
hostile pieces — deep comments, encoded words in odd charsets, NULs, 8-bit headers, broken MIME trees.

Bounded and seeded (derandomize): the same 200 mails every run, in a few seconds. Whatever a mail is, no
exception leaves process_inbound, and the mail ends `processed` or `failed` with a review item.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from tests.support.crashers import CRASHERS
from tests.test_shunt import SECRET, open_case, real_pipeline
from worker.db.engine import make_engine, transaction
from worker.db.models import Base, Mail, ReviewItem
from worker.inbound.process import process_inbound
from worker.inbound.store import store_inbound
from worker.outbound.tokens import make_reply_token
from worker.review.sanitize import bodies, clean_html

CHARSETS = ["utf-8", "iso-2022-jp", "shift_jis", "cp932", "euc-jp", "latin-1", "base64", "uu", "hex", "rot13",
            "bz2", "zlib", "utf-7", "utf-32", "idna", "unicode_escape", "x-unknown", "", "utf\x008", "utf-8*ja"]
CTES = ["7bit", "8bit", "base64", "quoted-printable", "binary", "x-uuencode", "bogus", ""]
WORDS = ["paid", "INV-77", "dispute", "お支払い済み", "来週金曜日に振り込みます", "out of office", "undeliverable",
         "payment plan", "¥1,000,000", "1E+30", "9999-12-31", "Re:", "=?", "?=", "\\", "\"", "<", ">", "(", ")"]

text_piece = st.one_of(
    st.sampled_from(WORDS),
    st.text(max_size=20),
    st.binary(max_size=20).map(lambda b: b.decode("latin-1")),
    st.integers(1, 3000).map(lambda n: "(" * n + "x" + ")" * n),
    st.tuples(st.sampled_from(CHARSETS), st.sampled_from("qQbBx"), st.text(max_size=12)).map(
        lambda t: f"=?{t[0]}?{t[1]}?{t[2]}?="),
)
header_value = st.lists(text_piece, max_size=5).map(" ".join)


def _line(name: str, value: str) -> bytes:
    return name.encode() + b": " + value.encode("utf-8", "surrogateescape").replace(b"\r", b"").replace(b"\n", b" ")


@st.composite
def leaf(draw: st.DrawFn) -> bytes:
    ctype = draw(st.sampled_from(["text/plain", "text/html", "application/pdf", "message/delivery-status",
                                  "message/rfc822", "application/ms-tnef", "text/x-weird"]))
    charset = draw(st.sampled_from(CHARSETS))
    cte = draw(st.sampled_from(CTES))
    body = draw(st.one_of(st.binary(max_size=200), header_value.map(lambda s: s.encode("utf-8", "surrogateescape"))))
    head = [f'Content-Type: {ctype}; charset="{charset}"'.encode("utf-8", "surrogateescape")]
    if cte:
        head.append(f"Content-Transfer-Encoding: {cte}".encode())
    if draw(st.booleans()):
        head.append(_line("Content-Disposition", "attachment; filename*=" + draw(header_value)))
    return b"\r\n".join(head) + b"\r\n\r\n" + body


def tree(depth: int) -> st.SearchStrategy[bytes]:
    if depth == 0:
        return leaf()

    @st.composite
    def multipart(draw: st.DrawFn) -> bytes:
        boundary = draw(st.sampled_from(["b1", "b2", "", "=_x"]))
        subtype = draw(st.sampled_from(["mixed", "alternative", "related", "report", "signed"]))
        children = draw(st.lists(tree(depth - 1), max_size=3))
        closing = b"--" + boundary.encode() + b"--\r\n" if draw(st.booleans()) else b""
        inner = b"".join(b"--" + boundary.encode() + b"\r\n" + child + b"\r\n" for child in children)
        return f"Content-Type: multipart/{subtype}; boundary=\"{boundary}\"\r\n\r\n".encode() + inner + closing

    return st.one_of(leaf(), multipart())


@st.composite
def hostile_mail(draw: st.DrawFn, case_id: int) -> bytes:
    to = draw(st.sampled_from([f"ar+{make_reply_token(case_id, SECRET)}@dunmail.example", "ar@dunmail.example",
                               "ar+forged@dunmail.example", ""]))
    headers = [
        _line("From", draw(st.one_of(st.just("ap@acme.example"), header_value)) + " <ap@acme.example>"),
        _line("To", to + " " + draw(header_value)),
        _line("Subject", draw(header_value)),
    ]
    optional = ["Message-ID", "In-Reply-To", "References", "Date", "Auto-Submitted", "X-Autoreply", "Cc",
                "Return-Path", "Content-Language", "X-Failed-Recipients"]
    for name in draw(st.lists(st.sampled_from(optional), max_size=5, unique=True)):
        headers.append(_line(name, draw(header_value)))
    return b"\r\n".join(headers) + b"\r\n" + draw(tree(2))


@pytest.fixture(scope="module")
def fuzz_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, int]]:
    path: Path = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    engine = make_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    yield engine, open_case(engine)
    engine.dispose()


_serial = itertools.count()


@settings(max_examples=200, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(data=st.data())
@example(data=None)
def test_no_mail_escapes_the_inbound_path(fuzz_db: tuple[Engine, int], data: st.DataObject | None) -> None:
    """For every generated mail (and each known crasher): process_inbound returns, and the mail ends processed,
    or failed with a review item pointing at it; its raw bytes are kept exactly; and the review pages' reader
    (sanitize.bodies, then the HTML cleaner) returns text for it instead of raising."""
    engine, case_id = fuzz_db
    mails = list(CRASHERS.values()) if data is None else [data.draw(hostile_mail(case_id))]
    for raw in mails:
        raw = raw + f"\r\nserial {next(_serial)}".encode()  # distinct bytes: never a duplicate of an earlier one
        with transaction(engine) as s:
            mail_id = store_inbound(s, raw, mailbox="fuzz")[0].id
        result = process_inbound(engine, mail_id, real_pipeline())
        with transaction(engine) as s:
            mail = s.get(Mail, mail_id)
            assert mail is not None and mail.raw == raw
            assert mail.status == result.status and mail.status in {"processed", "failed"}
            if mail.status == "failed":
                assert mail.error
                assert s.scalars(select(ReviewItem.id).where(ReviewItem.mail_id == mail_id)).first() is not None
        text, html = bodies(raw)
        assert isinstance(text, str) and isinstance(clean_html(html), str)
