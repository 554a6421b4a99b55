"""Reminder templates: MJML compiled once at start, filled per mail with Jinja2.

A template file (mail_templates/<lang>/<name>.mjml) is a subject line, `---`, then MJML body blocks
(<mj-text>, …). Markers %%INVOICES%% and %%PAYMENT%% place the standard invoice table and payment
block. Every template is wrapped in mail_templates/layout.mjml, compiled by mjml-python (Jinja tags
survive compilation) and turned into a Jinja template with autoescaping — so a customer called
<script> is printed, never run. The text/plain part is a second template, derived once from the compiled
HTML with its placeholders still in it (html_to_text at start, not per mail: it cost more than the fill).

mjml-python leaves <mj-style> CSS in the head; these templates style through mj-attributes, which
MJML writes inline, so no CSS inliner is needed (the head keeps only MJML's responsive media queries).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import mjml
import structlog
from babel.dates import format_date
from babel.numbers import format_currency
from jinja2 import Environment, StrictUndefined, Template
from markupsafe import Markup, escape

from worker.errors import ConfigError
from worker.inbound.htmltext import html_to_text

log = structlog.get_logger(__name__)
_BLANK_LINES = re.compile(r"\n{3,}")
_LONE_PLACEHOLDER = re.compile(r"^\{\{ (\w+) \}\}\n", re.M)
LANGUAGES = ("en", "ja")
NAMES = ("courtesy", "reminder_1", "reminder_2", "reminder_3", "final_notice", "promise_missed",
         "payment_not_received", "instalment_due", "consolidated")


@dataclass(frozen=True)
class InvoiceLine:
    number: str
    amount: Decimal
    currency: str
    issue_date: date | None
    due_date: date
    balance: Decimal
    days_overdue: int


@dataclass(frozen=True)
class ReminderContext:
    customer_name: str
    customer_language: str
    sender_company: str
    sender_name: str
    sender_email: str
    invoices: list[InvoiceLine]
    payment_instructions: str = ""
    deadline: date | None = None
    promised_date: date | None = None
    instalment: tuple[int, int, Decimal, str, date] | None = None  # (number, of, amount, currency, due date)
    stage_number: int = 1
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str
    text: str


@dataclass(frozen=True)
class _Compiled:
    subject: Template
    body: Template
    text: Template


class Composer:
    """Loads and compiles every template of every language; a broken one fails here, at start."""

    def __init__(self, templates_dir: Path) -> None:
        self.dir = Path(templates_dir)
        self._env = Environment(autoescape=True, undefined=StrictUndefined, keep_trailing_newline=False)
        self._subject_env = Environment(autoescape=False, undefined=StrictUndefined)
        self._text_env = Environment(autoescape=False, undefined=StrictUndefined, keep_trailing_newline=False)
        layout_path = self.dir / "layout.mjml"
        if not layout_path.exists():
            raise ConfigError(f"{layout_path} is missing; templates_dir must hold layout.mjml and en/, ja/")
        self._layout = layout_path.read_text(encoding="utf-8")
        self._snippets = {name: (self.dir / f"_{name}.mjml").read_text(encoding="utf-8")
                          for name in ("invoices", "payment")}
        self._templates: dict[tuple[str, str], _Compiled] = {}
        for lang in LANGUAGES:
            for name in NAMES:
                self._templates[(lang, name)] = self._compile(self.dir / lang / f"{name}.mjml")

    def render(self, template: str, ctx: ReminderContext) -> Rendered:
        lang = ctx.customer_language if ctx.customer_language in LANGUAGES else "en"
        if lang != ctx.customer_language:
            log.info("template_language_fallback", wanted=ctx.customer_language, used=lang)
        compiled = self._templates.get((lang, template))
        if compiled is None:
            raise ConfigError(f"no template {template!r}; have: {', '.join(NAMES)}")
        values = _values(ctx, lang)
        html = compiled.body.render(**values)
        subject = " ".join(compiled.subject.render(**values).split())
        text = _BLANK_LINES.sub("\n\n", compiled.text.render(**_text_values(values, ctx, lang)))  # empty lines
        return Rendered(subject=subject, html=html, text=text.strip() + "\n")

    def _compile(self, path: Path) -> _Compiled:
        if not path.exists():
            raise ConfigError(f"template {path} is missing (every language needs: {', '.join(NAMES)})")
        source = path.read_text(encoding="utf-8")
        subject_line, sep, body = source.partition("\n---\n")
        if not sep or not subject_line.startswith("subject:"):
            raise ConfigError(f"{path}: must start with 'subject: …' then a line '---'")
        body = body.replace("%%INVOICES%%", self._snippets["invoices"]).replace("%%PAYMENT%%",
                                                                                self._snippets["payment"])
        try:
            compiled = mjml.mjml2html(self._layout.replace("%%CONTENT%%", body))
            return _Compiled(subject=self._subject_env.from_string(subject_line.removeprefix("subject:").strip()),
                             body=self._env.from_string(compiled),
                             text=self._text_env.from_string(_text_source(compiled)))
        except Exception as exc:  # mjml and jinja raise their own types; name the file either way
            raise ConfigError(f"{path}: does not compile: {exc}") from exc


@functools.lru_cache(maxsize=4096)  # babel takes ~30 µs a call; a mail shows the same sums and dates often
def money(amount: Decimal, currency: str, lang: str) -> str:
    if lang == "ja" and currency == "JPY":
        return f"{amount:,.0f}円"
    return str(format_currency(amount, currency, locale="ja_JP" if lang == "ja" else "en"))


@functools.lru_cache(maxsize=4096)
def day(d: date | None, lang: str) -> str:
    if d is None:
        return ""
    if lang == "ja":
        return f"{d.year}年{d.month}月{d.day}日（{'月火水木金土日'[d.weekday()]}）"
    return str(format_date(d, "d MMMM y", locale="en_GB"))


def _values(ctx: ReminderContext, lang: str) -> dict[str, object]:
    totals: dict[str, Decimal] = {}
    for line in ctx.invoices:
        totals[line.currency] = totals.get(line.currency, Decimal(0)) + line.balance
    first = ctx.invoices[0] if ctx.invoices else None
    inst = ctx.instalment
    return {
        "customer_name": ctx.customer_name,
        "sender_company": ctx.sender_company,
        "sender_name": ctx.sender_name,
        "sender_email": ctx.sender_email,
        "number": first.number if first else "",
        "numbers": ", ".join(i.number for i in ctx.invoices),
        "count": len(ctx.invoices),
        "balance": money(first.balance, first.currency, lang) if first else "",
        "due_date": day(first.due_date, lang) if first else "",
        "days_overdue": first.days_overdue if first else 0,
        "total": " + ".join(money(v, c, lang) for c, v in totals.items()),
        "deadline": day(ctx.deadline, lang),
        "promised_date": day(ctx.promised_date, lang),
        "instalment_number": inst[0] if inst else 0,
        "instalment_count": inst[1] if inst else 0,
        "instalment_amount": money(inst[2], inst[3], lang) if inst else "",
        "instalment_due": day(inst[4], lang) if inst else "",
        "payment_instructions": Markup("<br>".join(escape(line) for line in ctx.payment_instructions.splitlines()))
        if ctx.payment_instructions else "",
        "invoice_rows": _rows(ctx.invoices, lang),
        "stage_number": ctx.stage_number,
    }


def _text_source(compiled_html: str) -> str:
    """The text template: the compiled HTML as text, placeholders kept. A line that is only a placeholder
    disappears when its value is empty, as an empty paragraph does in the HTML."""
    return _LONE_PLACEHOLDER.sub(r"{% if \1 %}{{ \1 }}\n{% endif %}", html_to_text(compiled_html))


def _text_values(values: dict[str, object], ctx: ReminderContext, lang: str) -> dict[str, object]:
    """The same facts for the text template: the HTML-valued ones as the text a reader of the HTML sees,
    every other value as is (no autoescaping in text, so 'A & B' stays 'A & B')."""
    return {**values,
            "invoice_rows": "\n".join(" ".join(cells) for cells in _table(ctx.invoices, lang)),
            "payment_instructions": _as_text(str(values["payment_instructions"]))}


@functools.lru_cache(maxsize=16)
def _as_text(html: str) -> str:
    """HTML of a setting (the payment instructions) as text; the same on every mail, so converted once."""
    return html_to_text(html).strip()


def _rows(lines: list[InvoiceLine], lang: str) -> Markup:
    """The invoice table's rows, escaped here so templates need no loop inside a table."""
    head, *body = _table(lines, lang)
    cells = "".join(f'<th style="text-align:left;padding:6px 8px;border-bottom:1px solid #ddd">{escape(h)}</th>'
                    for h in head)
    rows = [f"<tr>{cells}</tr>"]
    for values in body:
        rows.append("<tr>" + "".join(f'<td style="padding:6px 8px;border-bottom:1px solid #eee">{escape(v)}</td>'
                                     for v in values) + "</tr>")
    return Markup("".join(rows))


def _table(lines: list[InvoiceLine], lang: str) -> list[tuple[str, str, str]]:
    """The invoice table as cells: a heading row, then number, due date and balance of each invoice."""
    head = ("請求書番号", "お支払期限", "ご請求残高") if lang == "ja" else ("Invoice", "Due date", "Balance")
    return [head, *((line.number, day(line.due_date, lang), money(line.balance, line.currency, lang))
                    for line in lines)]


def preview_context(language: str) -> ReminderContext:
    """Realistic sample data so `dunmail preview` works without a database."""
    today = date(2026, 4, 20)
    if language == "ja":
        lines = [InvoiceLine("JP-2026-0201", Decimal(1234500), "JPY", date(2026, 2, 28), date(2026, 3, 31),
                             Decimal(1234500), (today - date(2026, 3, 31)).days)]
        return ReminderContext("株式会社北山商事", "ja", "株式会社サンプル", "経理部", "billing@dunmail.example", lines,
                               "振込先：サンプル銀行 本店営業部 普通 1234567 カ）サンプル", today + timedelta(days=10),
                               date(2026, 4, 30), (1, 3, Decimal(411500), "JPY", date(2026, 5, 31)))
    lines = [InvoiceLine("INV-2026-0102", Decimal("12345.67"), "USD", date(2026, 2, 25), date(2026, 3, 27),
                         Decimal("12345.67"), (today - date(2026, 3, 27)).days),
             InvoiceLine("INV-2026-0115", Decimal("980.00"), "USD", date(2026, 3, 10), date(2026, 4, 9),
                         Decimal("980.00"), (today - date(2026, 4, 9)).days)]
    return ReminderContext("Contoso Retail Inc.", "en", "Example Trading Co.", "Accounts Receivable",
                           "billing@dunmail.example", lines, "Bank: Example Bank\nAccount 12345678, sort code 00-00-00",
                           today + timedelta(days=10), date(2026, 4, 30),
                           (1, 3, Decimal("4115.22"), "USD", date(2026, 5, 31)))
