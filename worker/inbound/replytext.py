"""The customer's new words in a reply: quoted history, forwarded blocks, signatures and disclaimers cut.

Each family of markers is an ordered tuple of (name, pattern), compiled into one regex with a named group
per form, so a match says which form fired (Reply.cuts, shown to reviewers) and supporting another mail
client is one line of data. Forms cover Gmail, Outlook (English and Japanese header blocks), Apple Mail and
iPhone, Thunderbird, Japanese Gmail, "> " quoting with top, bottom and interleaved posting, mobile
signatures, framed Japanese signature blocks and legal disclaimers.

Conservative by design: when everything looks quoted, the first non-empty block is returned rather
than nothing, because an empty reply would hide a customer's words from the classifier.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from worker.inbound.charsets import clean_text
from worker.inbound.htmltext import may_have_quote_container, split_html_quote

Forms = tuple[tuple[str, str], ...]

# A line that introduces quoted history ("… wrote:"). Tested on whole lines ending in a colon.
ATTRIBUTIONS: Forms = (
    ("gmail_en", r"On\s.{1,250}?\s(?:wrote|writes)\s?:"),
    ("gmail_ja", r"\d{4}年\s?\d{1,2}月\s?\d{1,2}日.{0,40}?\d{1,2}:\d{2}.{0,250}[:：]"),
    ("apple_ja", r".{0,80}?\d{1,2}:\d{2}.{0,250}のメール\s?[:：]"),
    ("thunderbird_ja", r".{0,250}さん(?:は|が)書きました\s?[:：]"),
    ("wrote_generic", r".{0,250}(?:\d|@).{0,250}\b(?:wrote|writes)\s?:"),
    ("lotus_notes", r".{1,250}\bwrote on\s.{1,80}:"),
    ("ecrit_fr", r"Le\s.{1,250}?a\s+écrit\s?:"),
    ("schrieb_de", r"Am\s.{1,250}?schrieb.{0,120}:"),
)

# A line after which everything is history (no bottom posting follows these).
SEPARATORS: Forms = (
    (
        "outlook_original",
        r"[-―ー─]{2,}\s*(?:Original Message|Original message|元のメッセージ|オリジナル\s?メッセージ|"
        r"Ursprüngliche Nachricht|Message d'origine)\s*[-―ー─]{2,}",
    ),
    (
        "forwarded",
        r"[-―ー─]{2,}\s*(?:Forwarded [Mm]essage|転送メッセージ|転送されたメッセージ|"
        r"Weitergeleitete Nachricht|Message transféré)\s*[-―ー─]{2,}",
    ),
    ("apple_forwarded", r"(?:Begin forwarded message|転送されたメッセージ|以下転送)\s?[:：]"),
    ("reply_above_line", r"-{2,}\s*(?:Reply above this line|この行より上に返信).{0,20}-{2,}|##-.{0,60}-##"),
)

# Outlook's quoted header block: a From line, then Sent/To/Subject lines (English, Japanese, others).
HEADER_FROM: Forms = (("outlook_header_block", r"\*?(?:From|差出人|送信者|Von|De|寄件者|发件人)\*?\s?[:：]"),)
HEADER_OTHER: Forms = (
    (
        "header_key",
        r"\*?(?:Sent|Date|To|Cc|CC|Subject|送信日時|送信日|日時|日付|宛先|件名|Gesendet|An|Betreff|Envoyé|"
        r"À|Objet|Datum|寄件日期|收件者|主旨)\*?\s?[:：]",
    ),
)
RULE_LINE = re.compile(r"\s*(?:[_＿]{10,}|-{10,}|[─━]{10,})\s*")

# A line from which the rest is a signature (when there is text above it).
SIGNATURE_STARTS: Forms = (
    ("signature_dashes", r"--\s?|―{2}"),
    (
        "mobile_en",
        r"Sent from my\s.{1,40}|Sent from (?:Mail|Outlook|Yahoo Mail|Gmail|my mobile|Samsung).{0,40}|"
        r"Get Outlook for (?:iOS|Android).{0,10}|Sent (?:via|with) .{1,40}|Envoyé de mon .{1,30}",
    ),
    (
        "mobile_ja",
        r".{0,20}?(?:iPhone|iPad|Android|スマートフォン|スマホ|携帯|モバイル|Outlook|Galaxy|Xperia|AQUOS)"
        r"\s?(?:から|より)送信.{0,10}",
    ),
    ("outlook_app_ja", r"(?:iOS|Android)\s?(?:版|用)\s?(?:の\s?)?Outlook\s?(?:を入手|から送信).{0,10}"),
)

# A paragraph of legal boilerplate; it and everything after it go.
DISCLAIMERS: Forms = (
    (
        "disclaimer_confidential_en",
        r"this (?:e-?mail|message|communication|transmission)"
        r"(?: and any (?:files|attachments)[^.]{0,80})?"
        r"[^.]{0,40}\b(?:is|are|may be|contains?|may contain)\b[^.]{0,80}(?:confidential|privileged)",
    ),
    (
        "disclaimer_notice",
        r"confidentiality notice|\bdisclaimer\s?:|legal notice|privileged (?:and|&) confidential",
    ),
    (
        "disclaimer_error_en",
        r"if you (?:are not the intended recipient|have received this (?:e-?mail|message|communication)"
        r" in error)",
    ),
    (
        "disclaimer_ja",
        r"(?:本|この|当)(?:電子)?メール.{0,80}?(?:機密|秘密|守秘|第三者への開示|誤って|誤送信)|"
        r"(?:機密|秘密)情報が含まれ|誤って.{0,20}(?:受信|届いた|受け取)",
    ),
)

# Every DISCLAIMERS form contains one of these: a cheap test before the regexes.
_DISCLAIMER_WORDS = (
    "confidential",
    "privileged",
    "notice",
    "disclaimer",
    "intended recipient",
    "in error",
    "機密",
    "秘密",
    "守秘",
    "開示",
    "誤",
)

# What marks a block of lines as contact details.
CONTACT = re.compile(
    r"(?i)\bTEL\b|\bFAX\b|電話|携帯|〒|株式会社|\(株\)|（株）|㈱|有限会社|合同会社|\bE-?mail\b|\bURL\b|https?://|"
    r"www\.|\b(?:Inc|Ltd|LLC|Corp|GmbH|K\.K|Co\.)\b|\bMobile\b|\bPhone\b|"
    r"\+?\(?\d{1,4}\)?[-\s.]\d{1,4}[-\s.]\d{3,4}|[\w.+-]+@[\w-]+\.[\w.-]+"
)
FRAME_LINE = re.compile(r"\s*[\u2500-\u257f―ー＝=\-_＿*＊~～■□◆◇☆★・.…※#〓+]{5,}\s*")
QUOTED = re.compile(r"\s*(?:>|＞|&gt;)")
_HIRAGANA = re.compile(r"[\u3041-\u309f]")
_SENTENCE_END = re.compile(r"[.!?。！？]\s*$")
_COMPANY_END = re.compile(r"(?i)\b(?:inc|ltd|co|corp|llc|k\.k|jr|sr)\.\s*$")
_JA_PREDICATE = re.compile(r"(?:ます|です|ください|ました|ません|でした)[。！？!?]?\s*$")
_SMALL_WORDS = frozenset({"of", "and", "&", "the", "for", "de", "van", "von", "der", "|", "-", "/", "at"})
_CLIENT_EVIDENCE = re.compile(r"@|\d{1,2}:\d{2}|\d{4}")
_SIGNATURE_WINDOW = 12  # lines after a frame line in which contact details mark it as a signature


def _combine(forms: Forms, flags: int = 0) -> re.Pattern[str]:
    return re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in forms), flags)


_ATTRIBUTION_RE = _combine(ATTRIBUTIONS)
_SEPARATOR_RE = _combine(SEPARATORS)
_FROM_RE = _combine(HEADER_FROM)
_OTHER_RE = _combine(HEADER_OTHER)
_SIGNATURE_RE = _combine(SIGNATURE_STARTS)
_DISCLAIMER_RE = _combine(DISCLAIMERS, re.IGNORECASE)


@dataclass(frozen=True)
class Reply:
    text: str  # the new words
    cuts: tuple[str, ...]  # names of the forms that fired, in the order applied


def extract_reply(text: str, *, html: str | None = None) -> str:
    """The customer's new words only (see module docstring); never empty when the mail had words."""
    return extract_reply_details(text, html=html).text


def extract_reply_details(text: str, *, html: str | None = None, _inner: bool = False) -> Reply:
    """extract_reply, plus the names of what was cut (for the review UI and for tuning)."""
    norm = text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text
    lines = _Lines(norm)
    cuts: list[str] = []
    start, name = _history_start(lines)
    if name:
        cuts.append(name)
    kept, dropped_quote = _drop_quoted(lines, start)
    if dropped_quote:
        cuts.append("quoted_lines")
    if html and not name and not dropped_quote and may_have_quote_container(html):
        html_text, found = split_html_quote(html)
        if found and html_text.strip():
            kept = clean_text(html_text)[0].split("\n")  # entities like &#0; become U+FFFD
            cuts.append("html_quote_container")
    kept, signature_cuts = _strip_signature(kept)
    cuts.extend(signature_cuts)
    result = _tidy(kept)
    if name in FORWARD_FORMS and not _inner and _points_below(result):
        forwarded = extract_reply_details(_without_header_lines(lines.lines[start + 1 :]), _inner=True).text
        if forwarded:
            result = f"{result}\n\n{forwarded}" if result else forwarded
            cuts.append("forwarded_note_kept")
    if not result:
        result = _first_block(lines.lines)
        cuts.append("fallback_first_block")
    return Reply(result, tuple(cuts))


# --- a forwarded internal note ---------------------------------------------------------------------------

# "See below from our AP team" / 経理からの回答を転送します: the customer's answer is the forwarded note's words,
# so they are kept (one level deep: the note's own quoted history is cut as usual).
FORWARD_FORMS = frozenset({"forwarded", "apple_forwarded"})
_POINTER_MAX = 300  # characters of new text above the forward: more is the customer's own answer
_POINTER = re.compile(
    r"(?i)\b(?:see|read|find|is|are|as)\b[^.\n]{0,40}\bbelow\b|\bbelow\b[^.\n]{0,60}\b(?:from|is|says|said|told)\b|"
    r"\bforward(?:ed|ing)?\b|\bfyi\b|\bfrom our (?:ap|accounts|finance|payables)\b|"
    r"転送|下記|以下|のとおり|の通り|回答"
)


def _points_below(new_text: str) -> bool:
    """New words that only hand over to the forwarded note (or none at all)."""
    return not new_text.strip() or (len(new_text) <= _POINTER_MAX and bool(_POINTER.search(new_text)))


def _header_or_blank(line: str) -> bool:
    return not line or bool(_FROM_RE.match(line)) or bool(_OTHER_RE.match(line))


def _without_header_lines(lines: Sequence[str]) -> str:
    """The forwarded message's body: its From/Date/Subject/To lines and the blank lines around them dropped."""
    i = 0
    while i < len(lines) and _header_or_blank(lines[i].strip()):
        i += 1
    return "\n".join(lines[i:])


# --- quoted history --------------------------------------------------------------------------------------

# Lines worth a closer look, found by one regex pass instead of testing every pattern on every line.
_QUOTED_LINE = re.compile(r"(?m)^[ \t]*(?:>|＞|&gt;)")
_COLON_END = re.compile(r"(?m)[:：][ \t]*$")
_BOUNDARY_HINT = re.compile(
    r"(?m)^[ \t]*(?:-{2}|[―ー─]{2}|[_＿]{10}|[─━]{10}|"
    r"\*?(?:From|差出人|送信者|Von|De|寄件者|发件人)\*?[ \t]?[:：]|Begin forwarded|転送された|以下転送|##-)"
)


def _line_numbers(text: str, pattern: re.Pattern[str]) -> set[int]:
    found: set[int] = set()
    line = pos = 0
    for m in pattern.finditer(text):
        line += text.count("\n", pos, m.start())
        pos = m.start()
        found.add(line)
    return found


class _Lines:
    """The reply's lines, with the indexes of quoted lines and of lines that may start history."""

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")
        self.quoted = _line_numbers(text, _QUOTED_LINE)
        colon = _line_numbers(text, _COLON_END)
        # an attribution may be wrapped: the line before a colon-ending line may start it
        self.attribution_candidates = sorted((colon | {i - 1 for i in colon if i}) - self.quoted)
        self.candidates = sorted(
            (set(self.attribution_candidates) | _line_numbers(text, _BOUNDARY_HINT)) - self.quoted
        )

    def next_is_quoted(self, i: int) -> bool:
        j = _next_content(self.lines, i)
        return j is not None and j in self.quoted


def _ends_with_colon(line: str) -> bool:
    return line.endswith((":", "："))


def _attribution(lines: Sequence[str], i: int) -> tuple[str, int] | None:
    """(form name, lines used) when line i (or i and i+1: clients wrap long ones) introduces a quote."""
    line = lines[i].strip()
    if _ends_with_colon(line):
        m = _ATTRIBUTION_RE.fullmatch(line)
        if m:
            return m.lastgroup or "attribution", 1
    elif i + 1 < len(lines) and _ends_with_colon(lines[i + 1].strip()) and len(line) < 200:
        m = _ATTRIBUTION_RE.fullmatch(f"{line} {lines[i + 1].strip()}")
        if m:
            return m.lastgroup or "attribution", 2
    return None


def _next_content(lines: Sequence[str], i: int) -> int | None:
    for j in range(i, len(lines)):
        if lines[j].strip():
            return j
    return None


def _header_block(lines: Sequence[str], i: int) -> bool:
    """Line i is "From: …" and at least two of the next five lines are Sent/To/Subject-style keys."""
    found = 0
    for line in lines[i + 1 : i + 7]:
        if _OTHER_RE.match(line.strip()):
            found += 1
    return found >= 2


def _history_start(text: _Lines) -> tuple[int, str | None]:
    """Index of the first line of quoted history that nothing new follows, and the form that said so."""
    lines = text.lines
    for i in text.candidates:
        line = lines[i].strip()
        if not line:
            continue
        found = _attribution(lines, i)
        if found:
            name, used = found
            # Without "> " lines below, an attribution cuts everything after it, so it must look like a
            # client's (an address, a time or a year), not a customer's "On Monday I wrote:".
            attribution = " ".join(x.strip() for x in lines[i : i + used])
            if not text.next_is_quoted(i + used) and _CLIENT_EVIDENCE.search(attribution):
                return i, name
            continue
        m = _SEPARATOR_RE.fullmatch(line)
        if m:
            return i, m.lastgroup
        m = _FROM_RE.match(line)
        if m and _header_block(lines, i):
            before = i - 1
            while before >= 0 and not lines[before].strip():
                before -= 1
            start = before if before >= 0 and RULE_LINE.fullmatch(lines[before]) else i
            return start, m.lastgroup
    return len(lines), None


def _drop_quoted(text: _Lines, end: int) -> tuple[list[str], bool]:
    """Lines before `end` without "> " lines and the attribution lines that introduce them (interleaved
    new text stays)."""
    drop = {i for i in text.quoted if i < end}
    for i in text.attribution_candidates:
        if i >= end or i in drop:
            continue
        found = _attribution(text.lines, i)
        if found and text.next_is_quoted(i + found[1]):
            drop.update(range(i, i + found[1]))
    if not drop:
        return text.lines[:end], False
    return [line for i, line in enumerate(text.lines[:end]) if i not in drop], True


# --- signatures and disclaimers --------------------------------------------------------------------------


def _first_content(lines: Sequence[str]) -> int | None:
    return _next_content(lines, 0)


def _signature_start(lines: Sequence[str], first: int) -> tuple[int, str] | None:
    for i in range(first + 1, len(lines)):
        line = lines[i].strip()
        if not line or len(line) > 80:  # signature openers and frame lines are short
            continue
        m = _SIGNATURE_RE.fullmatch(line)
        if m:
            return i, m.lastgroup or "signature"
        if FRAME_LINE.fullmatch(line) and _framed_block_is_signature(lines, i):
            return i, "signature_frame"
    return None


def _framed_block_is_signature(lines: Sequence[str], frame: int) -> bool:
    """The lines under a ━━━/＝＝＝/----- rule are a signature: contact details and name-like lines,
    up to the closing rule or the end of the block (not a framed notice in a bounce or newsletter)."""
    block: list[str] = []
    for line in lines[frame + 1 : frame + 1 + _SIGNATURE_WINDOW]:
        stripped = line.strip()
        if FRAME_LINE.fullmatch(stripped) or (not stripped and block):
            break
        if stripped:
            block.append(stripped)
    if not block or not any(CONTACT.search(x) for x in block):
        return False
    return sum(1 for x in block if _name_like(x)) >= max(1, len(block) - 1)


def _paragraphs(lines: Sequence[str], start: int) -> list[tuple[int, int]]:
    """(first, end) line ranges of the blank-line-separated blocks from `start` on."""
    found: list[tuple[int, int]] = []
    i = start
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        end = i
        while end < len(lines) and lines[end].strip():
            end += 1
        found.append((i, end))
        i = end
    return found


def _tail_like(lines: Sequence[str], first: int, end: int) -> bool:
    """A block that may follow a disclaimer: more boilerplate, a rule, or signature lines."""
    block = " ".join(x.strip() for x in lines[first:end])
    if _DISCLAIMER_RE.search(block):
        return True
    return all(FRAME_LINE.fullmatch(x.strip()) or _name_like(x) for x in lines[first:end])


def _disclaimer_start(lines: Sequence[str], first: int) -> tuple[int, str] | None:
    """Start of the legal boilerplate at the end: a paragraph (never the first) that reads as a
    disclaimer and is followed only by more boilerplate or signature lines. A customer who writes
    "this mail is confidential" in the middle of a reply keeps the rest of the reply."""
    blocks = _paragraphs(lines, first)[1:]
    rest = "\n".join(lines[blocks[0][0] :]).lower() if blocks else ""
    if not any(word in rest for word in _DISCLAIMER_WORDS):
        return None
    for n, (start, end) in enumerate(blocks):
        m = _DISCLAIMER_RE.search(" ".join(x.strip() for x in lines[start:end]))
        if m and all(_tail_like(lines, s, e) for s, e in blocks[n + 1 :]):
            return start, m.lastgroup or "disclaimer"
    return None


def _name_like(line: str) -> bool:
    """A line that could sit in a signature: contact details, or a short name/title/company line."""
    s = line.strip()
    if CONTACT.search(s):
        return not _prose(s)  # "Please call me on 03-1234-5678." is the customer talking, not a signature
    if len(s) > 40 or _HIRAGANA.search(s) or _SENTENCE_END.search(s) or any(c.isdigit() for c in s):
        return False
    words = s.split()
    if len(words) > 6:
        return False
    return all(_title_word(w) for w in words)


def _prose(line: str) -> bool:
    if _JA_PREDICATE.search(line) or (_SENTENCE_END.search(line) and not _COMPANY_END.search(line)):
        return True
    return sum(1 for w in line.split() if w.isascii() and w.isalpha() and w.islower()) >= 3


def _title_word(word: str) -> bool:
    return not word[0].isalpha() or word[0].isupper() or not word.isascii() or word.lower() in _SMALL_WORDS


def _trailing_contact_block(lines: list[str]) -> int | None:
    """Start of a name/title/phone block at the very end (no delimiter), when one is there."""
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    start = end
    while start and lines[start - 1].strip() and _name_like(lines[start - 1]):
        start -= 1
    block = lines[start:end]
    if not block or len(block) > _SIGNATURE_WINDOW or not any(CONTACT.search(x) for x in block):
        return None
    if not any(x.strip() for x in lines[:start]):
        return None
    return start


def _strip_signature(lines: list[str]) -> tuple[list[str], list[str]]:
    first = _first_content(lines)
    if first is None:
        return lines, []
    candidates = [c for c in (_signature_start(lines, first), _disclaimer_start(lines, first)) if c]
    cuts: list[str] = []
    if candidates:
        start, name = min(candidates)
        lines = lines[:start]
        cuts.append(name)
    block = _trailing_contact_block(lines)
    if block is not None:
        lines = lines[:block]
        cuts.append("signature_contact_block")
    return lines, cuts


# --- output ----------------------------------------------------------------------------------------------


def _tidy(lines: Sequence[str]) -> str:
    out: list[str] = []
    for line in lines:
        line = line.rstrip()
        if not line and (not out or not out[-1]):
            continue
        out.append(line)
    return "\n".join(out).strip("\n")


def _is_marker(lines: Sequence[str], i: int) -> bool:
    line = lines[i].strip()
    return bool(
        _attribution(lines, i)
        or _SEPARATOR_RE.fullmatch(line)
        or _FROM_RE.match(line)
        or _OTHER_RE.match(line)
        or RULE_LINE.fullmatch(line)
    )


def _first_block(lines: Sequence[str]) -> str:
    """The first non-empty paragraph, quote marks removed, skipping attribution and header lines."""
    unquoted = [QUOTED.sub("", line, count=1) if QUOTED.match(line) else line for line in lines]
    unquoted = [re.sub(r"^(?:\s*(?:>|＞)\s?)+", "", line) for line in unquoted]
    block: list[str] = []
    for i, line in enumerate(unquoted):
        if not line.strip():
            if block:
                break
            continue
        if _is_marker(unquoted, i):
            if block:
                break
            continue
        block.append(line.rstrip())
    if block:
        return "\n".join(block).strip()
    return "\n".join(x.rstrip() for x in lines).strip()
