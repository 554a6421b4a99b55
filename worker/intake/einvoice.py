"""Structured e-invoices: UBL 2.1 (Peppol BIS Billing 3.0, JP PINT) and UN/CEFACT CII (Factur-X, ZUGFeRD).

Parsed with our own safe lxml parser: no entity resolution, no DTD loading, no network, no huge trees,
and a document that declares a DTD at all is refused (no e-invoice standard uses one; entity tricks
do). Paths use the `{*}` namespace wildcard so ZUGFeRD 1.0 / CII D16B / D22B prefixes all read alike.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from lxml import etree

from worker.errors import IntakeError
from worker.intake.assemble import Draft
from worker.intake.values import ZERO_DECIMAL

MAX_XML_BYTES = 10 * 1024 * 1024
# UBL invoice type codes that ask for payment (UNTDID 1001): commercial, debit note, corrected,
# prepayment, self-billed, invoice information (Peppol), factored.
PAYABLE_TYPE_CODES = frozenset({"380", "383", "384", "386", "389", "751", "393", "82", "875", "876", "877"})
CREDIT_TYPE_CODES = frozenset({"381", "261", "262", "296", "308", "396", "420", "458", "532"})


class NotAnInvoice(Exception):
    """A well-formed business document that is not an invoice (a credit note, an order); args[0] says what."""


class NotEInvoice(NotAnInvoice):
    """Well-formed XML that is neither UBL nor CII."""


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_xml(data: bytes) -> etree._Element:
    """The root element, or IntakeError for malformed, oversized or DTD-carrying XML."""
    if len(data) > MAX_XML_BYTES:
        raise IntakeError(f"XML is {len(data)} bytes, over the {MAX_XML_BYTES}-byte limit")
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise IntakeError(f"malformed XML: {str(exc)[:120]}") from exc
    if root is None:
        raise IntakeError("empty XML document")
    if root.getroottree().docinfo.internalDTD is not None or b"<!ENTITY" in data[:65536]:
        raise IntakeError("XML declares a DTD or entities: refused (e-invoices never need them)")
    return root


def _path(path: str) -> str:
    return "/".join(
        part if part in (".", "..") or part.startswith("{") else "{*}" + part for part in path.split("/")
    )


def _el(node: etree._Element, *paths: str) -> etree._Element | None:
    for path in paths:
        found = node.find(_path(path))
        if found is not None:
            return found
    return None


def _text(node: etree._Element | None, *paths: str) -> str | None:
    if node is None:
        return None
    found = _el(node, *paths)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def _iso_date(value: str | None) -> date | None:
    if not value:
        return None
    value = value.strip()
    try:
        if len(value) == 8 and value.isdigit():  # CII format 102
            return date(int(value[:4]), int(value[4:6]), int(value[6:]))
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _amount(node: etree._Element | None, currency: str | None) -> Decimal | None:
    if node is None or not (node.text or "").strip():
        return None
    try:
        value = Decimal((node.text or "").strip())
    except InvalidOperation:
        return None
    if not value.is_finite():  # NaN, Infinity: no amount (a person reads the invoice)
        return None
    if value.is_finite() and value.adjusted() >= 14:  # rounding it would overflow; the checks call it too large
        return value
    if currency in ZERO_DECIMAL and value == value.to_integral_value():
        value = value.quantize(Decimal(1))
    return value


def _japanese(*values: str | None) -> bool:
    return any(v and any("\u3040" <= ch <= "\u9fff" for ch in v) for v in values)


def _first_email(party: etree._Element | None, paths: tuple[str, ...]) -> str | None:
    if party is None:
        return None
    for path in paths:
        for node in party.iterfind(_path(path)):
            scheme = (node.get("schemeID") or "EM").upper()  # ElectronicMail / URIID carry no scheme
            value = (node.text or "").strip().removeprefix("mailto:")
            if "@" in value and scheme == "EM":
                return value
    return None


# --- UBL ----------------------------------------------------------------------------------------------------

_UBL_EMAIL_PATHS = ("EndpointID", "Contact/ElectronicMail")


def _ubl(root: etree._Element) -> Draft:
    kind = etree.QName(root).localname
    if kind == "CreditNote":
        raise NotAnInvoice("a UBL credit note, not an invoice")
    if kind != "Invoice":
        raise NotAnInvoice(f"a UBL {kind}, not an invoice")
    type_code = _text(root, "InvoiceTypeCode")
    if type_code in CREDIT_TYPE_CODES:
        raise NotAnInvoice(f"a credit note (invoice type code {type_code}), not an invoice")
    draft = Draft(source="ubl")
    draft.number = _text(root, "ID")
    draft.issue_date = _iso_date(_text(root, "IssueDate"))
    draft.due_date = _iso_date(
        _text(root, "DueDate", "PaymentMeans/PaymentDueDate", "PaymentTerms/PaymentDueDate")
    )
    draft.terms_text = " ".join(t.text or "" for t in root.iterfind(_path("PaymentTerms/Note")))
    buyer = _el(root, "AccountingCustomerParty/Party")
    draft.customer_name = _text(buyer, "PartyLegalEntity/RegistrationName", "PartyName/Name")
    draft.customer_email = _first_email(buyer, _UBL_EMAIL_PATHS)
    total = _el(root, "LegalMonetaryTotal/PayableAmount", "LegalMonetaryTotal/TaxInclusiveAmount")
    draft.currency = _text(root, "DocumentCurrencyCode") or (
        total.get("currencyID") if total is not None else None
    )
    draft.amount = _amount(total, draft.currency)
    seller = _el(root, "AccountingSupplierParty/Party")
    draft.registration_number = _text(seller, "PartyTaxScheme/CompanyID", "PartyLegalEntity/CompanyID")
    jp = "jp" in (_text(root, "CustomizationID") or "").lower() or draft.currency == "JPY"
    draft.language = "ja" if jp or _japanese(draft.customer_name) else "en"
    return draft


# --- CII ----------------------------------------------------------------------------------------------------

_CII_TX = ("SupplyChainTradeTransaction", "SpecifiedSupplyChainTradeTransaction")
_CII_EMAIL_PATHS = (
    "URIUniversalCommunication/URIID",
    "DefinedTradeContact/EmailURIUniversalCommunication/URIID",
)


def _cii_tx(root: etree._Element, *tails: str) -> etree._Element | None:
    return _el(root, *(f"{tx}/{tail}" for tx in _CII_TX for tail in tails))


def _cii(root: etree._Element) -> Draft:
    header = _el(root, "ExchangedDocument", "HeaderExchangedDocument")
    type_code = _text(header, "TypeCode")
    if type_code in CREDIT_TYPE_CODES:
        raise NotAnInvoice(f"a credit note (CII type code {type_code}), not an invoice")
    if type_code and type_code not in PAYABLE_TYPE_CODES:
        raise NotAnInvoice(f"a CII document of type {type_code}, not an invoice")
    draft = Draft(source="cii")
    draft.number = _text(header, "ID")
    draft.issue_date = _iso_date(_text(header, "IssueDateTime/DateTimeString"))
    buyer = _cii_tx(
        root,
        "ApplicableHeaderTradeAgreement/BuyerTradeParty",
        "ApplicableSupplyChainTradeAgreement/BuyerTradeParty",
    )
    draft.customer_name = _text(buyer, "Name")
    draft.customer_email = _first_email(buyer, _CII_EMAIL_PATHS)
    settlement = _cii_tx(root, "ApplicableHeaderTradeSettlement", "ApplicableSupplyChainTradeSettlement")
    draft.currency = _text(settlement, "InvoiceCurrencyCode")
    summation = (
        _el(
            settlement,
            "SpecifiedTradeSettlementHeaderMonetarySummation",
            "SpecifiedTradeSettlementMonetarySummation",
        )
        if settlement is not None
        else None
    )
    total = _el(summation, "DuePayableAmount", "GrandTotalAmount") if summation is not None else None
    draft.currency = draft.currency or (total.get("currencyID") if total is not None else None)
    draft.amount = _amount(total, draft.currency)
    terms = _el(settlement, "SpecifiedTradePaymentTerms") if settlement is not None else None
    draft.due_date = _iso_date(_text(terms, "DueDateDateTime/DateTimeString"))
    draft.terms_text = _text(terms, "Description") or ""
    seller = _cii_tx(
        root,
        "ApplicableHeaderTradeAgreement/SellerTradeParty",
        "ApplicableSupplyChainTradeAgreement/SellerTradeParty",
    )
    draft.registration_number = _text(seller, "SpecifiedTaxRegistration/ID", "SpecifiedLegalOrganization/ID")
    draft.language = "ja" if draft.currency == "JPY" or _japanese(draft.customer_name) else "en"
    return draft


def read_einvoice(data: bytes) -> Draft:
    """A Draft from UBL or CII XML. IntakeError for unreadable XML; NotAnInvoice for credit notes and such."""
    root = parse_xml(data)
    localname = etree.QName(root).localname
    namespace = etree.QName(root).namespace or ""
    if "oasis" in namespace and "ubl" in namespace.lower():
        return _ubl(root)
    if localname in ("CrossIndustryInvoice", "CrossIndustryDocument"):
        return _cii(root)
    raise NotEInvoice(f"XML of type {localname}, not a UBL or CII invoice")
