"""classify(mail) -> Classification: what a customer's reply means, composed from the small pieces.

    bounce / auto-reply (headers first)  ->  the customer's new words (quotes, signatures cut)
    -> language -> sentences (+ a fresh subject, + attachment names) -> intent rules -> precedence
    -> the learned model weighs the rules' verdict (worker.classify.model): its calibrated probability
       decides the intent and is the confidence
    -> the promised date, invoice references and amounts.

Pure apart from parsing: the same mail always gives the same answer (relative dates are resolved
against the mail's own Date header, never the clock — except for a mail without a Date, where today
in UTC is all there is). classify_bytes() never raises: an unreadable mail is `other` with
confidence 0 so a person looks at it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Literal

import structlog

from worker.classify import lexicon_en, lexicon_ja
from worker.classify.automatic import Automatic, detect_automatic
from worker.classify.dates import FoundDate, Prefer, find_dates, lower_keeping_length
from worker.classify.entities import find_amounts, find_invoice_refs
from worker.classify.language import detect_language
from worker.classify.model import IntentModel, current_model
from worker.classify.rules import (
    SAID,
    Document,
    Hit,
    Language,
    Rule,
    Sentence,
    Verdict,
    combine,
    decide,
    run_rules,
)
from worker.domain import DEFAULT_MIN_CONFIDENCE, PRECEDENCE, Classification, Intent
from worker.errors import MailParseError
from worker.inbound.message import ParsedMail

log = structlog.get_logger(__name__)

# Below this the caller sends the reply to a person instead of acting on it (the default of
# settings.classify_min_confidence; `dunmail classify --details` has no settings and uses it for needs_review).
LOW_CONFIDENCE = DEFAULT_MIN_CONFIDENCE
NOTHING_SAID = 0.3  # confidence of "other" when no rule fired at all
SUBJECT_WEIGHT = 0.8  # a subject the customer wrote counts a little less than the body
ATTACHMENT_WEIGHT = 0.75  # "remittance.pdf" hints at a payment but is not a sentence
MAX_CONFIDENCE = 0.999  # a probability, never certainty: 0.9996 must not print as 1.0
PROOF_RULE = "paid_proof_attached"  # an attachment named like a remittance advice or 振込明細
MAX_REPLY_CHARS = 6000  # rules read the start of very long replies only (pasted statements, logs)

RULESETS: dict[str, tuple[Sequence[Rule], Language]] = {
    "en": (lexicon_en.RULES, lexicon_en.ENGLISH),
    "ja": (lexicon_ja.RULES, lexicon_ja.JAPANESE),
}

_REPLY_PREFIX = re.compile(
    r"^\s*(?:(?:re|aw|sv|vs|antw|回答|返信|答复|fwd?|fw|wg|tr|転送)\s*(?:\[\d+\])?\s*[:：]\s*)+",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"(?:[^\n.!?。！？]|[.!?](?=[^\s.!?]))+[.!?。！？]*")
_ASCII_WORDS = re.compile(r"(?:\b[A-Za-z]{2,}\b[^\n\w]{0,3}){4}")  # a phrase, not a lone "INV" or "PDF"
_KANA = re.compile(r"[\u3040-\u30ff]{2}")
# Misspellings customers really send, read as the word they mean before the rules run.
MISSPELLINGS = {
    "recieve": "receive",
    "recieved": "received",
    "recieving": "receiving",
    "payed": "paid",
    "paymnet": "payment",
    "paymet": "payment",
    "pyment": "payment",
    "paymnt": "payment",
    "til": "till",
    "nxt": "next",
    "installement": "instalment",
    "installements": "instalments",
    "instalement": "instalment",
    "instalements": "instalments",
    "untill": "until",
    "transfered": "transferred",
    "tranfered": "transferred",
    "remmitted": "remitted",
    "remited": "remitted",
    "remmittance": "remittance",
    "defficient": "deficient",
    "damagd": "damaged",
    "delievered": "delivered",
    "deliverd": "delivered",
}
_MISSPELLED = re.compile(
    r"\b(?:" + "|".join(sorted(map(re.escape, MISSPELLINGS), key=len, reverse=True)) + r")\b"
)
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\uff07": "'"})  # "I’ll" is "I'll"
_SOFT_BREAK = re.compile(r"(?<=[^\n])\n(?=[^\n])")
_PROOF_NAME = re.compile(
    r"remit|payment[_ -]?(?:advice|confirm|proof|receipt)|proof[_ -]?of[_ -]?payment|"
    r"transfer[_ -]?confirm|swift|"
    r"mt103|振込|送金|支払(?:通知|明細)|入金",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Reading:
    """What the rules make of a reply, before the learned model weighs in (also what training reads)."""

    reply: str  # the customer's new words, whole
    body: str  # the part the rules and the model read
    subject: str  # the subject when the customer wrote it, else ""
    language: str
    reference: datetime
    automatic: Automatic | None
    verdict: Verdict | None  # None when the mail is a bounce or an auto-reply by its structure

    @property
    def model_text(self) -> str:
        """What the learned model reads: the customer's own subject and words."""
        return f"{self.subject}\n{self.body}" if self.subject else self.body


def read_rules(mail: ParsedMail) -> Reading:
    """The reply's words and the rules' verdict on them (no verdict for structural bounces/auto-replies)."""
    from worker.inbound.replytext import extract_reply

    reply = extract_reply(mail.text, html=mail.html).strip()
    automatic = detect_automatic(mail, reply=reply)  # reads the same reply: extracted once
    reference = _reference(mail)
    body = reply[:MAX_REPLY_CHARS]
    subject = _fresh_subject(mail.subject)
    language = detect_language(body or subject)
    if automatic is not None and not automatic.words_only:
        return Reading(reply, body, subject, language, reference, automatic, None)
    verdict = read_intent(
        body,
        reference,
        language=language,
        subject=subject,
        attachment_names=[a.filename for a in mail.attachments if a.filename],
    )
    return Reading(reply, body, subject, language, reference, automatic, verdict)


def classify(mail: ParsedMail, *, model: IntentModel | Literal["current"] | None = "current") -> Classification:
    """What one parsed reply means (see the module docstring). `model` None decides by the rules alone."""
    reading = read_rules(mail)
    if reading.verdict is None:
        assert reading.automatic is not None
        return _automatic(mail, reading.automatic, reading.reply, reading.reference)
    chosen = current_model() if model == "current" else model
    verdict = weigh(reading, chosen)
    if verdict.intent is Intent.AUTO_REPLY:  # the model read an out-of-office without its headers
        found = reading.automatic or Automatic("auto_reply", reason="model:auto_reply", words_only=True)
        return replace(_automatic(mail, found, reading.reply, reading.reference),
                       confidence=round(verdict.confidence, 3), alternatives=verdict.alternatives)
    if chosen is None and reading.automatic is not None and (
        verdict.intent is Intent.OTHER or verdict.confidence < SAID
    ):
        return _automatic(mail, reading.automatic, reading.reply, reading.reference)  # only the words said so
    body, reference, language = reading.body, reading.reference, reading.language
    promised = _date_of(verdict, body, reference, language)
    return Classification(
        intent=verdict.intent,
        confidence=round(verdict.confidence, 3),
        language=language,
        reply_text=reading.reply,
        promised_date=promised,
        invoice_refs=tuple(find_invoice_refs(f"{mail.subject}\n{body}")),
        amounts=tuple(find_amounts(body)),
        reasons=verdict.reasons,
        why=verdict.why,
        alternatives=verdict.alternatives,
    )


def weigh(reading: Reading, model: IntentModel | None) -> Verdict:
    """The rules' verdict weighed by the learned model: its stacked probability decides, and is the confidence.

    The model also weighs the out-of-office detector's reading of words without headers (a person
    announcing their own leave is not an auto-reply). Without a model the rules' verdict stands."""
    verdict = reading.verdict
    assert verdict is not None
    if model is None:
        return verdict
    probs = model.probabilities(
        reading.model_text, verdict.scores, verdict.intent, automatic=reading.automatic is not None
    )
    ranked = sorted(probs, key=lambda i: -probs[i])
    best = ranked[0]
    alternatives = tuple((i, round(min(probs[i], MAX_CONFIDENCE), 3)) for i in ranked[:2])
    if best is Intent.OTHER and any(h.rule == PROOF_RULE for h in verdict.hits):
        # A remittance advice attached says paid whatever the words; the model reads words only.
        return replace(verdict, intent=Intent.PAID, confidence=verdict.scores.get(Intent.PAID, ATTACHMENT_WEIGHT),
                       alternatives=alternatives, model_reasons=(PROOF_RULE,))
    reasons = (*(verdict.reasons if best is verdict.intent else ()), f"model:{best.value}")
    confidence = min(probs[best], MAX_CONFIDENCE)
    return replace(verdict, intent=best, confidence=confidence, alternatives=alternatives, model_reasons=reasons)


def classify_bytes(raw: bytes, *, model: IntentModel | Literal["current"] | None = "current") -> Classification:
    """Parse and classify; never raises. An unreadable mail is `other` with confidence 0."""
    from worker.inbound.mime import parse_mail

    try:
        return classify(parse_mail(raw), model=model)
    except MailParseError as exc:
        return _unreadable(f"parse_failed:{exc}")
    except Exception as exc:  # the catch-all at the edge: a person reads the raw mail instead
        log.warning("classify_failed", error=type(exc).__name__)
        return _unreadable(f"classify_failed:{type(exc).__name__}")


def _unreadable(reason: str) -> Classification:
    return Classification(
        intent=Intent.OTHER, confidence=0.0, language="und", reply_text="", reasons=(reason,)
    )


def read_intent(
    text: str,
    reference: datetime | date,
    *,
    language: str | None = None,
    subject: str = "",
    attachment_names: Sequence[str] = (),
) -> Verdict:
    """The intent of a reply's words by the rules of its language (English rules for others).

    A reply in one language with whole phrases in the other (an English line in a Japanese mail) is
    read by both rule sets.
    """
    code = language or detect_language(text or subject)
    readings: list[tuple[Sequence[Rule], Language, Document]] = []
    for rules, lang in _rulesets_for(f"{subject}\n{text}", code):
        readings.append((rules, lang, make_document(text, reference, lang)))
        if subject:
            readings.append((rules, lang, make_document(subject, reference, lang, weight=SUBJECT_WEIGHT)))
    hits: list[Hit] = []
    proof = next((n for n in attachment_names if _PROOF_NAME.search(n)), None)
    if proof is not None:
        hits.append(Hit(PROOF_RULE, Intent.PAID, ATTACHMENT_WEIGHT, (0, 0), -1))
    # Intents in precedence order; once one is said, the ones below it cannot change the verdict.
    for intent in PRECEDENCE:
        for rules, lang, doc in readings:
            hits += run_rules([r for r in rules if r.intent is intent], doc, lang)
        if combine([h for h in hits if h.intent is intent]).get(intent, 0.0) >= SAID:
            break
    return decide(hits, nothing_said=NOTHING_SAID)


def _rulesets_for(text: str, code: str) -> list[tuple[Sequence[Rule], Language]]:
    primary = RULESETS.get(code, RULESETS["en"])
    other = RULESETS["en"] if primary is RULESETS["ja"] else RULESETS["ja"]
    mixed = _ASCII_WORDS.search(text) if other is RULESETS["en"] else _KANA.search(text)
    return [primary, other] if mixed else [primary]


def make_document(text: str, reference: datetime | date, lang: Language, *, weight: float = 1.0) -> Document:
    """A reply's text as the rules read it: hard-wrapped lines joined, sentences with the dates they name."""
    joined = lower_keeping_length(join_lines(text, lang.code).translate(_QUOTES))  # rules are lower-case
    joined = _MISSPELLED.sub(lambda m: MISSPELLINGS[m.group()], joined)
    found = find_dates(joined, reference)
    sentences: list[Sentence] = []
    for m in _SENTENCE.finditer(joined):
        piece = m.group()
        if not piece.strip():
            continue
        dates = tuple(f.value for f in found if m.start() <= f.start < m.end())
        sentences.append(Sentence(m.start(), m.end(), dates, bool(lang.question.search(piece.strip()))))
    return Document(joined, tuple(sentences), weight)


def _date_of(verdict: Verdict, body: str, reference: datetime | date, language: str) -> date | None:
    """The date the reply's words give for its intent, read over the whole reply (see _first_promise_date:
    where a date stands decides whether it is the day of payment, not which sentence a rule fired in)."""
    return promised_date(body, reference, verdict.intent, language=language)


def join_lines(text: str, language: str) -> str:
    """Hard-wrapped lines joined into one (Japanese without a space), paragraphs kept apart."""
    return _SOFT_BREAK.sub("" if language == "ja" else " ", text) if "\n" in text else text


def promised_date(
    text: str, reference: datetime | date, intent: Intent, *, language: str = "en"
) -> date | None:
    """The date a promise (or plan, or payment) names: for a promise its first future deadline (else its
    first future date); for a payment the last date on or before the reply."""
    if intent not in (Intent.PROMISE_TO_PAY, Intent.PAYMENT_PLAN, Intent.PAID):
        return None
    prefer: Prefer = "past" if intent is Intent.PAID else "future"
    found = find_dates(join_lines(text, language), reference, prefer=prefer)
    if not found:
        return None
    if intent is Intent.PAID:
        return _last_on_or_before(found, _day(reference))
    return _first_promise_date(found, _day(reference), join_lines(text, language))


def _first_promise_date(found: Sequence[FoundDate], today: date, text: str = "") -> date | None:
    """The day a promise names, read from where each date stands in the text:

    - a date that is not the payment's is dropped: a closing day (20日締め), the day an invoice was received
      or booked, a holiday or a day off given as the reason ("the 23rd is a holiday", "on leave from
      tomorrow"), and the first end of a range ("between the 10th and 15th", 1日から3日の間);
    - of the rest, the last one standing next to a payment word (pay, transfer, run, 振込, 支払, 入金 …)
      — people give the rule first and the day last ("due on the 31st, a Sunday, so we pay on the 29th");
    - else the first deadline ("by …", …まで), else the first future date.
    """
    future = [f for f in found if f.value >= today]
    lowered = lower_keeping_length(text)  # once: every look around a date below reads it
    if text:
        future = _payment_days(future, lowered)
    if not future:
        return None
    anchored = [f for f in future if _near_payment_word(lowered, f)] if text else []
    if anchored:
        return anchored[-1].value
    deadlines = [f for f in future if f.deadline or _LATEST_AFTER.match(lowered[f.end : f.end + 24])]
    return (deadlines or future)[0].value


# After a date: it is a closing day, a receipt or booking day, a holiday or day off — not the day paid.
_NOT_PAY_DAY_AFTER = re.compile(
    r"^\s?(?:[(（][^)）]{1,4}[)）])?\s?(?:分|の?締め|〆|締|に?受領|に?受け取|に?計上|に?納品|付け?の?請求|"
    r"(?:は|が)[^。、\n]{0,8}(?:祝日|休日|休み|休業|日曜|土曜|不在|連休)|から[^。、\n]{0,6}(?:休み|休暇|不在|出張|夏休|お盆|連休)|"
    r",? (?:is|falls on|being) (?:a )?(?:holiday|sunday|saturday|bank holiday|weekend))"
)
# Before a date: leave or absence starting then, a receipt or invoice date.
_NOT_PAY_DAY_BEFORE = re.compile(
    r"(?:leave|holiday|vacation|off|away|travell?ing|out of (?:the )?office)(?: from| starting| until| till)?\s*"
    r"(?:on\s+)?$|(?:received|dated|issued|invoiced)(?: on| it on)?\s*$|(?:ends?|closes?|cut-?off)(?: on)?\s*$"
)
# The first end of a range: "X から Y", "X to Y", "between X and Y", "X–Y", "X or Y".
_RANGE_AFTER = re.compile(r"^\s?(?:[(（][^)）]{1,3}[)）])?\s?(?:から|～|〜|~|–|-|to |and |or |through |thru )\s?")
_PAYMENT_WORD = re.compile(
    r"pa(?:y|id|ying|yment)|transfer|wire|remit|settle|send|sent|run|release|clear|"
    r"振込|振り込|振替|支払|払|入金|送金|決済|処理"
)
_NEAR = 40  # characters between a date and its payment word, either side (in the same sentence)


# Before a date, weaker: the day someone is back or busy until. It is the payment day only when nothing
# else is ("I'll pay it the day I get back, Monday 14th"), so it is dropped only if another date remains.
_BACK_BEFORE = re.compile(r"\b(?:back|return(?:ing|s)?)\b[^.,;!?]{0,24}?(?:\bon)?\s*$|(?:till|until|til)\s*$")
# After a date: "Friday at the latest" is a deadline as much as "by Friday".
_LATEST_AFTER = re.compile(r"^[\s,]*(?:at\s+the\s+(?:very\s+)?latest|latest|at\s+the\s+outside)\b")


def _payment_days(found: Sequence[FoundDate], lowered: str) -> list[FoundDate]:
    kept: list[FoundDate] = []
    back: list[FoundDate] = []
    for i, f in enumerate(found):
        after = lowered[f.end : f.end + 24]
        before = lowered[max(0, f.start - 30) : f.start]
        if _NOT_PAY_DAY_AFTER.match(after) or _NOT_PAY_DAY_BEFORE.search(before):
            continue
        nxt = found[i + 1] if i + 1 < len(found) else None
        if nxt is not None and nxt.start - f.end <= 12 and _RANGE_AFTER.match(lowered[f.end : nxt.start + 1]):
            continue  # a range's first end: the later one stands for it
        (back if _BACK_BEFORE.search(before) and not f.deadline else kept).append(f)
    return kept or back


def _near_payment_word(lowered: str, f: FoundDate) -> bool:
    """A payment word within _NEAR characters of the date, in the same sentence (`lowered`: the text in lower
    case, same length)."""
    before = _SENTENCE_END.split(lowered[max(0, f.start - _NEAR) : f.start])[-1]
    after = _SENTENCE_END.split(lowered[f.end : f.end + _NEAR])[0]
    return bool(_PAYMENT_WORD.search(before) or _PAYMENT_WORD.search(after))


_SENTENCE_END = re.compile(r"[。！？!?\n]|\.(?:\s|$)")


def _last_on_or_before(found: Sequence[FoundDate], today: date) -> date | None:
    past = [f.value for f in found if f.value <= today]
    return past[-1] if past else None


def _automatic(
    mail: ParsedMail, automatic: Automatic, reply: str, reference: datetime | date
) -> Classification:
    language = detect_language(reply or mail.subject)
    if automatic.kind == "bounce":
        return Classification(
            intent=Intent.BOUNCE,
            confidence=automatic.confidence,
            language=language,
            reply_text=reply,
            bounce_recipients=automatic.recipients,
            bounce_permanent=automatic.permanent,
            original_message_id=automatic.original_message_id,
            invoice_refs=tuple(find_invoice_refs(mail.subject)),
            reasons=(automatic.reason,),
        )
    back = automatic.return_date or _return_date(reply, reference)
    return Classification(
        intent=Intent.AUTO_REPLY,
        confidence=automatic.confidence,
        language=language,
        reply_text=reply,
        return_date=back,
        invoice_refs=tuple(find_invoice_refs(mail.subject)),
        reasons=(automatic.reason,),
    )


def _return_date(text: str, reference: datetime | date) -> date | None:
    """The latest future date an out-of-office names: 'away until the 12th, back on Monday the 13th'."""
    today = _day(reference)
    future = [f.value for f in find_dates(text[:2000], reference) if f.value > today]
    return max(future) if future else None


def _fresh_subject(subject: str) -> str:
    """The subject when the customer wrote it; "" when it is ours with Re:/Fwd: in front."""
    return "" if _REPLY_PREFIX.match(subject) else subject.strip()


def _reference(mail: ParsedMail) -> datetime:
    return mail.date if mail.date is not None else datetime.now(UTC)


def _day(reference: datetime | date) -> date:
    return reference.date() if isinstance(reference, datetime) else reference
