"""What kind of document a text is: an invoice, or a credit note, quote, receipt, delivery note, order.

A document says what it is in its title, so only title-like lines at the top are read: an invoice that
mentions "見積書番号 Q-12" or "keep this as your receipt" further down is still an invoice. The rules
are an ordered tuple; the first title line any rule matches decides. Japanese titles are often spaced
out ("請　求　書"), so spaces are dropped from short lines before matching.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass


class DocKind(enum.StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"
    DEBIT_NOTE = "debit_note"
    QUOTE = "quote"
    RECEIPT = "receipt"
    DELIVERY_NOTE = "delivery_note"
    ORDER = "order"
    STATEMENT = "statement"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class TitleRule:
    kind: DocKind
    pattern: re.Pattern[str]


# Order matters: "納品書兼請求書" and "請求書兼領収書" are invoices, so combined titles are tried first.
TITLE_RULES: tuple[TitleRule, ...] = (
    TitleRule(DocKind.INVOICE, re.compile(r"請求書兼|兼請求書|兼ご請求書|兼御請求書")),
    TitleRule(
        DocKind.CREDIT_NOTE,
        re.compile(
            r"(?i)クレジットノート|貸方票|返金通知|credit\s*(note|memo)|赤伝|gutschrift|rechnungskorrektur|"
            r"stornorechnung|^avoir\b|facture\s+d['’]avoir|creditnota|creditfactuur|nota\s+de\s+cr[ée]dito|"
            r"factura\s+rectificativa"
        ),
    ),
    TitleRule(
        DocKind.DEBIT_NOTE, re.compile(r"(?i)debit\s*(?:note|memo)|lastschriftanzeige|note\s+de\s+d[ée]bit|debetnota")
    ),
    TitleRule(
        DocKind.QUOTE,
        re.compile(
            r"(?i)見積書|見積り書|御見積|お見積|quotation|\bquote\b|\bestimate\b|"
            r"pro\s*-?\s*forma|^angebot\b|kostenvoranschlag|^devis\b|^offerte\b|^presupuesto\b|cotizaci[óo]n"
        ),
    ),
    TitleRule(
        DocKind.RECEIPT,
        re.compile(
            r"(?i)領収書|領収証|^receipt\b|payment\s+receipt|sales\s+receipt|^quittung\b|^re[çc]u\b|"
            r"remittance\s+advice|payment\s+advice|zahlungsavis|avis\s+de\s+paiement|betalingsadvies|"
            r"^kwitantie\b|^recibo\b|zahlungsbest[äa]tigung"
        ),
    ),
    TitleRule(
        DocKind.DELIVERY_NOTE,
        re.compile(
            r"(?i)納品書|delivery\s+(?:note|challan)|packing\s+(?:slip|list)|^lieferschein|bon\s+de\s+livraison|"
            r"^pakbon|albar[áa]n|^challan\b"
        ),
    ),
    TitleRule(
        DocKind.ORDER,
        re.compile(
            r"(?i)注文書|発注書|注文請書|purchase\s+order|^bestellung\b|auftragsbest[äa]tigung|order\s+confirmation|"
            r"orderbevestiging|opdrachtbevestiging|confirmation\s+de\s+commande|sales\s+order|"
            r"bon\s+de\s+commande|^inkooporder|^bestelling\b|^pedido\b|orden\s+de\s+compra"
        ),
    ),
    TitleRule(
        DocKind.STATEMENT,
        re.compile(
            r"(?i)statement\s+of\s+account|^account\s+statement|^statement\b|^kontoauszug|relev[ée]\s+de\s+compte|"
            r"rekeningoverzicht|estado\s+de\s+cuenta"
        ),
    ),
    TitleRule(DocKind.INVOICE, re.compile(r"(?i)請求書|ご請求|御請求|invoice|rechnung|facture|factuur|factura")),
)
# With no title, these labels still make a document an invoice.
INVOICE_LABELS = re.compile(
    r"(?i)請求書番号|請求番号|ご請求金額|請求金額|お支払期限|お支払い期限|お支払い?期日|"
    r"invoice\s*(no|number|#)|amount\s+due|balance\s+due|total\s+due|rechnungsnummer|"
    r"n°\s*de\s+facture|factuurnummer|n[úu]mero\s+de\s+factura"
)
_HEAD_LINES = 12
_TITLE_MAX = 40


def _title_lines(text: str) -> list[str]:
    lines = [line.strip() for line in text.splitlines() if line.strip()][:_HEAD_LINES]
    # A title sharing its line with a letterhead cell ("PURCHASE ORDER   Acme Ltd") is a cell of its own.
    lines = [cell.strip() for line in lines for cell in re.split(r"\s{3,}|\t", line) if cell.strip()]
    titles = []
    for line in lines:
        if len(line) <= _TITLE_MAX:
            # "請 求 書" → "請求書"; keep spaces between Latin words ("Credit Note").
            line = re.sub(r"(?<=[^\x00-\x7f])\s+(?=[^\x00-\x7f])", "", line)
            titles.append(line)
    return titles


def document_kind(text: str) -> DocKind:
    """The kind a document's title says, else INVOICE when invoice labels are present, else UNKNOWN."""
    for line in _title_lines(text):
        for rule in TITLE_RULES:
            if rule.pattern.search(line):
                return rule.kind
    return DocKind.INVOICE if INVOICE_LABELS.search(text) else DocKind.UNKNOWN


REASONS: dict[DocKind, str] = {
    DocKind.CREDIT_NOTE: "a credit note, not an invoice",
    DocKind.DEBIT_NOTE: "a debit note (it adjusts an invoice): a person decides",
    DocKind.QUOTE: "a quote or estimate, not an invoice",
    DocKind.RECEIPT: "a receipt (already paid), not an invoice",
    DocKind.DELIVERY_NOTE: "a delivery note, not an invoice",
    DocKind.ORDER: "a purchase order, not an invoice",
    DocKind.STATEMENT: "a statement of account, not an invoice",
    DocKind.UNKNOWN: "not recognised as an invoice",
}
