"""Integrity of the labelled reply corpus in tests/corpus/ (built by scripts/build_corpus.py).

These tests check the data, not the classifier: enough mails, every intent in both languages in both
splits, labels that make sense, files and labels in step, the promised encodings really on the wire, and
a held-out split whose bodies never appear in train.
"""

from __future__ import annotations

import email
import email.policy
import importlib.util
import json
import re
import sys
import unicodedata
from collections import Counter
from datetime import date
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from worker.domain import Intent

ROOT = Path(__file__).resolve().parent.parent

CORPUS = Path(__file__).resolve().parent / "corpus"
SPLITS = ("train", "heldout")
LANGUAGES = ("en", "ja")
FIRST_SOURCES = ("bodies_en", "bodies_ja", "bounces")  # written first; the later bodies_*.txt were written apart


@cache
def labels(split: str) -> list[dict[str, Any]]:
    lines = (CORPUS / split / "labels.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def all_labels() -> list[tuple[str, dict[str, Any]]]:
    return [(split, label) for split in SPLITS for label in labels(split)]


@cache
def message(split: str, name: str) -> EmailMessage:
    raw = (CORPUS / split / name).read_bytes()
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def _jis_to_sjis(j1: int, j2: int) -> bytes:
    s1 = (j1 + 1) // 2 + (0x70 if j1 <= 0x5E else 0xB0)
    s2 = j2 + (0x1F if j1 % 2 else 0x7E)
    if j1 % 2 and s2 >= 0x7F:
        s2 += 1
    return bytes((s1, s2))


def decode_iso2022jp_cp932(data: bytes) -> str:
    """ISO-2022-JP read the way Windows mailers mean it (CP50221): JIS cells looked up in CP932."""
    out: list[str] = []
    mode = "ascii"
    i = 0
    while i < len(data):
        if data[i] == 0x1B:
            seq = data[i + 1 : i + 3]
            mode = {b"$B": "jis", b"$@": "jis", b"(B": "ascii", b"(J": "ascii", b"(I": "kana"}[bytes(seq)]
            i += 3
        elif mode == "jis" and data[i] not in (0x0A, 0x0D):
            out.append(_jis_to_sjis(data[i], data[i + 1]).decode("cp932"))
            i += 2
        elif mode == "kana" and data[i] not in (0x0A, 0x0D):
            out.append(bytes((data[i] + 0x80,)).decode("cp932"))
            i += 1
        else:
            out.append(chr(data[i]))
            i += 1
    return "".join(out)


def part_text(part: EmailMessage) -> str:
    data = part.get_payload(decode=True)
    assert isinstance(data, bytes)
    charset = (part.get_content_charset() or "").lower()
    if not charset:  # undeclared: ISO-2022-JP announces itself with escape sequences, else it is ASCII
        charset = "iso-2022-jp" if b"\x1b$B" in data else "us-ascii"
    if charset == "iso-2022-jp":
        return decode_iso2022jp_cp932(data)
    codec = {"shift_jis": "cp932", "us-ascii": "ascii"}.get(charset, charset)
    return data.decode(codec)  # strict: a corpus mail must decode cleanly with the charset it declares


def texts(msg: EmailMessage) -> list[tuple[str, str]]:
    """(content type, decoded text) for every text/plain and text/html part."""
    return [
        (p.get_content_type(), part_text(p))
        for p in msg.walk()
        if isinstance(p, EmailMessage) and p.get_content_type() in ("text/plain", "text/html")
    ]


def normalized(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def test_corpus_is_large_enough_and_roughly_half_japanese() -> None:
    """At least 2,000 labelled mails; neither language has less than 40% of them; about 30% are held out."""
    everything = all_labels()
    assert len(everything) >= 2000
    per_language = Counter(label["language"] for _, label in everything)
    assert set(per_language) == set(LANGUAGES)
    assert min(per_language.values()) >= 0.4 * len(everything)
    heldout_share = len(labels("heldout")) / len(everything)
    assert 0.2 <= heldout_share <= 0.4


@pytest.mark.parametrize("split", SPLITS)
def test_every_intent_in_each_language_in_each_split(split: str) -> None:
    """Each split has at least two mails of every intent in English and in Japanese."""
    seen = Counter((label["language"], label["intent"]) for label in labels(split))
    for language in LANGUAGES:
        for intent in Intent:
            assert seen[(language, intent.value)] >= 2, (split, language, intent.value)


def test_labels_are_valid() -> None:
    """Intents come from the enum, languages are en/ja, dates parse, and fields have the documented types."""
    for split, label in all_labels():
        assert Intent(label["intent"]) is not None
        assert label["language"] in LANGUAGES
        assert isinstance(label["invoice_refs"], list)
        assert all(isinstance(ref, str) and ref for ref in label["invoice_refs"])
        assert isinstance(label["bounce_recipients"], list)
        if label["promised_date"] is not None:
            date.fromisoformat(label["promised_date"])
            assert label["intent"] == Intent.PROMISE_TO_PAY.value, (split, label["file"])
        if label["intent"] == Intent.PROMISE_TO_PAY.value and label["source"] in FIRST_SOURCES:
            assert label["promised_date"] is not None, (split, label["file"])  # later ones may say "soon"
        if label["return_date"] is not None:
            date.fromisoformat(label["return_date"])
            assert label["intent"] == Intent.AUTO_REPLY.value
        if label["intent"] == Intent.BOUNCE.value:
            assert label["bounce_recipients"], (split, label["file"])
        else:
            assert not label["bounce_recipients"]


@pytest.mark.parametrize("split", SPLITS)
def test_labels_and_files_are_in_step(split: str) -> None:
    """Every labelled file exists, every .eml in the split is labelled, and no file is labelled twice."""
    listed = [label["file"] for label in labels(split)]
    assert len(listed) == len(set(listed))
    on_disk = {p.name for p in (CORPUS / split).glob("*.eml")}
    assert set(listed) == on_disk


def test_no_body_is_shared_between_splits() -> None:
    """Held-out bodies are their own: no body id, and no reply's longest line, also appears in train (a short
    line another writer happened to write too — "振込手数料はどちらの負担になりますでしょうか。" — is no copy)."""
    train_bodies = {label["body"] for label in labels("train")}
    heldout_bodies = {label["body"] for label in labels("heldout")}
    assert train_bodies.isdisjoint(heldout_bodies)
    source = "\n".join(_without_file_header(p.read_text(encoding="utf-8")) for p in (CORPUS / "source").glob("*.txt"))
    chunks = dict(re.findall(r"^@@ (\S+) \|[^\n]*\n(.*?)(?=^@@ |\Z)", source, flags=re.M | re.S))
    assert heldout_bodies <= set(chunks) and train_bodies <= set(chunks)
    train_text = "\n".join(chunks[key] for key in train_bodies)
    for key in heldout_bodies:
        if ".bounce." in key:  # server texts: distinct styles by id, SMTP replies legitimately recur
            continue
        longest = max(chunks[key].strip().split("\n"), key=len)
        if longest in train_text and len(longest) >= 20:  # a one-liner (今週中にお支払いします。) may recur;
            # a longer line only as another writer's stock sentence, never from the same writer's bodies
            assert len(longest) < 40 and not _same_writer(key, train_bodies, longest, chunks), key


def _without_file_header(text: str) -> str:
    """A source file from its first body on (the comment lines above it describe the file)."""
    return text[text.find("@@ ") :] if "@@ " in text else ""


def _same_writer(key: str, train_bodies: set[str], line: str, chunks: dict[str, str]) -> bool:
    """Whether a train body of the same source (key prefix) holds the line."""
    prefix = key.rsplit(".", 2)[0]
    return any(line in chunks[k] for k in train_bodies if k.rsplit(".", 2)[0] == prefix)


def test_every_mail_parses_and_decodes_cleanly() -> None:
    """Each mail parses without MIME defects, has a zoned Date, and each text part decodes strictly."""
    for split, label in all_labels():
        msg = message(split, label["file"])
        assert not msg.defects, (label["file"], msg.defects)
        when = parsedate_to_datetime(str(msg["Date"]))
        assert when.tzinfo is not None
        if label["language"] == "ja" and label["intent"] != Intent.BOUNCE.value:
            assert when.utcoffset() is not None and when.utcoffset().total_seconds() == 9 * 3600
        decoded = texts(msg)
        assert decoded, label["file"]
        for _, text in decoded:
            assert "\ufffd" not in text and "\x1b" not in text, label["file"]


def test_replies_point_back_at_our_reminders() -> None:
    """Replies go to a token address; most cite a reminder's Message-ID; bounces carry the original's."""
    threaded = 0
    for split, label in all_labels():
        msg = message(split, label["file"])
        if label["intent"] == Intent.BOUNCE.value:
            raw = (CORPUS / split / label["file"]).read_bytes().decode("ascii", "replace")
            readable = raw + "\n".join(text for _, text in texts(msg))
            assert re.search(r"<reminder\.\d+\.\d@mail\.dunmail\.example>", readable), label["file"]
            continue
        assert re.fullmatch(r"ar\+[a-z2-7]+@dunmail\.example", str(msg["To"])), label["file"]
        if re.fullmatch(r"<reminder\.\d+\.\d@mail\.dunmail\.example>", str(msg.get("In-Reply-To", ""))):
            threaded += 1
    replies = sum(1 for _, label in all_labels() if label["intent"] != Intent.BOUNCE.value)
    assert 0.8 * replies <= threaded < replies  # a few carriers' mobile replies drop the threading headers


def test_promised_dates_and_invoice_refs_match_the_mail() -> None:
    """Promised dates fall after the reply's own date; each invoice ref appears in the mail's text."""
    for split, label in all_labels():
        msg = message(split, label["file"])
        if label["promised_date"]:
            sent = parsedate_to_datetime(str(msg["Date"])).date()
            promised = date.fromisoformat(label["promised_date"])
            assert sent <= promised <= sent.replace(year=sent.year + 1), label["file"]  # "this evening" is today
        plain = normalized("\n".join(text for _, text in texts(msg)))
        for ref in label["invoice_refs"]:
            assert ref in plain, (label["file"], ref)


def test_wire_forms_are_varied() -> None:
    """The corpus really holds the charsets, transfer encodings and structures the parser must survive."""
    charsets: Counter[str] = Counter()
    encodings: Counter[tuple[str, str]] = Counter()
    html_only = 0
    cp932_in_jis = 0
    subjects_2047: Counter[str] = Counter()
    for split, label in all_labels():
        msg = message(split, label["file"])
        raw = (CORPUS / split / label["file"]).read_bytes()
        for match in re.finditer(rb"Subject: =\?([\w-]+)\?B\?", raw):
            subjects_2047[match.group(1).decode().lower()] += 1
        if msg.get_content_type() == "text/html":
            html_only += 1
        for part in msg.walk():
            if part.get_content_maintype() != "text" or part.get_content_charset() is None:
                continue
            charset = str(part.get_content_charset()).lower()
            charsets[charset] += 1
            encodings[(charset, str(part.get("Content-Transfer-Encoding", "7bit")).lower())] += 1
            if charset == "iso-2022-jp" and re.search("[①-⑳㈱～]", part_text(part)):
                cp932_in_jis += 1
    assert charsets["iso-2022-jp"] >= 40
    assert charsets["shift_jis"] >= 15
    assert charsets["euc-jp"] >= 2
    assert encodings[("utf-8", "base64")] >= 20
    assert encodings[("utf-8", "quoted-printable")] >= 20
    assert charsets["iso-8859-1"] + charsets["windows-1252"] >= 5
    assert html_only >= 20
    assert cp932_in_jis >= 3
    assert subjects_2047["iso-2022-jp"] >= 20 and subjects_2047["utf-8"] >= 10


def test_clients_quoting_and_extras_are_varied() -> None:
    """Many mail clients, top and bottom posting, signatures, disclaimers, mixed intents and bounce styles."""
    notes = [label["notes"] for _, label in all_labels()]
    clients = Counter(n["client"] for n in notes)
    assert len([c for c in clients if not c.startswith("bounce-")]) >= 12
    assert {"bounce-dsn", "bounce-plain", "bounce-exchange"} <= set(clients)
    quoting = Counter(n.get("quoting") for n in notes)
    assert quoting["top"] >= 100 and quoting["bottom"] >= 15 and quoting["none"] >= 20
    assert sum(1 for n in notes if n.get("disclaimer")) >= 30
    assert sum(1 for n in notes if n.get("mixed")) >= 30
    assert sum(1 for n in notes if n.get("attachment")) >= 5
    assert sum(1 for n in notes if n.get("charset_declared") is False) >= 2


def test_corpus_stays_small() -> None:
    """The committed corpus (about 5,500 mails with the fresh sets, ~3 KB each) is under 24 MB."""
    size = sum(p.stat().st_size for p in CORPUS.rglob("*") if p.is_file())
    assert size < 24 * 1024 * 1024


def build_corpus(*args: str) -> int:
    """Run scripts/build_corpus.py's main() in this process with these arguments."""
    spec = importlib.util.spec_from_file_location("build_corpus", ROOT / "scripts" / "build_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_corpus"] = module
    try:
        spec.loader.exec_module(module)
        result: int = module.main(list(args))
        return result
    finally:
        del sys.modules["build_corpus"]


def test_generator_reproduces_the_committed_corpus(tmp_path: Path) -> None:
    """scripts/build_corpus.py is deterministic and the committed files are exactly what it writes."""
    assert build_corpus("--out", str(tmp_path)) == 0
    for split in SPLITS:
        built = sorted(p.name for p in (tmp_path / split).iterdir())
        committed = sorted(p.name for p in (CORPUS / split).iterdir())
        assert built == committed
        for name in built:
            assert (tmp_path / split / name).read_bytes() == (CORPUS / split / name).read_bytes(), name


FRESH = CORPUS / "fresh"


@pytest.mark.parametrize("name", sorted(p.stem for p in FRESH.glob("*.txt") if p.stem != "BRIEF"))
def test_fresh_sets_are_what_their_source_renders(name: str, tmp_path: Path) -> None:
    """Each fresh held-out folder is exactly scripts/build_corpus.py --set of its source file, no body of
    it is in the training sources, and every intent a person writes is in it."""
    assert build_corpus("--set", str(FRESH / f"{name}.txt"), "--out", str(tmp_path)) == 0
    built = sorted(p.name for p in tmp_path.iterdir())
    assert built == sorted(p.name for p in (FRESH / name).iterdir())
    for file in built:
        assert (tmp_path / file).read_bytes() == (FRESH / name / file).read_bytes(), file
    fresh = [json.loads(line) for line in (FRESH / name / "labels.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {row["intent"] for row in fresh} >= {i.value for i in Intent} - {Intent.BOUNCE.value}
    trained = {row["body"] for split in SPLITS for row in labels(split)}
    assert trained.isdisjoint(row["body"] for row in fresh)
