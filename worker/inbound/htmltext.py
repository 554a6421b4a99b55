"""HTML mail to readable plain text, with quoted history kept as "> " lines so reply extraction can cut it.

A small regex tokenizer instead of html2text or html.parser: html2text emits Markdown (escaped "\\-",
"**", link syntax) that the classifier would have to undo, and both walk every tag through pure-Python
callbacks; this one only looks at the tags that change layout and is several times faster on mail HTML
(scripts/bench_parse.py measures it). The HTML arrives already decoded, so a stale
``<meta charset=iso-2022-jp>`` is simply ignored here; ``fix_meta_charset`` rewrites it for consumers
that would re-read it (lxml, talon, a browser).
"""

from __future__ import annotations

import functools
import html as htmllib
import re
from collections.abc import Iterator

_TOKEN = re.compile(
    r"<!--.*?(?:-->|\Z)|<!\[CDATA\[.*?(?:\]\]>|\Z)|<(/?)([a-zA-Z][^\s/>]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>|<[!?][^>]*>",
    re.S,
)
_SKIP_CONTENT = frozenset({"script", "style", "title", "template", "xml", "noscript", "object", "svg"})
_PARAGRAPH = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "table", "pre", "address"})
_BLOCK = frozenset(
    {
        "div",
        "tr",
        "li",
        "dt",
        "dd",
        "section",
        "article",
        "header",
        "footer",
        "center",
        "form",
        "fieldset",
        "body",
        "html",
        "figure",
        "figcaption",
        "main",
        "nav",
        "aside",
        "caption",
        "tbody",
        "thead",
        "tfoot",
        "blockquote",
        "hr",
        "legend",
        "details",
        "summary",
    }
)
_CELL = frozenset({"td", "th"})
_SPACE = re.compile(r"[ \t\r\n\f\u00a0\u200b]+")
_ATTR = re.compile(r"""([a-zA-Z_:][-\w:.]*)\s*(?:=\s*("[^"]*"|'[^']*'|[^\s"'>]+))?""")
# Containers that mail clients put around quoted history (Gmail, Yahoo, Thunderbird, Outlook web/desktop).
_QUOTE_CLASS = re.compile(
    r"(?i)\b(gmail_quote|gmail_quote_container|yahoo_quoted|moz-cite-prefix|"
    r"OutlookMessageHeader|x_gmail_quote|protonmail_quote|zmail_extra)\b"
)
_QUOTE_ID = re.compile(
    r"(?i)^(x_)?(divRplyFwdMsg|appendonsend|reply-intro|OLK_SRC_BODY_SECTION|"
    r"mail-editor-reference-message-container)$"
)
_OUTLOOK_BORDER = re.compile(r"(?i)border-top\s*:\s*solid\s+#?(E1E1E1|B5C4DF)")
_META_CHARSET = re.compile(r"""(<meta\b[^>]*?\bcharset\s*=\s*["']?)([-\w.:]+)""", re.I)
_BLANKS = re.compile(r"\n{3,}")
OUTLOOK_SEPARATOR = "_" * 32  # what Outlook writes for the rule above a quoted header block


def fix_meta_charset(html: str) -> str:
    """Declare UTF-8 in the HTML's meta tags: the text is already decoded, a stale label would garble it."""
    if "charset" not in html and "CHARSET" not in html and "Charset" not in html:
        return html
    return _META_CHARSET.sub(lambda m: m.group(1) + "utf-8", html)


def _attrs(raw: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, value in _ATTR.findall(raw):
        found.setdefault(name.lower(), htmllib.unescape(value.strip("\"'")) if value else "")
    return found


def is_quote_container(tag: str, raw_attrs: str) -> bool:
    """True for an element that mail clients use to wrap the quoted message below a reply."""
    if not raw_attrs or tag not in ("div", "blockquote", "span", "table", "hr", "section"):
        return False
    attrs = _attrs(raw_attrs)
    if _QUOTE_CLASS.search(attrs.get("class", "")) or _QUOTE_ID.match(attrs.get("id", "")):
        return True
    if tag == "blockquote" and attrs.get("type", "").lower() == "cite":
        return True
    return tag == "div" and bool(_OUTLOOK_BORDER.search(attrs.get("style", "")))


class _Writer:
    """Builds lines; knows the blockquote depth and whether whitespace is significant (<pre>)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.current: list[str] = []
        self.depth = 0
        self.pre = 0
        self.lists: list[list[int]] = []  # per open list: [ordered?, counter]
        self.tight_paragraph: int | None = None  # line count when an Outlook MsoNormal <p> opened

    def text(self, data: str) -> None:
        if self.pre:
            chunks = data.replace("\r\n", "\n").split("\n")
            for i, chunk in enumerate(chunks):
                if i:
                    self.newline(force=True)
                self.current.append(chunk.replace("\u00a0", " "))
            return
        data = _SPACE.sub(" ", data)
        if not self.current or self.current[-1].endswith(" "):
            data = data.lstrip(" ")
        if data:
            self.current.append(data)

    def newline(self, force: bool = False) -> None:
        line = "".join(self.current).rstrip()
        self.current = []
        if not line and not force:
            return
        prefix = "> " * self.depth
        self.lines.append((prefix + line) if line else prefix.rstrip())

    def blank(self) -> None:
        self.newline()
        if self.lines and self.lines[-1].strip("> ") != "":
            self.lines.append(("> " * self.depth).rstrip())

    def result(self) -> str:
        self.newline()
        text = "\n".join(self.lines).strip("\n")
        return _BLANKS.sub("\n\n", text)


@functools.cache
def _closing_tag(tag: str) -> re.Pattern[str]:
    return re.compile(rf"</{tag}\s*>", re.I)


def _tokens(html: str) -> Iterator[tuple[str, str | None, bool, str]]:
    """Yield ("text", data, …) and ("tag", name, closing, raw_attrs) in document order; skips scripts."""
    pos = 0
    length = len(html)
    while pos < length:
        m = _TOKEN.search(html, pos)
        if m is None:
            yield "text", html[pos:], False, ""
            return
        if m.start() > pos:
            yield "text", html[pos : m.start()], False, ""
        pos = m.end()
        name = m.group(2)
        if name is None:
            continue  # comment, doctype, conditional comment, processing instruction
        tag = name.lower()
        closing = bool(m.group(1))
        if not closing and tag in _SKIP_CONTENT and not m.group(3).rstrip().endswith("/"):
            end = _closing_tag(tag).search(html, pos)
            pos = end.end() if end else length
            continue
        if not closing and tag == "head":
            end = _closing_tag("head").search(html, pos)
            if end:  # only skip a head that is closed: broken mail sometimes never closes it
                pos = end.end()
                continue
        yield "tag", tag, closing, m.group(3)


def html_to_text(html: str, *, stop_at_quote: bool = False) -> str:
    """Readable text of an HTML mail: paragraphs, line breaks, lists, tables, "> " quoted blockquotes.

    With stop_at_quote, stop at the first container a mail client wraps quoted history in
    (Gmail's gmail_quote, Outlook's reply header, Thunderbird's cite prefix, blockquote type=cite).
    """
    return split_html_quote(html)[0] if stop_at_quote else _convert(html, stop_at_quote=False)[0]


_QUOTE_HINT = re.compile(
    r"(?i)gmail_quote|yahoo_quoted|moz-cite-prefix|OutlookMessageHeader|protonmail_quote|zmail_extra|"
    r"divRplyFwdMsg|appendonsend|reply-intro|OLK_SRC_BODY_SECTION|mail-editor-reference-message-container|"
    r"type\s*=\s*[\"']?cite|border-top\s*:\s*solid"
)


def may_have_quote_container(html: str) -> bool:
    """Cheap test (one regex scan, no conversion) for whether split_html_quote could find anything."""
    return _QUOTE_HINT.search(html) is not None


def split_html_quote(html: str) -> tuple[str, bool]:
    """(text before the quoted-history container, whether such a container was found)."""
    return _convert(html, stop_at_quote=True)


def _convert(html: str, *, stop_at_quote: bool) -> tuple[str, bool]:
    out = _Writer()
    stopped = False
    for kind, data, closing, raw_attrs in _tokens(html):
        if kind == "text":
            assert data is not None
            out.text(htmllib.unescape(data) if "&" in data else data)
            continue
        tag = data or ""
        if stop_at_quote and not closing and is_quote_container(tag, raw_attrs):
            stopped = True
            break
        _handle_tag(out, tag, closing, raw_attrs)
    return out.result(), stopped


def _handle_tag(out: _Writer, tag: str, closing: bool, raw_attrs: str) -> None:
    if tag == "br":
        out.newline(force=True)
    elif tag == "hr":
        out.newline()
        out.lines.append(("> " * out.depth) + OUTLOOK_SEPARATOR)
    elif tag in _CELL:
        if not closing and out.current:
            out.current.append(" ")
    elif tag == "blockquote":
        out.newline()
        out.depth = max(0, out.depth - 1) if closing else out.depth + 1
    elif tag == "pre":
        out.blank()
        out.pre = max(0, out.pre + (-1 if closing else 1))
    elif tag in ("ul", "ol"):
        _list_tag(out, tag, closing)
    elif tag == "li" and not closing:
        _list_item(out)
    elif tag == "p" and (out.tight_paragraph is not None or "MsoNormal" in raw_attrs):
        _tight_paragraph(out, closing)
    elif tag in _PARAGRAPH:
        out.blank()
    elif tag in _BLOCK:
        out.newline()


def _tight_paragraph(out: _Writer, closing: bool) -> None:
    """Outlook writes every line as <p class=MsoNormal> and blank lines as empty ones: one line each."""
    if closing:
        empty = out.tight_paragraph == len(out.lines) and not "".join(out.current).strip()
        out.newline()
        if empty and out.lines and out.lines[-1].strip("> "):
            out.lines.append(("> " * out.depth).rstrip())
        out.tight_paragraph = None
    else:
        out.newline()
        out.tight_paragraph = len(out.lines)


def _list_tag(out: _Writer, tag: str, closing: bool) -> None:
    out.newline()
    if closing:
        if out.lists:
            out.lists.pop()
    else:
        out.lists.append([int(tag == "ol"), 0])


def _list_item(out: _Writer) -> None:
    out.newline()
    indent = "  " * max(0, len(out.lists) - 1)
    if out.lists and out.lists[-1][0]:
        out.lists[-1][1] += 1
        out.current.append(f"{indent}{out.lists[-1][1]}. ")
    else:
        out.current.append(f"{indent}- ")
