"""Build test invoices in every format intake reads: text PDFs (English, and Japanese with reportlab's
built-in CID fonts, which pypdfium2 reads back), UBL 2.1 / JP PINT and CII XML, Factur-X PDFs (XML
embedded by the factur-x package), and .eml wrappers (forwards, several attachments).

    spec = InvoiceSpec()                       # an English USD invoice
    pdf = pdf_invoice(JA_SPEC)                 # a 請求書 PDF
    raw = forward_mail([("invoice.pdf", "application/pdf", pdf)], original_to="ap@customer.example")
"""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from datetime import date
from xml.sax.saxutils import escape

from reportlab.lib import pdfencrypt
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from tests.mailfactory import attachment, mail, multipart, part

JA_FONT = "HeiseiKakuGo-W5"
pdfmetrics.registerFont(UnicodeCIDFont(JA_FONT))


@dataclass(frozen=True)
class InvoiceSpec:
    number: str = "INV-2026-0042"
    customer_name: str = "Globex Corporation"
    customer_email: str | None = "ap@globex.example"
    amount: str = "12,345.67"  # as printed
    amount_value: str = "12345.67"  # as the contract states it
    currency: str = "USD"
    sign: str = "$"
    issue: date = date(2026, 4, 1)
    due: date | None = date(2026, 5, 1)
    terms: str | None = None
    seller: str = "Acme Supplies Ltd"
    seller_email: str = "billing@acme.example"
    registration: str | None = None
    language: str = "en"


JA_SPEC = InvoiceSpec(
    number="2026-0412",
    customer_name="株式会社山田商事",
    customer_email="keiri@yamada-shoji.example",
    amount="1,234,500",
    amount_value="1234500",
    currency="JPY",
    sign="¥",
    issue=date(2026, 4, 15),
    due=date(2026, 5, 31),
    seller="株式会社サンプル",
    seller_email="seikyu@sample.example",
    registration="T1234567890123",
    language="ja",
)
EUR_SPEC = replace(
    InvoiceSpec(),
    number="FA-2026-117",
    customer_name="Müller GmbH",
    customer_email="buchhaltung@mueller.example",
    amount="1.234,50",
    amount_value="1234.50",
    currency="EUR",
    sign="EUR ",
)


def _ja_date(d: date, era: bool = False) -> str:
    return f"令和{d.year - 2018}年{d.month}月{d.day}日" if era else f"{d.year}年{d.month}月{d.day}日"


def invoice_lines(spec: InvoiceSpec, *, title: str | None = None, era: bool = False) -> list[tuple[str, str]]:
    """The (label, value) lines of a printed invoice; a value of "" makes the label a heading."""
    if spec.language == "ja":
        lines = [(title or "請　求　書", ""), (f"{spec.customer_name} 御中", "")]
        if spec.customer_email:
            lines.append((f"メール: {spec.customer_email}", ""))
        lines += [
            ("請求書番号:", spec.number),
            ("発行日:", _ja_date(spec.issue, era)),
            (spec.seller, ""),
            (f"登録番号 {spec.registration}" if spec.registration else "〒100-0001 東京都千代田区", ""),
            (f"メール: {spec.seller_email}", ""),
            ("下記のとおりご請求申し上げます。", ""),
            ("小計", f"{spec.sign}1,122,273"),
            ("消費税(10%)", f"{spec.sign}112,227"),
            ("ご請求金額（税込）", f"{spec.sign}{spec.amount}"),
        ]
        if spec.due:
            lines.append(("お支払期限:", _ja_date(spec.due, era)))
        if spec.terms:
            lines.append(("支払条件:", spec.terms))
        return lines
    lines = [
        (title or "INVOICE", ""),
        (spec.seller, ""),
        (spec.seller_email, ""),
        ("Invoice No.:", spec.number),
        ("Invoice date:", spec.issue.strftime("%B %d, %Y")),
    ]
    if spec.due:
        lines.append(("Due date:", spec.due.strftime("%B %d, %Y")))
    if spec.terms:
        lines.append(("Payment terms:", spec.terms))
    lines += [("Bill to:", ""), (spec.customer_name, "")]
    if spec.customer_email:
        lines.append((spec.customer_email, ""))
    # Subtotal + tax add up to the amount due (intake flags invoices whose sums disagree).
    default = spec.amount_value == "12345.67"
    lines += [
        ("Consulting services, April", f"{spec.sign}10,000.00"),
        ("Subtotal", f"{spec.sign}{'10,000.00' if default else spec.amount}"),
        ("Tax", f"{spec.sign}{'2,345.67' if default else '0.00'}"),
        ("Amount due", f"{spec.sign}{spec.amount}"),
    ]
    return lines


def _draw(
    lines: list[tuple[str, str]], font: str, *, encrypt: pdfencrypt.StandardEncryption | None = None
) -> bytes:
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, encrypt=encrypt, invariant=1)
    y = 800.0
    for label, value in lines:
        pdf.setFont(font, 11)
        pdf.drawString(50, y, label)
        if value:
            pdf.drawString(300, y, value)  # a table column: same baseline, separate text object
        y -= 22
        if y < 60:
            pdf.showPage()
            y = 800.0
    pdf.save()
    return buf.getvalue()


def pdf_invoice(spec: InvoiceSpec = InvoiceSpec(), *, title: str | None = None, era: bool = False) -> bytes:
    font = JA_FONT if spec.language == "ja" else "Helvetica"
    return _draw(invoice_lines(spec, title=title, era=era), font)


def encrypted_pdf(spec: InvoiceSpec = InvoiceSpec()) -> bytes:
    """Needs a user password to open."""
    return _draw(
        invoice_lines(spec), "Helvetica", encrypt=pdfencrypt.StandardEncryption("secret", ownerPassword="o")
    )


def image_only_pdf() -> bytes:
    """A 'scan': shapes and no text layer."""
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, invariant=1)
    for i in range(20):
        pdf.rect(50 + i * 10, 700 - i * 12, 200, 8, fill=1)
    pdf.save()
    return buf.getvalue()


def many_pages_pdf(pages: int) -> bytes:
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, invariant=1)
    for i in range(pages):
        pdf.drawString(50, 800, f"Page {i + 1} of the appendix to invoice INV-1")
        pdf.showPage()
    pdf.save()
    return buf.getvalue()


# --- XML ----------------------------------------------------------------------------------------------------

UBL_NS = {
    "Invoice": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "CreditNote": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
}
JP_PINT = "urn:peppol:pint:billing-1@jp-1"
PEPPOL_BIS = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"


def ubl_xml(
    spec: InvoiceSpec = InvoiceSpec(),
    *,
    root: str = "Invoice",
    customization: str = PEPPOL_BIS,
    email_in: str = "endpoint",  # "endpoint", "contact" or "none"
    due_in: str = "DueDate",  # "DueDate", "PaymentMeans", "terms" or "none"
) -> bytes:
    e = escape
    email = spec.customer_email or ""
    endpoint = (
        f'<cbc:EndpointID schemeID="EM">{e(email)}</cbc:EndpointID>'
        if email_in == "endpoint"
        else ('<cbc:EndpointID schemeID="0188">1234567890123</cbc:EndpointID>')
    )
    contact = (
        f"<cac:Contact><cbc:ElectronicMail>{e(email)}</cbc:ElectronicMail></cac:Contact>"
        if (email_in == "contact")
        else ""
    )
    due = spec.due.isoformat() if spec.due else ""
    due_el = f"<cbc:DueDate>{due}</cbc:DueDate>" if due_in == "DueDate" and root == "Invoice" else ""
    means = (
        (
            f"<cac:PaymentMeans><cbc:PaymentMeansCode>30</cbc:PaymentMeansCode><cbc:PaymentDueDate>{due}"
            "</cbc:PaymentDueDate></cac:PaymentMeans>"
        )
        if due_in == "PaymentMeans"
        else ""
    )
    terms = (
        f"<cac:PaymentTerms><cbc:Note>{e(spec.terms or '')}</cbc:Note></cac:PaymentTerms>"
        if due_in == "terms"
        else ""
    )
    type_code = (
        "<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>"
        if root == "Invoice"
        else ("<cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode>")
    )
    total = "LegalMonetaryTotal"
    tax_scheme = (
        (
            f"<cac:PartyTaxScheme><cbc:CompanyID>{spec.registration}</cbc:CompanyID><cac:TaxScheme>"
            "<cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>"
        )
        if spec.registration
        else ""
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<{root} xmlns="{UBL_NS[root]}"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>{customization}</cbc:CustomizationID>
  <cbc:ProfileID>urn:fdc:peppol.eu:2017:poacc:billing:01:1.0</cbc:ProfileID>
  <cbc:ID>{e(spec.number)}</cbc:ID>
  <cbc:IssueDate>{spec.issue.isoformat()}</cbc:IssueDate>
  {due_el}
  {type_code}
  <cbc:DocumentCurrencyCode>{spec.currency}</cbc:DocumentCurrencyCode>
  <cac:AccountingSupplierParty><cac:Party>
    <cbc:EndpointID schemeID="EM">{e(spec.seller_email)}</cbc:EndpointID>
    <cac:PartyName><cbc:Name>{e(spec.seller)}</cbc:Name></cac:PartyName>
    {tax_scheme}
    <cac:PartyLegalEntity><cbc:RegistrationName>{e(spec.seller)}</cbc:RegistrationName></cac:PartyLegalEntity>
    <cac:Contact><cbc:ElectronicMail>{e(spec.seller_email)}</cbc:ElectronicMail></cac:Contact>
  </cac:Party></cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty><cac:Party>
    {endpoint}
    <cac:PartyName><cbc:Name>{e(spec.customer_name)}</cbc:Name></cac:PartyName>
    <cac:PartyLegalEntity><cbc:RegistrationName>{e(spec.customer_name)}</cbc:RegistrationName></cac:PartyLegalEntity>
    {contact}
  </cac:Party></cac:AccountingCustomerParty>
  {means}
  {terms}
  <cac:{total}>
    <cbc:LineExtensionAmount currencyID="{spec.currency}">1</cbc:LineExtensionAmount>
    <cbc:TaxInclusiveAmount currencyID="{spec.currency}">{spec.amount_value}</cbc:TaxInclusiveAmount>
    <cbc:PayableAmount currencyID="{spec.currency}">{spec.amount_value}</cbc:PayableAmount>
  </cac:{total}>
</{root}>
""".encode()


def cii_xml(spec: InvoiceSpec = InvoiceSpec(), *, type_code: str = "380", with_due: bool = True) -> bytes:
    """A Factur-X EN 16931 CII invoice (valid against the factur-x package's XSD)."""
    e = escape
    due = (
        (
            f'<ram:DueDateDateTime><udt:DateTimeString format="102">{spec.due:%Y%m%d}</udt:DateTimeString>'
            "</ram:DueDateDateTime>"
        )
        if spec.due and with_due
        else ""
    )
    terms = f"<ram:Description>{e(spec.terms)}</ram:Description>" if spec.terms else ""
    email = (
        (
            f'<ram:URIUniversalCommunication><ram:URIID schemeID="EM">{e(spec.customer_email)}</ram:URIID>'
            "</ram:URIUniversalCommunication>"
        )
        if spec.customer_email
        else ""
    )
    reg = (
        (
            f'<ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">{spec.registration}</ram:ID>'
            "</ram:SpecifiedTaxRegistration>"
        )
        if spec.registration
        else ""
    )
    cur = spec.currency
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
 xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
 xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
 xmlns:qdt="urn:un:unece:uncefact:data:standard:QualifiedDataType:100">
  <rsm:ExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter>
    <ram:ID>urn:cen.eu:en16931:2017</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument>
    <ram:ID>{e(spec.number)}</ram:ID><ram:TypeCode>{type_code}</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">{spec.issue:%Y%m%d}</udt:DateTimeString>
    </ram:IssueDateTime>
  </rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>
    <ram:IncludedSupplyChainTradeLineItem>
      <ram:AssociatedDocumentLineDocument><ram:LineID>1</ram:LineID></ram:AssociatedDocumentLineDocument>
      <ram:SpecifiedTradeProduct><ram:Name>Services</ram:Name></ram:SpecifiedTradeProduct>
      <ram:SpecifiedLineTradeAgreement><ram:NetPriceProductTradePrice><ram:ChargeAmount>{spec.amount_value}</ram:ChargeAmount>
      </ram:NetPriceProductTradePrice></ram:SpecifiedLineTradeAgreement>
      <ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode="C62">1</ram:BilledQuantity>
      </ram:SpecifiedLineTradeDelivery>
      <ram:SpecifiedLineTradeSettlement><ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode>
        <ram:CategoryCode>Z</ram:CategoryCode><ram:RateApplicablePercent>0</ram:RateApplicablePercent></ram:ApplicableTradeTax>
        <ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>{spec.amount_value}</ram:LineTotalAmount>
        </ram:SpecifiedTradeSettlementLineMonetarySummation></ram:SpecifiedLineTradeSettlement>
    </ram:IncludedSupplyChainTradeLineItem>
    <ram:ApplicableHeaderTradeAgreement>
      <ram:SellerTradeParty><ram:Name>{e(spec.seller)}</ram:Name>
        <ram:PostalTradeAddress><ram:CountryID>{"JP" if cur == "JPY" else "FR"}</ram:CountryID>
        </ram:PostalTradeAddress>
        {reg}</ram:SellerTradeParty>
      <ram:BuyerTradeParty><ram:Name>{e(spec.customer_name)}</ram:Name>
        <ram:PostalTradeAddress><ram:CountryID>{"JP" if cur == "JPY" else "DE"}</ram:CountryID>
        </ram:PostalTradeAddress>
        {email}</ram:BuyerTradeParty>
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeDelivery/>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:InvoiceCurrencyCode>{cur}</ram:InvoiceCurrencyCode>
      <ram:ApplicableTradeTax><ram:CalculatedAmount>0</ram:CalculatedAmount><ram:TypeCode>VAT</ram:TypeCode>
        <ram:BasisAmount>{spec.amount_value}</ram:BasisAmount><ram:CategoryCode>Z</ram:CategoryCode>
        <ram:RateApplicablePercent>0</ram:RateApplicablePercent></ram:ApplicableTradeTax>
      <ram:SpecifiedTradePaymentTerms>{terms}{due}</ram:SpecifiedTradePaymentTerms>
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        <ram:LineTotalAmount>{spec.amount_value}</ram:LineTotalAmount>
        <ram:TaxBasisTotalAmount>{spec.amount_value}</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="{cur}">0</ram:TaxTotalAmount>
        <ram:GrandTotalAmount>{spec.amount_value}</ram:GrandTotalAmount>
        <ram:DuePayableAmount>{spec.amount_value}</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
""".encode()


def facturx_pdf(
    spec: InvoiceSpec = InvoiceSpec(), *, xml: bytes | None = None, visible: InvoiceSpec | None = None
) -> bytes:
    """A Factur-X PDF: the printed invoice (of `visible`, default spec) with the CII XML embedded."""
    from facturx import generate_from_binary

    printed = pdf_invoice(visible or spec)
    return bytes(generate_from_binary(printed, xml or cii_xml(spec), check_xsd=False))


XXE_UBL = b"""<?xml version="1.0"?>
<!DOCTYPE Invoice [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:ID>&secret;</cbc:ID>
</Invoice>
"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><ID>&lol3;</ID></Invoice>
"""


# --- mail ---------------------------------------------------------------------------------------------------


def _headers(
    subject: str, sender: str, to: str, extra: tuple[tuple[str, str], ...] = ()
) -> list[tuple[str, str]]:
    return [
        ("From", sender),
        ("To", to),
        ("Subject", subject),
        ("Date", "Wed, 15 Apr 2026 09:30:00 +0900"),
        ("Message-ID", "<fwd-1@acme.example>"),
        ("MIME-Version", "1.0"),
        *extra,
    ]


def forward_note(original_to: str | None, *, japanese: bool = False, subject: str = "Invoice") -> str:
    """The block a mail client writes above a forwarded mail (Gmail in English, Outlook in Japanese)."""
    if original_to is None:
        return "Please chase this one.\n"
    if japanese:
        return (
            "よろしくお願いします。\n\n差出人: 経理部 <billing@acme.example>\n送信日時: 2026年4月15日 9:00\n"
            f"宛先: 山田 太郎 <{original_to}>\n件名: {subject}\n\n"
        )
    return (
        "FYI - please chase.\n\n---------- Forwarded message ---------\n"
        "From: Billing <billing@acme.example>\n"
        f"Date: Wed, Apr 1, 2026 at 9:00 AM\nSubject: {subject}\nTo: Accounts Payable <{original_to}>\n\n"
    )


def intake_mail(
    attachments: list[tuple[str, str, bytes]],
    *,
    body: str = "",
    original_to: str | None = "ap@globex.example",
    japanese: bool = False,
    subject: str = "Fwd: Invoice",
    sender: str = "Finance <finance@acme.example>",
    extra_headers: tuple[tuple[str, str], ...] = (),
) -> bytes:
    """A mail to the intake address: a forward note (naming the original recipient) plus attachments."""
    text = forward_note(original_to, japanese=japanese, subject=subject.removeprefix("Fwd: ")) + body
    parts = [part("text/plain", text, charset="utf-8")]
    parts += [attachment(f'filename="{name}"', ctype, data) for name, ctype, data in attachments]
    entity = multipart("mixed", parts) if attachments else part("text/plain", text, charset="utf-8")
    return mail(_headers(subject, sender, "invoices@acme.example", extra_headers), entity, defaults=False)


def body_text(spec: InvoiceSpec, *, title: str | None = None) -> str:
    """An invoice written in the mail body, as billing systems send them."""
    return "\n".join(f"{label} {value}".strip() for label, value in invoice_lines(spec, title=title)) + "\n"


def html_body_mail(spec: InvoiceSpec, *, original_to: str = "ap@globex.example") -> bytes:
    rows = "".join(
        f"<tr><td>{escape(label)}</td><td>{escape(value)}</td></tr>" for label, value in invoice_lines(spec)
    )
    html = (
        "<html><body><p>FYI</p><div>---------- Forwarded message ---------<br>"
        "From: Billing &lt;billing@acme.example&gt;"
        f"<br>Subject: Invoice<br>To: &lt;{original_to}&gt;</div><table>{rows}</table></body></html>"
    )
    return mail(
        _headers("Fwd: Invoice", "finance@acme.example", "invoices@acme.example"),
        part("text/html", html, charset="utf-8"),
        defaults=False,
    )


def batch_pdf(specs: list[InvoiceSpec]) -> bytes:
    """A batch export: one invoice per page."""
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, invariant=1)
    for spec in specs:
        y = 800.0
        for label, value in invoice_lines(spec):
            pdf.setFont(JA_FONT if spec.language == "ja" else "Helvetica", 11)
            pdf.drawString(50, y, label)
            if value:
                pdf.drawString(300, y, value)
            y -= 22
        pdf.showPage()
    pdf.save()
    return buf.getvalue()
