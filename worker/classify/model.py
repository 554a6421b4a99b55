"""The learned half of the classifier: a linear model over a reply's words, stacked with the rules.

Two small layers, both plain arrays in one `.npz` file (no pickle, nothing executable is loaded):

1. **Text model** — TF-IDF (sublinear counts, l2 norm) over `features.features()` and a multinomial
   logistic regression over the five intents a person writes (paid, promise_to_pay, payment_plan,
   dispute, other) and auto_reply (an out-of-office that came without the headers that mark one).
   It reads the whole reply and knows nothing of rules.
2. **Stacker** — a second logistic regression whose inputs are the text model's log-probabilities and
   what the rules found (their score per intent, the intent they decided, whether they found
   anything, whether the out-of-office detector read the words as one). It is fitted on replies the
   rules were *not* written from, with the text model's out-of-fold answers, so it learns how far to
   trust each side where each is honest. Its probabilities are the classifier's confidence.

Bounces and auto-replies marked by their structure (DSN parts, RFC 3834 headers, vacation subjects)
are decided before the model and never reach it. `dunmail classify train` (worker.classify.train)
rebuilds the file in seconds; `DUNMAIL_CLASSIFY_MODEL` points at a site's own retrained model.
"""

from __future__ import annotations

import functools
import json
import math
import os
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import structlog

from worker.classify.features import pieces, run_features, word_features
from worker.domain import Intent

log = structlog.get_logger(__name__)

HUMAN_INTENTS: tuple[Intent, ...] = (
    Intent.PAID,
    Intent.PROMISE_TO_PAY,
    Intent.PAYMENT_PLAN,
    Intent.DISPUTE,
    Intent.OTHER,
)
MODEL_INTENTS: tuple[Intent, ...] = (*HUMAN_INTENTS, Intent.AUTO_REPLY)  # auto-replies known by words only
SHIPPED_MODEL = Path(__file__).resolve().parent / "data" / "intent_model.npz"
MODEL_ENV = "DUNMAIL_CLASSIFY_MODEL"
FORMAT = 2  # bumped when the arrays' meaning changes; an older file is refused with a clear message


class ModelFileError(ValueError):
    """The model file is missing a part or was written by another format; retrain it."""


@dataclass(frozen=True)
class IntentModel:
    """Both layers' weights and what they were trained on."""

    classes: tuple[Intent, ...]
    vocabulary: Mapping[str, int]
    idf: np.ndarray  # (n_features,)
    coef: np.ndarray  # (n_features, n_classes): column j scores class j
    intercept: np.ndarray  # (n_classes,)
    stack_coef: np.ndarray  # (n_stack_inputs, n_classes)
    stack_intercept: np.ndarray  # (n_classes,)
    info: Mapping[str, Any]

    def __post_init__(self) -> None:
        # Words and Japanese runs recur from mail to mail: their feature ids are looked up once.
        object.__setattr__(self, "_word_ids", functools.lru_cache(maxsize=1 << 16)(self._ids_of_word))
        object.__setattr__(self, "_run_ids", functools.lru_cache(maxsize=1 << 14)(self._ids_of_run))

    def _ids_of_word(self, word: str) -> tuple[int | None, ...]:
        return tuple(map(self.vocabulary.get, word_features(word)))

    def _ids_of_run(self, run: str) -> tuple[int | None, ...]:
        return tuple(map(self.vocabulary.get, run_features(run)))

    def feature_ids(self, text: str) -> Counter[int]:
        """How often each known feature of features(text) occurs, by its id (the same multiset, faster)."""
        cut = pieces(text)
        ids: list[int | None] = list(map(self.vocabulary.get, cut.bigrams))
        for word in cut.words:
            ids += self._word_ids(word)  # type: ignore[attr-defined]
        for run in cut.runs:
            ids += self._run_ids(run)  # type: ignore[attr-defined]
        counts: Counter[int | None] = Counter(ids)  # counted in C
        counts.pop(None, None)  # features the model never saw
        return counts  # type: ignore[return-value]

    def text_probabilities(self, text: str) -> np.ndarray:
        """The text model's probability per class for a reply's words."""
        counts = self.feature_ids(text)
        z = self.intercept.astype(np.float64)
        if counts:
            idx = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            x = (1.0 + np.log(tf)) * self.idf[idx]
            x /= math.sqrt(float(x @ x))
            z = z + x @ self.coef[idx]
        return softmax(z)

    def probabilities(
        self, text: str, rule_scores: Mapping[Intent, float], rule_intent: Intent, *, automatic: bool = False
    ) -> dict[Intent, float]:
        """The stacked probability per intent of a reply, given what the rules and the detector made of it."""
        inputs = stack_inputs(self.text_probabilities(text), rule_scores, rule_intent, self.classes, automatic)
        p = softmax(self.stack_intercept + inputs @ self.stack_coef)
        return {c: float(v) for c, v in zip(self.classes, p, strict=True)}


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    out: np.ndarray = e / e.sum()
    return out


def stack_inputs(
    text_probs: np.ndarray,
    rule_scores: Mapping[Intent, float],
    rule_intent: Intent,
    classes: tuple[Intent, ...],
    automatic: bool,
) -> np.ndarray:
    """What the stacker reads: log text-probabilities, rule score per class, the rules' verdict, 'nothing
    found', and whether the out-of-office detector read the words as automatic.

    Shared by training and classifying, so both build the same vector."""
    said = [rule_scores.get(c, 0.0) for c in classes]
    decided = [1.0 if (rule_intent is c and rule_scores) else 0.0 for c in classes]
    flags = [0.0 if rule_scores else 1.0, 1.0 if automatic else 0.0]
    return np.concatenate([np.log(np.clip(text_probs, 1e-6, 1.0)), said, decided, flags])


def save(model: IntentModel, path: Path) -> None:
    """Write the model as plain arrays (np.savez_compressed; loading never needs pickle)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    words = sorted(model.vocabulary, key=model.vocabulary.__getitem__)
    meta = {"format": FORMAT, "classes": [c.value for c in model.classes], **model.info}
    with path.open("wb") as fh:
        np.savez_compressed(
            fh,
            vocabulary=np.frombuffer("\n".join(words).encode("utf-8"), dtype=np.uint8),
            idf=model.idf.astype(np.float32),
            coef=model.coef.astype(np.float32),
            intercept=model.intercept.astype(np.float64),
            stack_coef=model.stack_coef.astype(np.float64),
            stack_intercept=model.stack_intercept.astype(np.float64),
            meta=np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"), dtype=np.uint8),
        )


def load(path: Path) -> IntentModel:
    """Read a model file written by save(); ModelFileError says what to do when it does not fit."""
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(bytes(data["meta"]).decode("utf-8"))
            if meta.get("format") != FORMAT:
                raise ModelFileError(
                    f"{path} has model format {meta.get('format')!r}, this dunmail reads {FORMAT}: "
                    "rebuild it with `dunmail classify train`"
                )
            words = bytes(data["vocabulary"]).decode("utf-8").split("\n")
            arrays = {k: data[k] for k in ("idf", "coef", "intercept", "stack_coef", "stack_intercept")}
    except (OSError, KeyError, ValueError) as exc:
        if isinstance(exc, ModelFileError):
            raise
        raise ModelFileError(
            f"cannot read the model file {path}: {exc}; rebuild it with `dunmail classify train`"
        ) from exc
    classes = tuple(Intent(c) for c in meta.pop("classes"))
    return IntentModel(
        classes=classes,
        vocabulary={w: i for i, w in enumerate(words)},
        info=meta,
        **arrays,
    )


@functools.cache
def _load_cached(path: str) -> IntentModel | None:
    try:
        return load(Path(path))
    except ModelFileError as exc:
        log.warning("classify_model_unusable", path=path, error=str(exc))
        return None


def current_model() -> IntentModel | None:
    """The model in use: DUNMAIL_CLASSIFY_MODEL if set, else the one shipped with dunmail; None if unusable.

    Without a model the rules decide alone (and say so in the reasons), so a broken file never stops
    the inbox."""
    return _load_cached(os.environ.get(MODEL_ENV) or str(SHIPPED_MODEL))
