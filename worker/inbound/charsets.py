"""Bytes to text for mail, with the Japanese charsets done the way Japanese mailers actually write them.

What the stdlib codecs get wrong, and what this module does instead:

- ``shift_jis`` labels are Microsoft CP932 in practice (①, ㈱, ～, 髙 live only there): decode as cp932.
- ``iso-2022-jp`` from Windows mailers carries CP932 extensions (NEC row 13, NEC-selected IBM rows) that
  Python's iso2022_jp rejects, and its wave dash is meant as CP932's U+FF5E. Each JIS X 0208 pair is
  turned into its Shift_JIS pair and decoded as cp932 (what Microsoft's CP50220/50221 do).
- ``euc-jp`` with NEC row 13 (cp51932) falls back to the same pair arithmetic.
- Missing, unknown or wrong labels: try the label, then UTF-8, CP932, EUC-JP, and Latin-1 last, by how
  Japanese-looking the result is. Bytes nothing can decode are dropped and counted, never left as U+FFFD.
"""

from __future__ import annotations

import codecs
import functools
import re
from typing import NamedTuple

ISO2022JP = "iso-2022-jp"  # pseudo codec name: handled by decode_iso2022jp, not by the codecs module

_ALIASES: dict[str, str | None] = {
    **dict.fromkeys(
        (
            "shift_jis",
            "shift-jis",
            "sjis",
            "x-sjis",
            "shiftjis",
            "ms_kanji",
            "csshiftjis",
            "windows-31j",
            "cp932",
            "ms932",
            "x-ms-cp932",
            "shift_jisx0213",
            "shift_jis-2004",
            "x-sjis-jp",
        ),
        "cp932",
    ),
    **dict.fromkeys(
        (
            "iso-2022-jp",
            "iso2022jp",
            "iso-2022-jp-1",
            "iso-2022-jp-2",
            "iso-2022-jp-3",
            "iso-2022-jp-ext",
            "iso-2022-jp-ms",
            "csiso2022jp",
            "csiso2022jp2",
            "cp50220",
            "cp50221",
            "cp50222",
            "x-windows-iso2022jp",
            "iso-2022-jp-2004",
            "jis",
            "x-jis",
        ),
        ISO2022JP,
    ),
    **dict.fromkeys(
        ("euc-jp", "eucjp", "x-euc-jp", "ujis", "cp51932", "euc-jp-ms", "eucjp-ms", "x-eucjp"), "euc_jp"
    ),
    **dict.fromkeys(
        ("ks_c_5601-1987", "ks_c_5601", "ksc5601", "euc-kr", "korean", "ks_c_5601-1989"), "cp949"
    ),
    **dict.fromkeys(("gb2312", "gbk", "x-gbk", "cp936", "gb_2312-80", "csgb2312", "euc-cn"), "gb18030"),
    **dict.fromkeys(("big5", "x-big5", "cn-big5"), "big5hkscs"),
    # WHATWG practice: a Latin-1 label means windows-1252 (smart quotes, euro sign)
    **dict.fromkeys(
        ("iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "windows-1252", "cp1252"), "cp1252"
    ),
    **dict.fromkeys(("us-ascii", "ascii", "ansi_x3.4-1968", "us", "iso646-us", "7bit"), "ascii"),
    **dict.fromkeys(("utf-8", "utf8", "utf-8y", "unicode-1-1-utf-8", "x-unicode20utf8"), "utf-8"),
    **dict.fromkeys(
        ("unknown-8bit", "x-unknown", "unknown", "8bit", "default", "none", "x-user-defined", ""), None
    ),
}

_SINGLE_BYTE_LATIN = frozenset({"cp1252", "ascii", "latin_1", "iso8859_15", "iso8859_2", "cp1250"})
_JA_CANDIDATES = ("cp932", "euc_jp")


class Decoded(NamedTuple):
    text: str
    charset: str  # the codec that produced text
    defects: tuple[str, ...]  # what was wrong: mislabelled, unknown label, bytes dropped


@functools.lru_cache(maxsize=256)
def normalize_charset(label: str | None) -> str | None:
    """The codec to use for a MIME charset label; None when the label says nothing usable."""
    if label is None:
        return None
    key = label.strip().strip("\"'").strip().rstrip(";").lower()
    if key in _ALIASES:
        return _ALIASES[key]
    if not key.isascii():  # raw 8-bit in a charset label: no codec has such a name
        raise UnknownCharset(label)
    try:
        name = codecs.lookup(key).name
    except LookupError:
        raise UnknownCharset(label) from None
    # The codecs module may resolve an alias we treat specially (e.g. "ms-kanji").
    return _ALIASES.get(name, name)


class UnknownCharset(LookupError):
    """A charset label no codec knows; the caller records it and sniffs instead."""


def charset_or_none(label: str | None) -> tuple[str | None, tuple[str, ...]]:
    """normalize_charset that turns an unknown label into (None, defect) instead of raising."""
    try:
        return normalize_charset(label), ()
    except UnknownCharset:
        return None, (f"unknown_charset:{label!s:.40}",)


# --- ISO-2022-JP ---------------------------------------------------------------------------------------

_ESC_SEQ = re.compile(rb"\x1b(\$[@B]|\$\([@BDOPQ]|\([BJHI]|&@|\$A|\$\(C|\.[AF]|N)")
_HAS_ESC_SEQ = re.compile(rb"\x1b[$(]")
_JIS_PAIR = re.compile(rb"[\x21-\x7e]{2}")
_EUC_TOKEN = re.compile(rb"\x8f[\xa1-\xfe]{2}|\x8e[\xa1-\xdf]|[\xa1-\xfe]{2}")
# Python's iso2022_jp maps six JIS X 0208 cells to the JIS-standard code points; CP932 mailers mean these.
_JIS_TO_CP932_CHARS = str.maketrans(
    {
        "\u301c": "\uff5e",
        "\u2016": "\u2225",
        "\u2212": "\uff0d",
        "\xa2": "\uffe0",
        "\xa3": "\uffe1",
        "\xac": "\uffe2",
    }
)
_JIS8_KANA = bytes(range(0x80)) + bytes(range(0xA1, 0xE0))  # deleted by translate: what is left is stray
_ISO2022JP2_ONLY = (b"\x1b$A", b"\x1b$(C", b"\x1b.A", b"\x1b.F", b"\x1bN")


def jis_pair_to_sjis(j1: int, j2: int) -> bytes:
    """The Shift_JIS bytes of one JIS X 0208 cell (the arithmetic CP50220 and cp51932 rely on)."""
    s1 = ((j1 + 1) >> 1) + (0x70 if j1 <= 0x5E else 0xB0)
    if j1 & 1:
        s2 = j2 + 0x1F
        if s2 >= 0x7F:
            s2 += 1
    else:
        s2 = j2 + 0x7E
    return bytes((s1, s2))


@functools.cache
def _pair_table() -> dict[bytes, bytes]:
    return {bytes((j1, j2)): jis_pair_to_sjis(j1, j2) for j1 in range(0x21, 0x7F) for j2 in range(0x21, 0x7F)}


def _decode_cp932_lenient(data: bytes) -> tuple[str, int]:
    text = data.decode("cp932", "replace")
    return text.replace("\ufffd", ""), text.count("\ufffd")


def _decode_jis_segment(seg: bytes) -> tuple[str, int]:
    table = _pair_table()
    # Line breaks inside a 2-byte run are illegal but common; keep them and stay in the 2-byte mode.
    sjis = _JIS_PAIR.sub(lambda m: table[m.group()], seg)
    return _decode_cp932_lenient(sjis)


def _decode_ascii_segment(seg: bytes, kana: bool) -> tuple[str, int]:
    if kana:  # ESC ( I: 7-bit half-width katakana; shift into Shift_JIS single-byte kana
        seg = bytes(b + 0x80 if 0x21 <= b <= 0x5F else b for b in seg)
    elif b"\x0e" in seg:  # SO/SI switching, as some old mailers do for half-width katakana
        seg = re.sub(rb"\x0e([^\x0f]*)\x0f?", lambda m: bytes(b | 0x80 for b in m.group(1)), seg)
    if seg.isascii():
        return seg.decode("ascii"), 0
    # 8-bit bytes 0xA1-0xDF are JIS8 half-width katakana (CP50222). Any other 8-bit byte means the label
    # is wrong (Shift_JIS or UTF-8 sent as ISO-2022-JP): count them so the caller sniffs the whole body.
    stray = len(seg.translate(None, _JIS8_KANA))
    text, bad = _decode_cp932_lenient(seg)
    return text, bad + stray


def _decode_other_segment(esc: bytes, seg: bytes) -> tuple[str, int]:
    codec = "iso2022_jp_2004" if esc[:3] == b"$(" and esc[3:] in (b"O", b"P", b"Q") else "iso2022_jp_2"
    text = (b"\x1b" + esc + seg).decode(codec, "replace")
    return text.replace("\ufffd", ""), text.count("\ufffd")


def _decode_iso2022jp_slow(data: bytes) -> tuple[str, int]:
    parts = _ESC_SEQ.split(data)
    out: list[str] = []
    bad = 0
    mode = b"(B"
    for i, part in enumerate(parts):
        if i % 2:
            mode = mode if part in (b"&@", b"N") else part
            continue
        if not part:
            continue
        if mode in (b"$B", b"$@", b"$(B", b"$(@"):
            text, n = _decode_jis_segment(part)
        elif mode == b"$(D":  # JIS X 0212 supplementary kanji: the EUC-JP 3-byte form decodes it
            text, n = _decode_jis0212(part)
        elif mode in (b"(B", b"(J", b"(H", b"(I"):
            text, n = _decode_ascii_segment(part, kana=mode == b"(I")
        else:
            text, n = _decode_other_segment(mode, part)
        out.append(text)
        bad += n
    return "".join(out), bad


def _decode_jis0212(seg: bytes) -> tuple[str, int]:
    euc = _JIS_PAIR.sub(lambda m: b"\x8f" + bytes(b | 0x80 for b in m.group()), seg)
    text = euc.decode("euc_jp", "replace")
    return text.replace("\ufffd", ""), text.count("\ufffd")


def decode_iso2022jp(data: bytes) -> tuple[str, int]:
    """Decode ISO-2022-JP (and its -1/-2/-3/-ext/CP5022x variants) the way CP932 mailers mean it.

    Returns the text and how many bytes could not be decoded (they are dropped).
    """
    # JIS-Roman is ASCII to every mailer that matters; Python would turn \\ and ~ into ¥ and ‾.
    data = data.replace(b"\x1b(J", b"\x1b(B").replace(b"\x1b(H", b"\x1b(B")
    if any(seq in data for seq in _ISO2022JP2_ONLY):
        try:
            return data.decode("iso2022_jp_2"), 0
        except UnicodeDecodeError:
            pass
    else:
        # The common case at C speed: Python's codec, with CP932-only cells (①, ㈱, 髙) filled in by an
        # error handler and the six cells that differ remapped afterwards.
        try:
            return data.decode("iso2022_jp", _CP932_CELLS).translate(_JIS_TO_CP932_CHARS), 0
        except (UnicodeDecodeError, _NotACell):
            pass
    return _decode_iso2022jp_slow(data)


class _NotACell(ValueError):
    """The fast path met something other than a CP932-only JIS cell (a kana escape, 8-bit bytes)."""


def _cp932_cell(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start : exc.end]
    # Two printable bytes can only fail in the 2-byte mode: a cell JIS X 0208 lacks but CP932 has.
    if len(bad) == 2 and 0x21 <= bad[0] <= 0x7E and 0x21 <= bad[1] <= 0x7E:
        try:
            return jis_pair_to_sjis(bad[0], bad[1]).decode("cp932"), exc.end
        except UnicodeDecodeError:
            pass
    raise _NotACell(exc.reason)


_CP932_CELLS = "dunmail-cp932-cells"
codecs.register_error(_CP932_CELLS, _cp932_cell)


# --- EUC-JP with NEC extensions ------------------------------------------------------------------------


def _euc_token_to_text(token: bytes) -> bytes:
    if token[0] == 0x8E:  # half-width katakana
        return token[1:]
    return jis_pair_to_sjis(token[0] & 0x7F, token[1] & 0x7F)


def decode_euc_jp(data: bytes) -> tuple[str, int]:
    """EUC-JP, falling back to CP51932 (NEC row 13 and IBM rows via CP932) when strict EUC-JP fails."""
    try:
        return data.decode("euc_jp"), 0
    except UnicodeDecodeError:
        pass
    out: list[str] = []
    bad = 0
    pos = 0
    for m in _EUC_TOKEN.finditer(data):
        if m.start() > pos:
            gap, n = (
                _decode_cp932_lenient(data[pos : m.start()])
                if not data[pos : m.start()].isascii()
                else (data[pos : m.start()].decode("ascii"), 0)
            )
            out.append(gap)
            bad += n
        token = m.group()
        if token[0] == 0x8F:
            text = token.decode("euc_jp", "replace")
        else:
            text = _euc_token_to_text(token).decode("cp932", "replace")
        bad += text.count("\ufffd")
        out.append(text.replace("\ufffd", ""))
        pos = m.end()
    tail = data[pos:]
    if tail:
        text, n = _decode_cp932_lenient(tail) if not tail.isascii() else (tail.decode("ascii"), 0)
        out.append(text)
        bad += n
    return "".join(out), bad


# --- choosing a decoding -------------------------------------------------------------------------------


def _try(data: bytes, codec: str) -> tuple[str, int]:
    """Decode with a codec; returns the text with undecodable bytes dropped, and how many there were."""
    if codec == ISO2022JP:
        return decode_iso2022jp(data)
    if codec == "euc_jp":
        return decode_euc_jp(data)
    try:
        return data.decode(codec), 0
    except UnicodeDecodeError:
        text = data.decode(codec, "replace")
        return text.replace("\ufffd", ""), text.count("\ufffd")


def japanese_score(text: str) -> tuple[int, int, int, int]:
    """(kana, other Japanese characters, half-width kana, non-Japanese non-ASCII) counts of a text."""
    kana = ja = half = other = 0
    for ch in text:
        o = ord(ch)
        if o < 0x80:
            continue
        if 0x3040 <= o <= 0x30FF:
            kana += 1
        elif (
            0x4E00 <= o <= 0x9FFF
            or 0x3000 <= o <= 0x303F
            or 0xFF01 <= o <= 0xFF60
            or 0xFFE0 <= o <= 0xFFE6
            or 0x3400 <= o <= 0x4DBF
            or 0xF900 <= o <= 0xFAFF
            or 0x2010 <= o <= 0x2312  # punctuation, arrows, maths, roman numerals of JIS/NEC rows
            or 0x2460 <= o <= 0x24FF
            or 0x2500 <= o <= 0x26FF  # box drawing, shapes, ☆★♪ of JIS row 2
            or 0x3200 <= o <= 0x33FF
            or o in (0xA7, 0xA8, 0xB0, 0xB1, 0xB4, 0xB6, 0xD7, 0xF7)
            or 0x391 <= o <= 0x3C9
            or 0x401 <= o <= 0x451
        ):
            ja += 1
        elif 0xFF61 <= o <= 0xFF9F:
            half += 1
        elif 0xE000 <= o <= 0xF8FF:  # CP932 user-defined characters (gaiji): neither for nor against
            continue
        else:
            other += 1
    return kana, ja, half, other


def looks_japanese(text: str) -> bool:
    """True when every non-ASCII character is plausible Japanese and there is enough of it to say so."""
    kana, ja, half, other = japanese_score(text)
    if other:
        return False
    if half and half * 4 > kana + ja:  # EUC-JP or Latin-1 read as CP932 turns into half-width kana soup
        return kana + ja == 0 and half >= 2 and half == len([c for c in text if ord(c) >= 0x80])
    return kana > 0 or ja >= 2


def _best_japanese(data: bytes, skip: str | None) -> tuple[str, str, int] | None:
    best: tuple[int, str, str, int] | None = None
    for codec in _JA_CANDIDATES:
        if codec == skip:
            continue
        text, bad = _try(data, codec)
        if not looks_japanese(text):
            continue
        kana, ja, half, _ = japanese_score(text)
        score = 2 * kana + ja - 2 * half - 8 * bad
        if best is None or score > best[0]:
            best = (score, codec, text, bad)
    return None if best is None else (best[1], best[2], best[3])


def _mostly_decoded(bad: int, text: str) -> bool:
    """Few undecodable bytes next to many good non-ASCII characters: the codec is right, the bytes damaged
    (a truncated UTF-8 sequence, one stray byte). Latin-1 text read as UTF-8 has no good ones."""
    return bad * 2 <= len(text) - len(text.encode("ascii", "ignore"))


def _sniff(data: bytes, declared: str | None) -> tuple[str, str, int]:
    """(codec, text, dropped bytes) for bytes whose label was missing or did not fit."""
    if _HAS_ESC_SEQ.search(data) and declared != ISO2022JP:
        text, bad = decode_iso2022jp(data)
        if not bad:
            return ISO2022JP, text, 0
    utf8_text, utf8_bad = _try(data, "utf-8")
    if utf8_bad == 0:
        return "utf-8", utf8_text, 0
    utf8_damaged = _mostly_decoded(utf8_bad, utf8_text)
    ja = _best_japanese(data, declared)
    # Damaged UTF-8 read as CP932 also decodes, as kanji soup without a single kana: prefer UTF-8 then.
    if ja is not None and ja[2] == 0 and (japanese_score(ja[1])[0] > 0 or not utf8_damaged):
        return ja
    if declared not in (None, "utf-8"):
        text, bad = _try(data, declared)
        if _mostly_decoded(bad, text):
            return declared, text, bad
    if utf8_damaged:
        return "utf-8", utf8_text, utf8_bad
    if ja is not None and _mostly_decoded(ja[2], ja[1]):
        return ja
    try:
        return "cp1252", data.decode("cp1252"), 0
    except UnicodeDecodeError:
        return "latin-1", data.decode("latin-1"), 0


_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f\ufffd]")


def clean_text(text: str) -> tuple[str, int]:
    """Drop control characters (ESC, NUL) and U+FFFD that would poison text downstream; count them."""
    if not _CONTROL.search(text):
        return text, 0
    cleaned = _CONTROL.sub("", text)
    return cleaned, len(text) - len(cleaned)


def decode_bytes(data: bytes, declared: str | None = None) -> Decoded:
    """Bytes of a mail body or header word to text, trusting the label only as far as the bytes agree."""
    if not data:
        return Decoded("", "ascii", ())
    codec, defects = charset_or_none(declared)
    if data.isascii() and codec not in ("utf-16", "utf-32", "utf-16-le", "utf-16-be", "utf_7", "utf-7"):
        if b"\x1b" in data and (codec == ISO2022JP or _HAS_ESC_SEQ.search(data)):
            text, bad = decode_iso2022jp(data)
            chosen = ISO2022JP
            if codec != ISO2022JP:
                defects += (f"charset_mislabelled:{declared}->iso-2022-jp",)
        else:
            text, bad, chosen = data.decode("ascii"), 0, "ascii"
    else:
        chosen, text, bad = _decode_labelled(data, codec, declared)
        if codec is not None and chosen != codec:
            defects += (f"charset_mislabelled:{declared}->{chosen}",)
    if bad:
        defects += (f"undecodable_bytes_dropped:{bad}",)
    cleaned, dropped = clean_text(text)
    if dropped:
        defects += _dropped_characters(text)
    return Decoded(cleaned, chosen, defects)


def _dropped_characters(text: str) -> tuple[str, ...]:
    """Name what clean_text removed: escapes mean a decoding went wrong, the others were in the source."""
    escapes, replacements = text.count("\x1b"), text.count("\ufffd")
    others = len(text) - len(_CONTROL.sub("", text)) - escapes - replacements
    found = (
        ("escape_bytes_dropped", escapes),
        ("replacement_characters_in_source_dropped", replacements),
        ("control_characters_dropped", others),
    )
    return tuple(f"{name}:{count}" for name, count in found if count)


def _decode_labelled(data: bytes, codec: str | None, declared: str | None) -> tuple[str, str, int]:
    if codec is None or codec == "ascii":
        return _sniff(data, None)
    text, bad = _try(data, codec)
    if bad:
        return _sniff(data, codec)
    if codec in _SINGLE_BYTE_LATIN:
        # Latin-1 labels never fail, so check the bytes are not UTF-8 or Japanese in disguise.
        utf8_text, utf8_bad = _try(data, "utf-8")
        if not utf8_bad:
            return "utf-8", utf8_text, 0
        ja = _best_japanese(data, None)
        if ja is not None and ja[2] == 0 and japanese_score(ja[1])[0] >= 2:
            return ja
    return codec, text, 0
