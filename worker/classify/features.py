"""The words a learned model sees in a reply: one analyzer, shared by training and classifying.

English (and any Latin-script text) gives word unigrams and bigrams plus 4-character pieces of longer
words, which carry misspellings and inflections ("paymnet", "transfered", "invoiced") to the word
they mean. Japanese has no spaces, so each run of kana and kanji gives its character bigrams and
trigrams instead of a tokenizer's words. Digits all read as 0: "paid on the 12th" and "paid on the
3rd" are the same evidence, and a date or an amount never becomes a word of its own.

The same pieces build the vocabulary at training time and look words up at classifying time, so the
two can never disagree about what a feature is: `features()` is `pieces()` put together, and the
model caches the pieces of each word and each Japanese run it meets (they recur from mail to mail).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from itertools import pairwise

_DIGITS = re.compile(r"\d")
_WORD = re.compile(r"[a-z']+|0+")
_JAPANESE_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f]+")
MAX_CHARS = 4000  # the start of a long reply decides; pasted statements add nothing but time


def normalise(text: str) -> str:
    """NFKC (full-width letters and digits as ASCII), lower case, every digit as 0."""
    return _DIGITS.sub("0", unicodedata.normalize("NFKC", text[:MAX_CHARS]).lower())


@dataclass(frozen=True)
class Pieces:
    """A normalised reply cut into what its features are made of."""

    words: list[str]
    runs: list[str]  # runs of Japanese characters

    @property
    def bigrams(self) -> list[str]:
        return ["b:" + a + " " + b for a, b in pairwise(self.words)]


def pieces(text: str) -> Pieces:
    t = normalise(text)
    return Pieces(_WORD.findall(t), _JAPANESE_RUN.findall(t))


def word_features(word: str) -> list[str]:
    """The word itself and, for a word of four letters or more, its 4-character pieces."""
    out = ["w:" + word]
    if len(word) > 3:
        padded = "<" + word + ">"
        out += ["c:" + padded[i : i + 4] for i in range(len(padded) - 3)]
    return out


def run_features(run: str) -> list[str]:
    """A Japanese run's character bigrams and trigrams."""
    return ["j:" + run[i : i + 2] for i in range(len(run) - 1)] + ["k:" + run[i : i + 3] for i in range(len(run) - 2)]


def features(text: str) -> list[str]:
    """The features of one reply's words, each a short prefixed string, repeats kept (they are counts)."""
    cut = pieces(text)
    out = ["w:" + w for w in cut.words]
    out += cut.bigrams
    for word in cut.words:
        out += word_features(word)[1:]
    for run in cut.runs:
        out += run_features(run)
    return out
