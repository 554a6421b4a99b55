"""The intent rules: small named rules as data, and the engine that runs them over a reply's sentences.

A rule is a name, a one-line description, the intent it votes for, a weight in (0, 1] and a pattern.
Its `check()` is side-effect free: given one sentence it returns the hits or nothing. What keeps a
pattern from firing is data on the rule, not code around it:

- ``negatable``: a negation in the same clause cancels it ("we have *not* paid", "支払って*おりません*").
  Rules whose pattern already holds the negation ("not received the goods", 届いていません) set it False.
- ``blocker``: a pattern that, found in the clause before the match, cancels it ("will be" before
  "paid" is a promise, not a payment; 請求書 before 届いていません is a missing invoice, not goods).
- ``needs_date``: True fires only when the sentence names a date; False only when it names none.
- ``question``: the weight factor when the sentence is a question ("did you receive our payment?"
  still says the customer paid; "will you accept payment on Friday?" hardly promises).
- A hedge ("if", "once", 次第, 場合) in the clause lowers paid and promise hits.

Each language supplies its own tuple of rules and its own negation, hedge and question patterns
(lexicon_en, lexicon_ja). Scores per intent combine independent hits (1 - Π(1 - w)); the intent
decided is the first in PRECEDENCE whose score reaches SAID — DESIGN.md's "dispute > payment_plan >
paid > promise_to_pay > other" — so one clear sentence of dispute outweighs three of promise.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from worker.domain import PRECEDENCE, Intent

SAID = 0.5  # an intent whose combined score reaches this counts as said by the reply
# Factor on hits inside a conditional clause. "If you have already paid, please disregard" is our own
# reminder's wording (left in when a quote is not cut): a conditional payment must not read as one.
HEDGED = {Intent.PAID: 0.4, Intent.PROMISE_TO_PAY: 0.6}
MAX_SCORE = 0.97  # rules never make the classifier certain


@dataclass(frozen=True)
class Language:
    """How one language marks negation, hedges, clause edges and questions, around a rule's match."""

    code: str
    negation_before: re.Pattern[str] | None  # searched in the clause before the match
    negation_after: re.Pattern[str] | None  # matched at the start of the clause after the match
    hedge: re.Pattern[str]  # searched in the whole clause
    clause_edge: re.Pattern[str]  # where a clause starts or ends inside a sentence
    question: re.Pattern[str]  # searched in the whole sentence
    window: int = 60  # characters of context looked at on either side


@dataclass(frozen=True)
class Sentence:
    """Where one sentence of a document lies, and what the engine needs to know about it."""

    start: int
    end: int
    dates: tuple[date, ...] = ()
    question: bool = False


@dataclass(frozen=True)
class Document:
    """Text the rules read (a reply body, a subject, attachment names), cut into sentences.

    Rules scan the whole text once and look up the sentence of each match, instead of scanning every
    sentence separately: most sentences match nothing, and one pass per rule is several times faster.
    """

    text: str
    sentences: tuple[Sentence, ...]
    weight: float = 1.0  # subject lines and attachment names count less than the body

    def sentence_at(self, pos: int) -> int:
        """Index of the sentence holding position pos (the last one starting at or before it)."""
        return max(0, bisect_right(self._starts, pos) - 1)

    @property
    def _starts(self) -> list[int]:
        return [s.start for s in self.sentences]


@dataclass(frozen=True)
class Hit:
    rule: str
    intent: Intent
    weight: float
    span: tuple[int, int]
    sentence: int
    context: str = ""  # the sentence it fired in (where its date, if any, is looked for)
    dated: bool = False  # whether that sentence names a date


@dataclass(frozen=True)
class Rule:
    """One named pattern that votes for an intent. See the module docstring for the knobs."""

    name: str
    description: str
    intent: Intent
    weight: float
    pattern: re.Pattern[str]
    negatable: bool = True
    blocker: re.Pattern[str] | None = None
    blocker_after: re.Pattern[str] | None = None  # the same, searched in the clause after the match
    needs_date: bool | None = None
    question: float = 1.0
    triggers: tuple[str, ...] = ()  # lower-case words it cannot match without; empty: always run

    def may_match(self, lowered: str) -> bool:
        """False when the text lacks every trigger word, so the pattern cannot match (a cheap pre-check)."""
        gate = _trigger_gate(self.triggers)
        return gate is None or gate.search(lowered) is not None

    def check(self, doc: Document, lang: Language, starts: Sequence[int] | None = None) -> list[Hit]:
        """The hits of this rule in a document (usually none)."""
        hits: list[Hit] = []
        for m in self.pattern.finditer(doc.text):
            index = (
                (bisect_right(starts, m.start()) - 1) if starts is not None else doc.sentence_at(m.start())
            )
            sentence = doc.sentences[max(0, index)]
            if self.needs_date is not None and self.needs_date != bool(sentence.dates):
                continue
            weight = self._weight(doc, sentence, lang, m.start(), m.end())
            if weight > 0:
                context = doc.text[sentence.start : sentence.end]
                span = (m.start(), m.end())
                hits.append(
                    Hit(self.name, self.intent, weight, span, max(0, index), context, bool(sentence.dates))
                )
        return hits

    def _weight(self, doc: Document, sentence: Sentence, lang: Language, start: int, end: int) -> float:
        before, after = _clause(doc.text, start, end, lang, sentence)
        if self.negatable and _negated(before, after, lang):
            return 0.0
        if self.blocker is not None and self.blocker.search(before):
            return 0.0
        if self.blocker_after is not None and self.blocker_after.search(after):
            return 0.0
        weight = self.weight * doc.weight
        if sentence.question and not lang.clause_edge.search(doc.text, end, sentence.end):
            weight *= self.question  # only the clause that asks: "…振込いたしますので、お待ちいただけますか"
        if self.intent in (Intent.PAID, Intent.PROMISE_TO_PAY) and lang.hedge.search(before + " " + after):
            weight *= HEDGED[self.intent]
        return weight


@functools.cache
def _trigger_gate(triggers: tuple[str, ...]) -> re.Pattern[str] | None:
    """One literal alternation per rule: a single C-level search instead of a Python loop of `in` tests."""
    if not triggers:
        return None
    return re.compile("|".join(re.escape(t) for t in sorted(triggers, key=len, reverse=True)))


def _clause(text: str, start: int, end: int, lang: Language, sentence: Sentence) -> tuple[str, str]:
    """The clause around a match: (text before it, text after it), cut at the sentence and clause edges."""
    before = text[max(sentence.start, start - lang.window) : start]
    edges = list(lang.clause_edge.finditer(before))
    if edges:
        before = before[edges[-1].end() :]
    after = text[end : min(max(end, sentence.end), end + lang.window)]
    edge = lang.clause_edge.search(after)
    if edge:
        after = after[: edge.start()]
    return before, after


def _negated(before: str, after: str, lang: Language) -> bool:
    if lang.negation_before is not None and lang.negation_before.search(before):
        return True
    return lang.negation_after is not None and lang.negation_after.match(after) is not None


@dataclass(frozen=True)
class Verdict:
    """What the rules make of a reply: the intent, how sure, and which rules said so."""

    intent: Intent
    confidence: float
    scores: dict[Intent, float] = field(default_factory=dict)
    hits: tuple[Hit, ...] = ()
    alternatives: tuple[tuple[Intent, float], ...] = ()  # the top intents with their probability (model)
    model_reasons: tuple[str, ...] | None = None  # set when the learned model weighed the verdict

    @property
    def reasons(self) -> tuple[str, ...]:
        """Names of the rules that voted for the decided intent, strongest first, each once."""
        if self.model_reasons is not None:
            return self.model_reasons
        mine = sorted((h for h in self.hits if h.intent == self.intent), key=lambda h: -h.weight)
        return tuple(dict.fromkeys(h.rule for h in mine))

    @property
    def why(self) -> tuple[str, ...]:
        """The sentences that said the decided intent, strongest first (at most three), for a person."""
        mine = sorted((h for h in self.hits if h.intent == self.intent and h.context), key=lambda h: -h.weight)
        return tuple(dict.fromkeys(" ".join(h.context.split())[:300] for h in mine))[:3]


def run_rules(rules: Sequence[Rule], doc: Document, lang: Language) -> list[Hit]:
    """Every hit of every rule over a document, in rule order."""
    if not doc.sentences:
        return []
    starts = [s.start for s in doc.sentences]
    lowered = doc.text.lower()  # already lower case from make_document; cheap when it is
    return [hit for rule in rules if rule.may_match(lowered) for hit in rule.check(doc, lang, starts)]


def combine(hits: Sequence[Hit]) -> dict[Intent, float]:
    """Score per intent: independent hits combine as 1 - Π(1 - w), capped below certainty.

    Hits of one intent on overlapping words are one piece of evidence, not several: only the strongest
    of them counts ("already paid" matched by two rules is still one phrase)."""
    misses: dict[Intent, float] = {}
    taken: list[Hit] = []
    for hit in sorted(hits, key=lambda h: -h.weight):
        if any(_same_words(hit, other) for other in taken):
            continue
        taken.append(hit)
        misses[hit.intent] = misses.get(hit.intent, 1.0) * (1.0 - min(hit.weight, 0.99))
    return {intent: min(MAX_SCORE, 1.0 - miss) for intent, miss in misses.items()}


def _same_words(a: Hit, b: Hit) -> bool:
    return a.intent == b.intent and a.context == b.context and a.span[0] < b.span[1] and b.span[0] < a.span[1]


def decide(hits: Sequence[Hit], *, nothing_said: float) -> Verdict:
    """The first intent in PRECEDENCE that the reply says; else the strongest hint, unsure; else other."""
    scores = combine(hits)
    for intent in PRECEDENCE:
        if scores.get(intent, 0.0) >= SAID:
            return Verdict(intent, scores[intent], scores, tuple(hits))
    if scores:
        best = max(scores, key=lambda i: scores[i])
        return Verdict(best, scores[best], scores, tuple(hits))
    return Verdict(Intent.OTHER, nothing_said, scores, tuple(hits))


def rule(
    name: str,
    intent: Intent,
    weight: float,
    pattern: str,
    description: str,
    *,
    negatable: bool = True,
    blocker: str | None = None,
    blocker_after: str | None = None,
    needs_date: bool | None = None,
    question: float = 1.0,
    flags: int = re.IGNORECASE,
) -> Rule:
    """Build a Rule with its patterns compiled case-insensitively (for the lexicon modules)."""
    return Rule(
        name=name,
        description=description,
        intent=intent,
        weight=weight,
        pattern=re.compile(pattern, flags),
        negatable=negatable,
        blocker=re.compile(blocker, flags) if blocker else None,
        blocker_after=re.compile(blocker_after, flags) if blocker_after else None,
        needs_date=needs_date,
        question=question,
    )
