"""Build the learned model (worker.classify.model) from labelled replies: the corpus, plus finance's corrections.

    examples = corpus_examples(Path("tests/corpus"), "train") + labelled_examples(Path("var/feedback"))
    model = fit(examples)            # deterministic: the same examples give the same arrays
    save(model, path)

Every example is read the way the classifier reads a mail (reply extraction, fresh subject, the rules'
verdict), so the model learns from exactly what it will see. The stacker learns only from *honest*
examples — replies the rules were not written from (every corpus source file but the two the rules
were tuned on, and every correction from the review queue) — with the text model's out-of-fold
answers, so neither side looks better to it than it is on new mail.

scikit-learn is needed here only; classifying reads the saved arrays with numpy.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from worker.classify.classifier import read_rules
from worker.classify.features import features
from worker.classify.model import MODEL_INTENTS, IntentModel, stack_inputs
from worker.domain import Intent
from worker.inbound.mime import parse_mail

# Corpus sources the rules were written from: their verdicts there are too good to teach the stacker.
RULES_TUNED_ON = frozenset({"bodies_en", "bodies_ja"})
TEXT_C = 10.0  # inverse regularisation of the text model (chosen by grouped cross-validation on train)
STACK_C = 1.0
FOLDS = 5
MIN_HONEST = 50


class TrainingError(ValueError):
    """The examples cannot make a model (too few, or too few honest ones); says what to add."""


@dataclass(frozen=True)
class Example:
    """One labelled reply as the classifier reads it."""

    text: str  # what the model reads
    intent: Intent
    group: str  # every rendering of one body shares a group, so folds never split them
    honest: bool  # the rules were not written from it
    rule_scores: dict[Intent, float]
    rule_intent: Intent
    language: str
    automatic: bool = False  # the out-of-office detector read the words as automatic


def example_from_raw(raw: bytes, intent: Intent, *, group: str, honest: bool) -> Example | None:
    """A labelled raw mail as an example; None when the detectors decide it by its structure (bounces,
    auto-replies with their headers), so the model never sees it."""
    if intent not in MODEL_INTENTS:
        return None
    reading = read_rules(parse_mail(raw))
    if reading.verdict is None:
        return None
    return Example(
        text=reading.model_text,
        intent=intent,
        group=group,
        honest=honest,
        rule_scores=dict(reading.verdict.scores),
        rule_intent=reading.verdict.intent,
        language=reading.language,
        automatic=reading.automatic is not None,
    )


def corpus_examples(corpus: Path, split: str) -> list[Example]:
    """The labelled mails of one corpus split (tests/corpus/<split>/labels.jsonl and its .eml files)."""
    return labelled_examples(corpus / split)


def labelled_examples(folder: Path) -> list[Example]:
    """The labelled mails of a folder in corpus format: labels.jsonl beside the .eml files it names.

    `dunmail classify export-feedback` writes reviewers' corrections in this format too."""
    out = []
    for label, raw in labelled_mails(folder):
        source = str(label.get("source") or "bodies_" + str(label["language"]))
        example = example_from_raw(
            raw,
            Intent(label["intent"]),
            group=str(label.get("body") or label["file"]),
            honest=source not in RULES_TUNED_ON,
        )
        if example is not None:
            out.append(example)
    return out


def labelled_mails(folder: Path) -> Iterator[tuple[dict[str, Any], bytes]]:
    """Each label of a corpus-format folder with its raw mail."""
    labels = folder / "labels.jsonl"
    if not labels.is_file():
        raise TrainingError(f"no labels at {labels}: expected a corpus-format folder (labels.jsonl + .eml files)")
    for n, line in enumerate(labels.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        label = json.loads(line)
        try:
            yield label, (folder / label["file"]).read_bytes()
        except (KeyError, OSError) as exc:
            raise TrainingError(f"{labels}:{n}: cannot read the mail it names ({exc})") from exc


def evaluate(model: IntentModel | None, folder: Path) -> dict[str, float]:
    """Macro-F1 and accuracy over a labelled folder, classified end to end with this model (None: rules only)."""
    from worker.classify.classifier import classify_bytes

    expected, predicted = [], []
    for label, raw in labelled_mails(folder):
        expected.append(str(label["intent"]))
        predicted.append(classify_bytes(raw, model=model).intent.value)
    return {"macro_f1": macro_f1(expected, predicted), "accuracy": _accuracy(expected, predicted), "n": len(expected)}


def macro_f1(expected: Sequence[str], predicted: Sequence[str]) -> float:
    """Mean F1 over the intents that occur in `expected`."""
    scores = []
    for intent in sorted(set(expected)):
        tp = sum(1 for e, p in zip(expected, predicted, strict=True) if e == p == intent)
        fp = sum(1 for e, p in zip(expected, predicted, strict=True) if p == intent != e)
        fn = sum(1 for e, p in zip(expected, predicted, strict=True) if e == intent != p)
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores) if scores else 0.0


def _accuracy(expected: Sequence[str], predicted: Sequence[str]) -> float:
    return sum(1 for e, p in zip(expected, predicted, strict=True) if e == p) / len(expected) if expected else 0.0


def fit(examples: Sequence[Example], *, trained_on: dict[str, Any] | None = None) -> IntentModel:
    """Both layers, fitted; the text model on every example, the stacker on the honest ones."""
    from sklearn.model_selection import GroupKFold

    if len({e.intent for e in examples}) < len(MODEL_INTENTS):
        missing = sorted(i.value for i in set(MODEL_INTENTS) - {e.intent for e in examples})
        raise TrainingError(f"no examples of {', '.join(missing)}: every intent needs labelled replies")
    honest = [i for i, e in enumerate(examples) if e.honest]
    if len(honest) < MIN_HONEST:
        raise TrainingError(
            f"only {len(honest)} examples the rules were not written from (need {MIN_HONEST}): "
            "add corpus sources or reviewer feedback"
        )
    texts = [e.text for e in examples]
    labels = [e.intent.value for e in examples]
    classes = tuple(Intent(c) for c in sorted(set(labels)))
    oof = np.zeros((len(examples), len(classes)))
    folds = GroupKFold(n_splits=FOLDS).split(texts, labels, groups=[e.group for e in examples])
    for train_idx, test_idx in folds:
        vec, lr = fit_text([texts[i] for i in train_idx], [labels[i] for i in train_idx])
        oof[test_idx] = _align(lr, classes, lr.predict_proba(vec.transform([texts[i] for i in test_idx])))
    vec, lr = fit_text(texts, labels)
    stack_x = np.array([_stack_row(oof[i], examples[i], classes) for i in honest])
    stack = _logistic(STACK_C).fit(stack_x, [labels[i] for i in honest])
    if tuple(Intent(c) for c in stack.classes_) != classes:
        raise TrainingError(
            "the honest examples lack an intent; every intent needs replies the rules were not written from"
        )
    return IntentModel(
        classes=classes,
        **text_layer(vec, lr, classes),
        stack_coef=stack.coef_.T.copy(),
        stack_intercept=stack.intercept_.copy(),
        info={
            "trained": date.today().isoformat(),
            "examples": len(examples),
            "honest_examples": len(honest),
            **(trained_on or {}),
        },
    )


def text_layer(vec: Any, lr: Any, classes: tuple[Intent, ...]) -> dict[str, Any]:
    """A fitted TfidfVectorizer + LogisticRegression as the plain arrays IntentModel reads."""
    return {
        "vocabulary": {str(k): int(v) for k, v in vec.vocabulary_.items()},
        "idf": vec.idf_.astype(np.float64),
        "coef": _align(lr, classes, lr.coef_.T.copy()),
        "intercept": _align(lr, classes, lr.intercept_[None, :].copy())[0],
    }


def fit_text(texts: Sequence[str], labels: Sequence[str]) -> tuple[Any, Any]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(analyzer=features, sublinear_tf=True, min_df=2, dtype=np.float64)
    x = vec.fit_transform(texts)
    return vec, _logistic(TEXT_C).fit(x, labels)


def _logistic(c: float) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=5000)


def _align(lr: Any, classes: tuple[Intent, ...], columns: np.ndarray) -> np.ndarray:
    """Columns in `classes` order (a fold may lack a class: its column stays at zero probability)."""
    out = np.zeros((columns.shape[0], len(classes)))
    for j, name in enumerate(lr.classes_):
        out[:, classes.index(Intent(name))] = columns[:, j]
    return out


def _stack_row(text_probs: np.ndarray, example: Example, classes: tuple[Intent, ...]) -> np.ndarray:
    return stack_inputs(text_probs, example.rule_scores, example.rule_intent, classes, example.automatic)


def intents_of(examples: Iterable[Example]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for e in examples:
        counts[e.intent.value] = counts.get(e.intent.value, 0) + 1
    return counts
