"""Which language a reply is written in: cheap character and stop-word counts, no model.

Kana marks Japanese, Han without kana Chinese, Hangul Korean; Latin-script text is English unless a few
very common words of German, French, Spanish or Dutch outnumber the English ones. Unknown or empty text
is "en", the language the rules fall back to.
"""

from __future__ import annotations

import re

_KANA = re.compile(r"[\u3040-\u30ff\uff66-\uff9f]")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")
_WORD = re.compile(r"[a-zà-ÿ']+")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOPWORDS = {
    "en": _words("the and to we you is are for of have has will your our this that it be with not please"),
    "de": _words("der die das und ist nicht wir sie ich mit für haben wird bitte rechnung"),
    "fr": _words("le la les et est nous vous pas pour avec une des facture merci"),
    "es": _words("el la los las y es nosotros usted no para con una factura gracias"),
    "nl": _words("de het een en is wij niet voor met hebben factuur bedankt"),
}


def detect_language(text: str) -> str:
    """ISO 639-1 code of the text's language ("ja", "en", …); "en" when nothing says otherwise."""
    sample = text[:2000]
    if len(_KANA.findall(sample)) >= 2:
        return "ja"
    han, hangul = len(_HAN.findall(sample)), len(_HANGUL.findall(sample))
    if hangul >= 2:
        return "ko"
    if han >= 4:
        return "zh"
    words = _WORD.findall(sample.lower())
    if not words:
        return "en"
    counts = {lang: sum(w in stop for w in words) for lang, stop in STOPWORDS.items()}
    best = max(counts, key=lambda lang: counts[lang])
    return best if counts[best] > counts["en"] + 1 else "en"
