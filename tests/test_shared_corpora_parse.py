"""parse_mail over every real-world mail in ../shared/corpora (sisimai bounces, Ruby mail gem fixtures):
no exception, and clean text (no U+FFFD, no raw ESC, no undecodable bytes) wherever a clean decoding
exists."""

from __future__ import annotations

from pathlib import Path

import pytest

from worker.errors import MailParseError
from worker.inbound.mime import parse_mail
from worker.inbound.replytext import extract_reply

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"

# Fixtures whose bytes have no clean decoding (some bytes had to be dropped); each says why. Keep it short.
# Not listed, because they are not decoding failures: NUL bytes in lhost-office365-01 and lhost-x2-04
# (dropped as control characters), the literal EF BF BD bytes in must_supply_encoding's subject (an
# earlier system's U+FFFD, dropped), the PNG labelled text/plain in rfc3464-66 (kept as an attachment).
NO_CLEAN_DECODING: dict[str, str] = {}
DECODING_FAILURES = ("undecodable_bytes_dropped", "escape_bytes_dropped")


def _corpus_files() -> list[Path]:
    if not CORPORA.is_dir():
        return []
    return sorted(p for p in CORPORA.rglob("*.eml") if p.is_file())


FILES = _corpus_files()
pytestmark = pytest.mark.skipif(not FILES, reason=f"shared corpora not found at {CORPORA}")


def _name(path: Path) -> str:
    return path.relative_to(CORPORA).as_posix()


def test_corpora_are_all_there() -> None:
    """The shared corpora hold the ~740 mails this suite is meant to cover (catches a half-copied folder)."""
    assert len(FILES) >= 700


@pytest.mark.parametrize("path", FILES, ids=_name)
def test_parses_cleanly(path: Path) -> None:
    """Every corpus mail parses without an exception; subject and text carry no U+FFFD or ESC, and, unless
    allow-listed with a reason, no bytes had to be dropped; the reply extractor accepts the text."""
    try:
        parsed = parse_mail(path.read_bytes())
    except MailParseError as exc:  # pragma: no cover - would be a regression, shown with the reason
        pytest.fail(f"MailParseError: {exc}")
    for field in (parsed.subject, parsed.text, parsed.from_name):
        assert "\ufffd" not in field
        assert "\x1b" not in field
    assert not any(d.startswith("mime_walk_failed") for d in parsed.defects)
    dropped = [d for d in parsed.defects if any(f in d for f in DECODING_FAILURES)]
    if _name(path) not in NO_CLEAN_DECODING:
        assert dropped == [], dropped
    reply = extract_reply(parsed.text, html=parsed.html)
    assert "\ufffd" not in reply
    if parsed.text.strip():
        assert reply.strip(), "extract_reply must not return nothing for a mail with text"


def test_allow_list_entries_still_need_it() -> None:
    """Each allow-listed fixture still drops bytes; when one stops needing it, it leaves the list."""
    for name in NO_CLEAN_DECODING:
        path = CORPORA / name
        if not path.exists():
            continue
        parsed = parse_mail(path.read_bytes())
        assert any(f in d for d in parsed.defects for f in DECODING_FAILURES), name


def test_japanese_fixtures_decode_to_the_expected_text() -> None:
    """The gem's Shift_JIS and ISO-2022-JP fixtures, and an au (ezweb) bounce mislabelled ISO-2022-JP,
    come out as real Japanese."""
    checks = {
        "mail-gem/multi_charset/japanese_shift_jis.eml": "このメールはテスト用のメールです。",
        "mail-gem/multi_charset/japanese_iso_2022.eml": "すみません。",
        "sisimai/bsd/lhost-ezweb-02.eml": "送信先メールアドレスが見つかりませんでした。",
    }
    for name, expected in checks.items():
        assert expected in parse_mail((CORPORA / name).read_bytes()).text, name
