"""The words a learned model sees in a reply: one analyzer, shared by training and classifying.

English (and any Latin-script text) gives word unigrams and bigrams plus 4-character pieces of longer
words, which carry misspellings and inflections ("paymnet", "transfered", "invoiced") to the word
they mean. Japanese has no spaces, so each run of kana and kanji gives its character bigrams and
trigrams instead of a tokenizer's words. Digits all read as 0: "paid on the 12th" and "paid on the
3rd" are the same evidence, and a date or an amount never becomes a word of its own.

The same function builds the vocabulary at training time and looks words up at classifying time, so
the two can never disagree about what a feature is.
"""

from __future__ import annotations

import re
import unicodedata
from itertools import pairwise

_DIGITS = re.compile(r"\d")
_WORD = re.compile(r"[a-z']+|0+")
_JAPANESE_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f]+")
MAX_CHARS = 4000  # the start of a long reply decides; pasted statements add nothing but time


def normalise(text: str) -> str:
    """NFKC (full-width letters and digits as ASCII), lower case, every digit as 0."""
    return _DIGITS.sub("0", unicodedata.normalize("NFKC", text[:MAX_CHARS]).lower())


def features(text: str) -> list[str]:
    """The features of one reply's words, each a short prefixed string, repeats kept (they are counts)."""
    t = normalise(text)
    words = _WORD.findall(t)
    out = ["w:" + w for w in words]
    out += ["b:" + a + " " + b for a, b in pairwise(words)]
    for word in words:
        if len(word) > 3:
            padded = "<" + word + ">"
            out += ["c:" + padded[i : i + 4] for i in range(len(padded) - 3)]
    for run in _JAPANESE_RUN.findall(t):
        out += ["j:" + run[i : i + 2] for i in range(len(run) - 1)]
        out += ["k:" + run[i : i + 3] for i in range(len(run) - 2)]
    return out
