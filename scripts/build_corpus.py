"""Build the labelled reply corpus in tests/corpus/ from hand-written bodies.

The creative part lives in tests/corpus/source/ (bodies_en.txt, bodies_ja.txt, bounces.txt): each body is
one distinct customer reply (or one delivery-failure text). This script wraps every body in a few realistic
wire forms — mail client, quoting of the reminder it answers, signature, disclaimer, MIME structure,
charset and transfer encoding — and writes .eml files plus a labels.jsonl per split.

The split is by body, never by file: a body's renders all go to the same split, so the held-out part has
its own words. Output is deterministic (fixed seed), so re-running reproduces the committed files.

    .venv/bin/python scripts/build_corpus.py            # rewrite tests/corpus/{train,heldout}
    .venv/bin/python scripts/build_corpus.py --set tests/corpus/fresh/F.txt --out tests/corpus/fresh/F
"""

from __future__ import annotations

import argparse
import base64
import calendar
import hashlib
import html
import json
import quopri
import random
import re
import sys
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"
SOURCE = CORPUS / "source"
SEED = 20260305
HELDOUT_SLOTS = (1, 4, 7)  # positions (mod 10) within each language+intent group that go to heldout
NL = "\n"


# ---------------------------------------------------------------------------------------------- bodies


@dataclass(frozen=True)
class Body:
    key: str
    lang: str
    intent: str
    base: date | None
    promise: str
    tags: dict[str, str]
    text: str
    source: str = "bodies"  # the source file's stem: bodies_en, bodies_ja, bounces, bodies_en_w1, …

    @property
    def flags(self) -> set[str]:
        return {k for k, v in self.tags.items() if v == ""}


def read_bodies(path: Path) -> list[Body]:
    bodies: list[Body] = []
    head: list[str] | None = None
    lines: list[str] = []

    def flush() -> None:
        if head is None:
            return
        key, intent, base, promise, tagtext = (h.strip() for h in head)
        tags: dict[str, str] = {}
        for m in re.finditer(r"(\w+)=(.*?)(?=\s+\w+=|$)|(\S+)", tagtext):
            if m.group(3):
                tags[m.group(3)] = ""
            else:
                tags[m.group(1)] = m.group(2).strip()
        bodies.append(
            Body(
                key=key,
                lang=key.split(".")[0],
                intent=intent,
                base=date.fromisoformat(base) if base != "-" else None,
                promise=promise,
                tags=tags,
                text="\n".join(lines).strip("\n"),
                source=path.stem,
            )
        )

    for raw in path.read_text(encoding="utf-8").splitlines():
        if raw.startswith("@@ "):
            flush()
            head = raw[3:].split("|")
            lines = []
        elif head is None and raw.startswith("#"):
            continue
        elif head is not None:
            lines.append(raw)
    flush()
    return bodies


def resolve_promise(spec: str, base: date) -> date | None:
    """The promised date a careful clerk reads, given the reply's local date (see bodies_en.txt header)."""
    if spec == "-":
        return None
    if re.fullmatch(r"\d{4}-\d\d-\d\d", spec):
        return date.fromisoformat(spec)
    if spec.startswith("+"):
        return base + timedelta(days=int(spec[1:]))
    if spec.startswith("wd:"):
        ahead = (int(spec[3:]) - base.weekday()) % 7 or 7
        return base + timedelta(days=ahead)
    if spec.startswith("nnwd:"):  # 再来週: the week after next
        monday_after_next = base + timedelta(days=14 - base.weekday())
        return monday_after_next + timedelta(days=int(spec[5:]))
    if spec.startswith("nwd:"):
        monday_next = base + timedelta(days=7 - base.weekday())
        return monday_next + timedelta(days=int(spec[4:]))
    if spec == "eom":
        return base.replace(day=calendar.monthrange(base.year, base.month)[1])
    if spec == "eonm":
        first_next = (base.replace(day=28) + timedelta(days=4)).replace(day=1)
        return first_next.replace(day=calendar.monthrange(first_next.year, first_next.month)[1])
    if spec.startswith("dom:"):
        day = int(spec[4:])
        if day > base.day:
            return base.replace(day=day)
        first_next = (base.replace(day=28) + timedelta(days=4)).replace(day=1)
        return first_next.replace(day=day)
    raise ValueError(f"unknown promise spec {spec!r}")


# ------------------------------------------------------------------------------------------ encodings


def _sjis_to_jis(s1: int, s2: int) -> bytes:
    if s1 >= 0xE0:
        s1 -= 0x40
    j1 = (s1 - 0x81) * 2 + 0x21
    if s2 >= 0x9F:
        return bytes((j1 + 1, s2 - 0x7E))
    return bytes((j1, s2 - 0x1F if s2 < 0x7F else s2 - 0x20))


def iso2022jp_cp932(text: str) -> bytes:
    """ISO-2022-JP as Windows mailers write it: CP932 characters (①, ㈱, ～) put in their JIS cells."""
    out = bytearray()
    mode = "ascii"
    for ch in text:
        if ch == "\n":
            if mode != "ascii":
                out += b"\x1b(B"
                mode = "ascii"
            out += b"\n"
            continue
        if ord(ch) < 0x80:
            want, data = "ascii", ch.encode("ascii")
        else:
            code = ch.encode("cp932")  # raises for characters CP932 lacks: the caller falls back
            if len(code) == 1:
                raise UnicodeEncodeError("iso-2022-jp", ch, 0, 1, "half-width kana not written")
            want, data = "jis", _sjis_to_jis(code[0], code[1])
        if want != mode:
            out += b"\x1b(B" if want == "ascii" else b"\x1b$B"
            mode = want
        out += data
    if mode != "ascii":
        out += b"\x1b(B"
    return bytes(out)


CODECS: dict[str, Callable[[str], bytes]] = {
    "iso-2022-jp": iso2022jp_cp932,
    "shift_jis": lambda t: t.encode("cp932"),
    "euc-jp": lambda t: t.encode("euc_jp"),
    "utf-8": lambda t: t.encode("utf-8"),
    "us-ascii": lambda t: t.encode("ascii"),
    "iso-8859-1": lambda t: t.encode("iso-8859-1"),
    "windows-1252": lambda t: t.encode("cp1252"),
}
LABEL = {"shift_jis": "Shift_JIS", "iso-2022-jp": "ISO-2022-JP", "euc-jp": "EUC-JP", "utf-8": "UTF-8"}


def encode_text(text: str, charset: str) -> tuple[bytes, str]:
    """Encode, falling back to UTF-8 when the charset cannot hold the text (what mailers do)."""
    try:
        return CODECS[charset](text), charset
    except UnicodeEncodeError:
        return text.encode("utf-8"), "utf-8"


def transfer(data: bytes, cte: str) -> bytes:
    if cte == "base64":
        b = base64.b64encode(data)
        return b"\n".join(b[i : i + 76] for i in range(0, len(b), 76)) + b"\n"
    if cte == "quoted-printable":
        return quopri.encodestring(data.replace(b"\n", b"\r\n")).replace(b"\r\n", b"\n").replace(
            b"=0D\n", b"\n"
        ) + (b"" if data.endswith(b"\n") else b"\n")
    return data + (b"" if data.endswith(b"\n") else b"\n")


def encoded_word(text: str, charset: str) -> str:
    """RFC 2047 B-words, several short ones so each line stays short and each ISO-2022-JP word is whole."""
    if all(ord(c) < 0x80 for c in text):
        return text
    data_charset = charset if charset in ("iso-2022-jp", "shift_jis", "euc-jp", "utf-8") else "utf-8"
    words = []
    for i in range(0, len(text), 12):
        data, used = encode_text(text[i : i + 12], data_charset)
        words.append(f"=?{LABEL.get(used, used)}?B?{base64.b64encode(data).decode()}?=")
    return "\n ".join(words)


def part(ctype: str, text: str, charset: str, cte: str, extra: str = "") -> tuple[bytes, str, str]:
    data, used = encode_text(text, charset)
    if ctype == "text/html":  # the page's meta charset agrees with the MIME header, as mailers write it
        data, used = encode_text(text.replace("charset=utf-8", f"charset={LABEL.get(used, used)}", 1), used)
    if cte == "7bit" and any(b >= 0x80 for b in data):
        cte = "quoted-printable" if used != "iso-2022-jp" else "7bit"
    if cte == "8bit" and all(b < 0x80 for b in data):
        cte = "7bit"
    head = (
        f'Content-Type: {ctype}; charset="{LABEL.get(used, used)}"{extra}\nContent-Transfer-Encoding: {cte}\n'
    )
    return head.encode("ascii") + b"\n" + transfer(data, cte), used, cte


def multipart(subtype: str, parts: list[bytes], boundary: str, extra: str = "") -> bytes:
    out = f'Content-Type: multipart/{subtype}; boundary="{boundary}"{extra}\n\n'.encode()
    out += b"This is a multi-part message in MIME format.\n" if subtype != "report" else b""
    for p in parts:
        out += f"\n--{boundary}\n".encode() + p
    return out + f"\n--{boundary}--\n".encode()


# ------------------------------------------------------------------------------------------ the world

EN_CUSTOMERS = [
    ("Harlow Foods Ltd", "Jane Whitaker", "jane.whitaker@harlowfoods.example"),
    ("Brightwell Hospitality", "Marcus Lee", "m.lee@brightwell-hospitality.example"),
    ("Kestrel Group plc", "Accounts Payable", "ap@kestrel-group.example"),
    ("Ridgeline Outdoor Inc.", "Sofia Alvarez", "sofia@ridgeline.example"),
    ("Northgate Logistics", "Tom Price", "tprice@northgate.example"),
    ("Pemberton & Shah LLP", "Anita Shah", "anita.shah@pembertonshah.example"),
    ("Calder Print Works", "Gary Holt", "gary@calderprint.example"),
    ("Bluewater Dental Group", "Ellen O'Brien", "ellen.obrien@bluewaterdental.example"),
    ("Maple & Finch Bakery", "Rob Finch", "rob@mapleandfinch.example"),
    ("Orion Field Services", "Deepak Rao", "d.rao@orionfield.example"),
]
JA_CUSTOMERS = [
    ("株式会社ミナト物産", "佐藤 花子", "h.sato@minato-bussan.example.jp"),
    ("青葉製作所株式会社", "山本 健一", "yamamoto@aoba-ss.example.co.jp"),
    ("株式会社ヒカリ電機", "中村 誠", "nakamura@hikari-denki.example.jp"),
    ("小林工業株式会社", "鈴木 真理", "suzuki@kobayashi-kogyo.example"),
    ("有限会社さくら企画", "田中 美咲", "tanaka@sakura-kikaku.example.jp"),
    ("株式会社北斗システム", "木村 翔太", "kimura@hokuto-sys.example.co.jp"),
    ("合同会社みどり商店", "伊藤 由美", "ito.yumi@midori-shoten.example"),
    ("株式会社東雲建設", "加藤 大輔", "d.kato@shinonome-kensetsu.example.jp"),
    ("丸山食品株式会社", "渡辺 直子", "watanabe@maruyama-foods.example.jp"),
]
MOBILE_JA = [
    "misaki.t-0412@docomo.example.ne.jp",
    "kenichi_y@ezweb.example.ne.jp",
    "sato.hana@i.softbank.example.jp",
]
INVOICE_FORMS = [
    lambda r: f"INV-2026-{r.randint(1, 999):04d}",
    lambda r: f"INV{r.randint(100, 99999):05d}",
    lambda r: f"2026-{r.randint(1, 12):02d}{r.randint(1, 28):02d}-{r.randint(1, 99):02d}",
    lambda r: f"A-{r.randint(1000, 9999)}",
    lambda r: f"NF/2026/{r.randint(10, 999)}",
    lambda r: f"{r.randint(10000, 99999)}",
    lambda r: f"SI-{r.randint(100000, 999999)}",
]
EN_TZ = ["+0000", "+0100", "-0500", "-0400", "-0800", "-0700", "+1000", "+0530", "+0200"]


def to_fullwidth(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def money_en(r: random.Random) -> str:
    v = r.randint(120, 48000) + r.choice([0, 0.5, 0.99, 0.2])
    return f"{r.choice(['£', '$', 'EUR ', 'USD '])}{v:,.2f}"


def money_ja(r: random.Random) -> str:
    return f"{r.randint(3, 900) * 1100:,}"


@dataclass
class Reminder:
    lang: str
    number: str
    amount: str
    due: date
    sent: datetime
    case: int
    stage: int
    token: str
    customer: tuple[str, str, str]

    @property
    def message_id(self) -> str:
        return f"<reminder.{self.case}.{self.stage}@mail.dunmail.example>"

    @property
    def reply_to(self) -> str:
        return f"ar+{self.token}@dunmail.example"

    @property
    def from_display(self) -> str:
        return "Northfield Components Accounts" if self.lang == "en" else "株式会社サンライズ精機 経理部"

    @property
    def subject(self) -> str:
        if self.lang == "en":
            return [
                f"Payment reminder: invoice {self.number}",
                f"Overdue invoice {self.number} - second reminder",
                f"Final notice: invoice {self.number} is overdue",
            ][self.stage - 1]
        return [
            f"【お支払いのお願い】請求書 {self.number}",
            f"【再送】お支払い期限を過ぎた請求書 {self.number} について",
            f"【最終のご案内】請求書 {self.number} のお支払いについて",
        ][self.stage - 1]

    def text(self) -> str:
        company, person, _ = self.customer
        if self.lang == "en":
            due = f"{self.due.day} {self.due:%B %Y}"
            greet = person.split()[0] if person != "Accounts Payable" else "Sir or Madam"
            first = [
                f"This is a friendly reminder that invoice {self.number} for {self.amount} was due on {due}.",
                f"We have not yet received payment of invoice {self.number} ({self.amount}), which is now "
                f"{(self.sent.date() - self.due).days} days overdue.",
                f"Despite our previous reminders, invoice {self.number} for {self.amount} remains unpaid. "
                "Unless payment is received within 7 days we will pass this matter on.",
            ][self.stage - 1]
            return (
                f"Dear {greet},\n\n{first}\n\n"
                "If you have already paid, please ignore this message. "
                "If there is a problem with the invoice, "
                "or you would like to arrange a payment plan, simply reply to this email.\n\n"
                "Kind regards,\nAccounts Receivable\nNorthfield Components Ltd.\n"
            )
        due = f"{self.due.year}年{self.due.month}月{self.due.day}日"
        first = [
            f"下記請求書のお支払い期限（{due}）を過ぎておりますが、本日時点でご入金の確認ができておりません。",
            f"先日ご案内いたしました下記請求書につきまして、お支払い期限（{due}）を過ぎても未だご入金を確認できておりません。",
            "再三のご案内にもかかわらず、下記請求書のご入金が確認できておりません。7日以内にお支払いがない場合、"
            "誠に不本意ながら法的手続きを検討させていただきます。",
        ][self.stage - 1]
        return (
            f"{company}\n{person} 様\n\nいつもお世話になっております。\n"
            "株式会社サンライズ精機 経理部でございます。\n\n"
            f"{first}\n\n請求書番号：{self.number}\nご請求金額：{self.amount}円（税込）\nお支払い期限：{due}\n\n"
            "既にお振込みいただいている場合は、本メールと行き違いになりましたことをご容赦ください。\n"
            "分割でのお支払いをご希望の場合や、ご請求内容に相違がある場合は、本メールにご返信ください。\n\n"
            "株式会社サンライズ精機 経理部\nTEL 03-5555-0199\n"
        )


# ----------------------------------------------------------------------------------- signatures etc.

EN_SIGS = [
    "--\n{person}\nFinance Manager | {company}\nT: +44 20 7946 0321",
    "Regards,\n{first}",
    "Thanks\n{first}\n\n{person} | Accounts Payable\n{company}",
    "{first}",
    "Best regards,\n\n{person}\nCredit Control\n{company}\nDirect: (312) 555-0147 | Mobile: (312) 555-0188",
    "",
]
EN_MOBILE = [
    "Sent from my iPhone",
    "Get Outlook for iOS",
    "Sent from my Galaxy",
    "Sent from Yahoo Mail for Android",
]
EN_DISCLAIMERS = [
    "CONFIDENTIALITY NOTICE: This email and any attachments are confidential and may be legally privileged. "
    "If you are not the intended recipient, please notify the sender immediately and delete it. Any payment "
    "instructions received by email should be verified by telephone before acting on them.",
    "This message is intended only for the addressee. {company} is registered in England and Wales, "
    "company no. "
    "08123456. We will never ask you to change bank details by email.",
    "The information in this e-mail is confidential. If you have received it in error, please tell us and "
    "delete it. Please consider the environment before printing this email.",
]
JA_SIGS = [
    "━━━━━━━━━━━━━━━━━━━━\n{company}\n経理部　{person}\n"
    "TEL：03-1234-5678　FAX：03-1234-5679\n━━━━━━━━━━━━━━━━━━━━",
    "--\n{company} 総務部\n{person}",
    "*************************************\n{company}\n{person}\n"
    "〒105-0011 東京都港区芝公園１－２－３\nTel 03-5555-0144\n"
    "*************************************",
    "{surname}",
    "--\n{kabu}　{surname}",
    "――――――――――――――――\n{company}　管理本部\n{person}（{surname}）\nMail: {addr}\n――――――――――――――――",
    "",
]
JA_MOBILE = [
    "iPhoneから送信",
    "ドコモのスマートフォンから送信",
    "Android端末から送信",
    "auのスマートフォンから送信",
]
JA_DISCLAIMERS = [
    "本メールは機密情報を含む場合があります。誤って受信された場合は、お手数ですが送信者にご連絡の上、本メールを削除してください。",
    "【注意】このメールには秘密情報が含まれている可能性があります。宛先以外の方による閲覧、転送、複製は固く禁じられております。"
    "お支払いに関する口座変更のご連絡をメールで行うことはございません。",
    "※このメールに心当たりのない方は、恐れ入りますが破棄していただきますようお願いいたします。",
]


def fill_sig(template: str, customer: tuple[str, str, str]) -> str:
    company, person, addr = customer
    return template.format(
        company=company,
        person=person,
        first=person.split()[0],
        surname=person.split()[0],
        addr=addr,
        kabu=company.replace("株式会社", "㈱"),
    )


# ---------------------------------------------------------------------------------------- mail clients


@dataclass
class Client:
    name: str
    lang: str
    mailer: str  # header line, may be empty
    charsets: list[tuple[str, str]]  # (charset, transfer encoding)
    structure: list[str]  # plain / alternative / html
    attribution: Callable[[Reminder, datetime], str]
    quoting: str  # "prefix" ("> "), "outlook" (header block, unprefixed), "none"
    bottom_post: float = 0.0
    mobile: bool = False
    extra_headers: list[str] = field(default_factory=list)


def _en_time(d: datetime) -> str:
    return f"{d:%I:%M %p}".lstrip("0")


WEEKDAY_JA = "月火水木金土日"


def _ja_date(d: datetime) -> str:
    return f"{d.year}年{d.month}月{d.day}日({WEEKDAY_JA[d.weekday()]}) {d:%H:%M}"


CLIENTS: list[Client] = [
    Client(
        "gmail",
        "en",
        "",
        [("utf-8", "quoted-printable"), ("utf-8", "7bit"), ("utf-8", "base64")],
        ["alternative"],
        lambda m, d: (
            f"On {d:%a}, {d:%b} {d.day}, {d.year} at {_en_time(d)} {m.from_display} <{m.reply_to}> wrote:"
        ),
        "prefix",
    ),
    Client(
        "outlook",
        "en",
        "X-Mailer: Microsoft Outlook 16.0",
        [("windows-1252", "quoted-printable"), ("us-ascii", "7bit"), ("utf-8", "quoted-printable")],
        ["alternative", "alternative", "html"],
        lambda m, d: (
            f"-----Original Message-----\nFrom: {m.from_display} <{m.reply_to}>\n"
            f"Sent: {d:%A}, {d:%B} {d.day}, {d.year} {_en_time(d)}\nTo: {m.customer[1]} <{m.customer[2]}>\n"
            f"Subject: {m.subject}"
        ),
        "outlook",
    ),
    Client(
        "owa",
        "en",
        "",
        [("utf-8", "base64"), ("utf-8", "quoted-printable")],
        ["alternative", "html"],
        lambda m, d: (
            f"________________________________\nFrom: {m.from_display} <{m.reply_to}>\n"
            f"Sent: {d.day:02d} {d:%B %Y} {d:%H:%M}\nTo: {m.customer[1]} <{m.customer[2]}>\n"
            f"Subject: {m.subject}"
        ),
        "outlook",
    ),
    Client(
        "iphone",
        "en",
        "X-Mailer: iPhone Mail (22D72)",
        [("utf-8", "quoted-printable"), ("us-ascii", "7bit")],
        ["plain", "alternative"],
        lambda m, d: f"On {d.day} {d:%b %Y}, at {d:%H:%M}, {m.from_display} <{m.reply_to}> wrote:",
        "prefix",
        mobile=True,
    ),
    Client(
        "apple_mail",
        "en",
        "X-Mailer: Apple Mail (2.3826.400.131.1.6)",
        [("utf-8", "quoted-printable")],
        ["alternative", "plain"],
        lambda m, d: f"> On {d.day} {d:%b %Y}, at {d:%H:%M}, {m.from_display} <{m.reply_to}> wrote:",
        "prefix",
    ),
    Client(
        "thunderbird",
        "en",
        "User-Agent: Mozilla Thunderbird",
        [("utf-8", "8bit"), ("iso-8859-1", "quoted-printable")],
        ["plain", "plain", "alternative"],
        lambda m, d: f"On {d.month}/{d.day}/{d:%y} {_en_time(d)}, {m.from_display} wrote:",
        "prefix",
        bottom_post=0.4,
    ),
    Client(
        "outlook_ja",
        "ja",
        "X-Mailer: Microsoft Outlook 16.0",
        [("iso-2022-jp", "7bit"), ("utf-8", "base64"), ("shift_jis", "base64"), ("iso-2022-jp", "7bit")],
        ["plain", "alternative", "html"],
        lambda m, d: (
            f"-----Original Message-----\n差出人: {m.from_display} <{m.reply_to}>\n"
            f"送信日時: {d.year}年{d.month}月{d.day}日 {d:%H:%M}\n宛先: {m.customer[1]} <{m.customer[2]}>\n"
            f"件名: {m.subject}"
        ),
        "outlook",
    ),
    Client(
        "gmail_ja",
        "ja",
        "",
        [("utf-8", "base64"), ("utf-8", "quoted-printable"), ("iso-2022-jp", "7bit")],
        ["alternative"],
        lambda m, d: f"{_ja_date(d)} {m.from_display} <{m.reply_to}>:",
        "prefix",
    ),
    Client(
        "becky",
        "ja",
        "X-Mailer: Becky! ver. 2.81.04",
        [("iso-2022-jp", "7bit"), ("shift_jis", "8bit")],
        ["plain"],
        lambda m, d: f"{m.from_display} さんは書きました:\n(Date: {d:%a, %d %b %Y %H:%M:%S} +0900)",
        "prefix",
        bottom_post=0.5,
    ),
    Client(
        "thunderbird_ja",
        "ja",
        "User-Agent: Mozilla Thunderbird",
        [("iso-2022-jp", "7bit"), ("utf-8", "8bit"), ("euc-jp", "8bit")],
        ["plain", "alternative"],
        lambda m, d: (
            f"{m.from_display} さんは書きました:"
            if d.minute % 2
            else f"On {d:%Y/%m/%d %H:%M}, {m.from_display} wrote:"
        ),
        "prefix",
        bottom_post=0.3,
    ),
    Client(
        "iphone_ja",
        "ja",
        "X-Mailer: iPhone Mail (22D72)",
        [("utf-8", "base64"), ("iso-2022-jp", "7bit")],
        ["plain", "alternative"],
        lambda m, d: f"{d:%Y/%m/%d %H:%M}、{m.from_display} <{m.reply_to}>のメール:",
        "prefix",
        mobile=True,
    ),
    Client(
        "sylpheed_ja",
        "ja",
        "X-Mailer: Sylpheed 3.7.0 (GTK+ 2.24.33; x86_64-pc-linux-gnu)",
        [("euc-jp", "8bit"), ("iso-2022-jp", "7bit")],
        ["plain"],
        lambda m, d: f"On {d:%a, %d %b %Y %H:%M:%S} +0900\n{m.from_display} <{m.reply_to}> wrote:",
        "prefix",
        bottom_post=0.4,
    ),
    Client(
        "carrier_ja",
        "ja",
        "",
        [("shift_jis", "8bit"), ("iso-2022-jp", "7bit"), ("shift_jis", "base64")],
        ["plain"],
        lambda m, d: "",
        "none",
        mobile=True,
    ),
    Client(
        "outlook_web_ja",
        "ja",
        "",
        [("utf-8", "base64"), ("utf-8", "quoted-printable")],
        ["html", "alternative"],
        lambda m, d: (
            f"________________________________\n差出人: {m.from_display} <{m.reply_to}>\n"
            f"送信日時: {d.year}年{d.month}月{d.day}日 {d:%H:%M}\n宛先: {m.customer[2]}\n件名: {m.subject}"
        ),
        "outlook",
    ),
]


def quote_block(client: Client, rem: Reminder, sent: datetime) -> str:
    if client.quoting == "none":
        return ""
    attribution = client.attribution(rem, sent)
    text = rem.text().rstrip("\n")
    if client.quoting == "outlook":
        return f"{attribution}\n\n{text}"
    quoted = "\n".join("> " + ln if ln else ">" for ln in text.split("\n"))
    if attribution.startswith(">"):
        return f"{attribution}\n>\n{quoted}"
    return f"{attribution}\n\n{quoted}"


def to_html(new_text: str, quote: str, client: Client) -> str:
    def paras(t: str) -> str:
        return "".join(
            f"<div>{html.escape(p).replace(NL, '<br>')}</div><div><br></div>"
            for p in t.split("\n\n")
            if p.strip()
        )

    body = paras(new_text)
    if quote:
        if client.quoting == "outlook":
            head, _, rest = quote.partition("\n\n")
            head_html = "<br>".join(
                f"<b>{html.escape(h.split(':', 1)[0])}:</b>{html.escape(h.split(':', 1)[1])}"
                if ":" in h
                else html.escape(h)
                for h in head.split("\n")
                if not h.startswith("---") and not h.startswith("___")
            )
            body += (
                '<div id="divRplyFwdMsg"><hr style="display:inline-block;width:98%">'
                f'<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">'
                f'<p class="MsoNormal"><span style="font-size:11.0pt">{head_html}</span></p></div>'
                f"{paras(rest)}</div>"
            )
        else:
            attribution, _, rest = quote.partition("\n")
            unq = "\n".join(ln[2:] if ln.startswith("> ") else ln.lstrip(">") for ln in rest.split("\n"))
            body += (
                '<div class="gmail_quote">'
                f'<div dir="ltr" class="gmail_attr">{html.escape(attribution)}<br></div>'
                f'<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid '
                f'rgb(204,204,204);padding-left:1ex">{paras(unq)}</blockquote></div>'
            )
    font = (
        "font-family:&quot;Yu Gothic&quot;,sans-serif"
        if client.lang == "ja"
        else "font-family:Calibri,sans-serif"
    )
    return (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
        f'<style>p.MsoNormal{{margin:0cm}}</style></head><body><div style="{font}">{body}</div></body></html>'
    )


# ------------------------------------------------------------------------------------------- rendering


@dataclass
class Rendered:
    raw: bytes
    label: dict[str, object]


def pick_customer(r: random.Random, body: Body, client: Client) -> tuple[str, str, str]:
    """A random customer, or the one the body introduces itself as (tag who=<part of the name>)."""
    pool = EN_CUSTOMERS if body.lang == "en" else JA_CUSTOMERS
    c = r.choice(pool)
    if "who" in body.tags:
        c = next((x for x in pool if body.tags["who"] in x[1]), c)  # a name of its own: any customer
    if client.name == "carrier_ja":
        return (c[0], c[1], r.choice(MOBILE_JA))
    return c


def local_datetime(r: random.Random, day: date, lang: str) -> datetime:
    tz = "+0900" if lang == "ja" else r.choice(EN_TZ)
    sign = 1 if tz[0] == "+" else -1
    offset = timedelta(hours=int(tz[1:3]), minutes=int(tz[3:])) * sign
    return datetime(
        day.year,
        day.month,
        day.day,
        r.randint(7, 22),
        r.randint(0, 59),
        r.randint(0, 59),
        tzinfo=timezone(offset),
    )


def make_reminder(
    r: random.Random, lang: str, reply_at: datetime, customer: tuple[str, str, str]
) -> Reminder:
    sent = (reply_at - timedelta(days=r.randint(1, 6))).astimezone(
        timezone(timedelta(hours=9 if lang == "ja" else 0))
    )
    sent = sent.replace(hour=9, minute=r.randint(0, 30), second=r.randint(0, 59))
    return Reminder(
        lang=lang,
        number=r.choice(INVOICE_FORMS)(r),
        amount=money_en(r) if lang == "en" else money_ja(r),
        due=sent.date() - timedelta(days=r.randint(7, 40)),
        sent=sent,
        case=r.randint(100, 4999),
        stage=r.randint(1, 3),
        token=base64.b32encode(r.randbytes(10)).decode().lower(),
        customer=customer,
    )


def build_human(body: Body, r: random.Random, client: Client, variant: int) -> Rendered:
    assert body.base is not None
    at = local_datetime(r, body.base, body.lang)
    customer = pick_customer(r, body, client)
    rem = make_reminder(r, body.lang, at, customer)
    refs = [rem.number] if "{inv" in body.text else []
    new = body.text.replace("{inv_fw}", to_fullwidth(rem.number)).replace("{inv}", rem.number)
    notes: dict[str, object] = {"client": client.name, "variant": variant}

    sig = ""
    if client.mobile and r.random() < 0.8:
        sig = r.choice(EN_MOBILE if body.lang == "en" else JA_MOBILE)
        if client.name == "iphone" and r.random() < 0.5:
            sig = "Sent from my iPhone"
    elif body.intent != "auto_reply" and "terse" not in body.flags:
        pool = EN_SIGS if body.lang == "en" else JA_SIGS
        if len(body.text.rsplit("\n", 1)[-1]) < 24:  # the body already closes ("Thanks", "Regards,")
            pool = [s for s in pool if not s.split("\n", 1)[0].rstrip(",").isalpha() or s == "{first}"]
        sig = fill_sig(r.choice(pool), customer)
    if sig:
        new = (
            f"{new}\n\n{sig}"
            if client.name != "gmail" and not sig.startswith("--")
            else f"{new}\n\n-- \n{sig}"
        )
        notes["signature"] = True
    if body.lang == "ja" and client.name in ("outlook_ja", "becky", "thunderbird_ja") and r.random() < 0.5:
        new = f"{customer_to(rem)}\n\n{new}"
    if not client.mobile and r.random() < 0.25:
        disc = r.choice(EN_DISCLAIMERS if body.lang == "en" else JA_DISCLAIMERS).format(company=customer[0])
        new = f"{new}\n\n{disc}"
        notes["disclaimer"] = True

    quote = ""
    if (body.intent != "auto_reply" or r.random() < 0.3) and client.quoting != "none" and r.random() < 0.9:
        quote = quote_block(client, rem, rem.sent)
    bottom = bool(quote) and client.quoting == "prefix" and r.random() < client.bottom_post
    notes["quoting"] = ("bottom" if bottom else "top") if quote else "none"
    plain = (f"{quote}\n\n{new}\n" if bottom else f"{new}\n\n{quote}\n") if quote else f"{new}\n"

    structure = r.choice(client.structure)
    charset, cte = r.choice(client.charsets)
    boundary = f"----=_Part_{r.randint(10**8, 10**9)}_{variant}"
    html_doc = to_html(new, quote, client)
    if structure == "plain":
        flowed = (
            "; format=flowed" if client.name in ("thunderbird", "apple_mail") and r.random() < 0.5 else ""
        )
        content, used, used_cte = part("text/plain", plain, charset, cte, flowed)
        if client.name == "carrier_ja" and used == "iso-2022-jp" and r.random() < 0.4:
            # old handsets' mailers send ISO-2022-JP with no charset parameter: readers must sniff it
            content = content.replace(b'; charset="ISO-2022-JP"', b"", 1)
            notes["charset_declared"] = False
    elif structure == "html":
        content, used, used_cte = part("text/html", html_doc, charset, html_cte(charset, cte))
    else:
        p1, used, used_cte = part("text/plain", plain, charset, cte)
        p2, _, _ = part("text/html", html_doc, charset, html_cte(charset, cte))
        content = multipart("alternative", [p1, p2], boundary)
    if body.intent == "paid" and (
        "attach" in body.text or "添付" in body.text or "スクリーンショット" in body.text
    ):
        content = with_attachment(content, body.lang, r, boundary)
        notes["attachment"] = True
    notes.update({"structure": structure, "charset": used, "cte": used_cte})
    if "mixed" in body.flags:
        notes["mixed"] = True
    if body.flags - {"mixed"}:
        notes["tags"] = sorted(body.flags - {"mixed"})

    subject_prefix = "Re: " if body.lang == "en" or r.random() < 0.6 else "RE: "
    subject = subject_prefix + rem.subject
    auto_headers: list[str] = []
    if body.intent == "auto_reply":
        subject, auto_headers = auto_reply_headers(body, r, rem)
        notes["auto_headers"] = [h.split(":")[0] for h in auto_headers]
    mid = hashlib.sha1(f"{body.key}{variant}".encode()).hexdigest()[:20]
    headers = [
        f"From: {encoded_word(customer[1], used if body.lang == 'ja' else 'utf-8')} <{customer[2]}>",
        f"To: {rem.reply_to}",
        f"Subject: {encoded_word(subject, used)}",
        f"Date: {format_datetime(at)}",
        f"Message-ID: <{mid}@{customer[2].split('@')[1]}>",
    ]
    if not (client.name == "carrier_ja" and r.random() < 0.6):
        headers.append(f"In-Reply-To: {rem.message_id}")
        refs_hdr = " ".join(
            f"<reminder.{rem.case}.{s}@mail.dunmail.example>" for s in range(1, rem.stage + 1)
        )
        headers.append(f"References: {refs_hdr}")
        notes["threaded"] = True
    else:
        notes["threaded"] = False
    if client.mailer:
        headers.append(client.mailer)
    headers += auto_headers
    headers.append("MIME-Version: 1.0")
    raw = ("\n".join(headers) + "\n").encode("ascii") + content
    promised = resolve_promise(body.promise, body.base) if body.intent == "promise_to_pay" else None
    label: dict[str, object] = {
        "intent": body.intent,
        "language": body.lang,
        "promised_date": promised.isoformat() if promised else None,
        "invoice_refs": refs,
        "bounce_recipients": [],
        "return_date": body.tags.get("ret"),
        "body": body.key,
        "source": body.source,
        "notes": notes,
    }
    return Rendered(raw, label)


def html_cte(charset: str, cte: str) -> str:
    """HTML parts: ISO-2022-JP stays 7bit; otherwise mailers pick QP for 7bit/8bit text."""
    if charset == "iso-2022-jp":
        return "7bit"
    return "quoted-printable" if cte in ("7bit", "8bit") else cte


def customer_to(rem: Reminder) -> str:
    return "株式会社サンライズ精機\n経理部 ご担当者様"


def with_attachment(content: bytes, lang: str, r: random.Random, boundary: str) -> bytes:
    name = "remittance_advice.pdf" if lang == "en" else "振込明細.pdf"
    pdf = b"%PDF-1.4\n% remittance placeholder\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    disp = f'filename="{name}"' if lang == "en" else f"filename*=UTF-8''{urllib.parse.quote(name)}"
    att = (
        f'Content-Type: application/pdf; name="{name if lang == "en" else "=?UTF-8?B?" + base64.b64encode(name.encode()).decode() + "?="}"\n'  # noqa: E501
        f"Content-Disposition: attachment; {disp}\nContent-Transfer-Encoding: base64\n\n"
    ).encode() + transfer(pdf, "base64")
    return multipart("mixed", [content, att], boundary + "_mixed")


def auto_reply_headers(body: Body, r: random.Random, rem: Reminder) -> tuple[str, list[str]]:
    style = r.choice(["rfc3834", "exchange", "xautoreply", "none", "precedence"])
    if body.lang == "en":
        prefix = {"exchange": "Automatic reply: ", "rfc3834": "Out of Office: ", "none": "Re: "}.get(
            style, "Auto: "
        )
        if "ack" in body.flags:
            prefix = "[AP-Ticket] Re: "
    else:
        prefix = {"exchange": "自動応答: ", "rfc3834": "不在通知: ", "none": "Re: "}.get(
            style, "【自動返信】"
        )
    headers = {
        "rfc3834": ["Auto-Submitted: auto-replied"],
        "exchange": [
            "X-MS-Exchange-Inbox-Rules-Loop: " + rem.customer[2],
            "X-Auto-Response-Suppress: All",
            "Auto-Submitted: auto-generated",
        ],
        "xautoreply": ["X-Autoreply: yes", "X-Autorespond: yes"],
        "precedence": ["Precedence: bulk"],
        "none": [],
    }[style]
    return prefix + rem.subject, headers


# --------------------------------------------------------------------------------------------- bounces

# hosted-mail and carrier relays that answer for many customers' domains
JA_HOSTS = ["mx.nifmail.example.ne.jp", "mail.sakura-mx.example.ne.jp", "mfsmax.docomo.example.ne.jp"]
EN_HOSTS = [
    "mail.protection.outlook.example",
    "aspmx.l.google.example",
    "mx.mailgateway.example.net",
    "inbound.mimecast.example",
]


DIAGNOSTICS = {
    "5.1.1": "550 5.1.1 <recipient>: Recipient address rejected: User unknown",
    "5.1.10": "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
    "5.2.2": "552 5.2.2 Mailbox full",
    "5.0.0": "550 5.0.0 Unrouteable address",
    "4.4.7": "451 4.4.1 Connection timed out",
}


def build_bounce(body: Body, r: random.Random, variant: int) -> Rendered:
    day = date(2026, 2, 2) + timedelta(days=r.randint(0, 80))
    at = local_datetime(r, day, body.lang)
    customer = r.choice(EN_CUSTOMERS if body.lang == "en" else JA_CUSTOMERS)
    local, domain = customer[2].split("@")
    rcpt = r.choice([customer[2], f"{local}x@{domain}", f"old.{local}@{domain}"])
    rem = make_reminder(r, body.lang, at, customer)
    rem.sent = at - timedelta(minutes=r.randint(1, 50))
    # the recipient's MX mostly; sometimes a hosted provider's or a carrier's relay
    host = (
        f"mx{r.randint(1, 3)}.{domain}"
        if r.random() < 0.7
        else r.choice(JA_HOSTS if body.lang == "ja" else EN_HOSTS)
    )
    ourhost = "out1.mail.dunmail.example"
    reporter = ourhost if body.tags.get("by") == "ours" else host
    text = body.text.format(
        rcpt=rcpt,
        host=host,
        ourhost=ourhost,
        domain=domain,
        subject=rem.subject,
        when=format_datetime(rem.sent),
    )
    orig_headers = (
        f"From: {rem.from_display} <accounts@northfield.example>\nReply-To: {rem.reply_to}\n"
        f"To: {customer[1]} <{rcpt}>\nSubject: {rem.subject}\nDate: {format_datetime(rem.sent)}\n"
        f"Message-ID: {rem.message_id}\nMIME-Version: 1.0\n"
    )
    style = body.tags["style"]
    status = body.tags["status"]
    perm = body.tags["perm"] == "1"
    charset = (
        "iso-2022-jp"
        if body.lang == "ja" and r.random() < 0.5
        else ("utf-8" if body.lang == "ja" else "us-ascii")
    )
    if "charset" in body.tags:  # e.g. a carrier's gateway writing Shift_JIS
        charset = body.tags["charset"]
    cte = "7bit" if charset in ("us-ascii", "iso-2022-jp") else r.choice(["base64", "8bit"])
    boundary = f"{r.randint(10**6, 10**7)}/{host}"
    notes: dict[str, object] = {"client": f"bounce-{style}", "variant": variant, "permanent": perm}
    if style == "plain":
        content, used, used_cte = part(
            "text/plain", text + "\n\n" + orig_headers + "\n" + rem.text(), charset, cte
        )
    else:
        human, used, used_cte = part("text/plain", text, charset, cte, "")
        if style == "exchange":
            h2, _, _ = part(
                "text/html",
                "<html><body><p>" + html.escape(text).replace(NL, "<br>") + "</p></body></html>",
                "utf-8",
                "quoted-printable",
            )
            human = multipart("alternative", [human, h2], boundary + "_alt")
        action = "failed" if perm else "delayed"
        dsn = (
            "Content-Type: message/delivery-status\n\n"
            f"Reporting-MTA: dns; {reporter}\nArrival-Date: {format_datetime(rem.sent)}\n\n"
            f"Final-Recipient: rfc822; {rcpt}\nOriginal-Recipient: rfc822;{rcpt}\nAction: {action}\n"
            f"Status: {status}\nRemote-MTA: dns; {host}\n"
            f"Diagnostic-Code: smtp; {DIAGNOSTICS[status]}\n"
        ).encode()
        if r.random() < 0.5:
            original = b"Content-Type: text/rfc822-headers\n\n" + orig_headers.encode("utf-8")
        else:
            rem_body, _ = encode_text(rem.text(), "utf-8")
            original = (
                b"Content-Type: message/rfc822\n\n"
                + orig_headers.encode("utf-8")
                + b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
                + transfer(rem_body, "base64")
            )
        content = multipart("report", [human, dsn, original], boundary, "; report-type=delivery-status")
    notes.update({"structure": "report" if style != "plain" else "plain", "charset": used, "cte": used_cte})
    sender = body.tags["from"]
    from_addr = f"MAILER-DAEMON@{reporter}" if "daemon" in sender.lower() else f"postmaster@{reporter}"
    subject = body.tags["subj"].format(subject=rem.subject)
    headers = [
        f"From: {sender} <{from_addr}>" if " " in sender else f"From: {from_addr} ({sender})",
        "To: bounces+" + rem.token + "@dunmail.example",
        f"Subject: {encoded_word(subject, 'iso-2022-jp' if body.lang == 'ja' else 'utf-8')}",
        f"Date: {format_datetime(at)}",
        f"Message-ID: <{hashlib.sha1(f'{body.key}{variant}'.encode()).hexdigest()[:16]}@{host}>",
        "Auto-Submitted: auto-replied",
        "MIME-Version: 1.0",
    ]
    raw = ("\n".join(headers) + "\n").encode("ascii") + content
    label: dict[str, object] = {
        "intent": "bounce",
        "language": body.lang,
        "promised_date": None,
        "invoice_refs": [],
        "bounce_recipients": [rcpt],
        "return_date": None,
        "body": body.key,
        "source": body.source,
        "notes": notes,
    }
    return Rendered(raw, label)


# ------------------------------------------------------------------------------------------------ main


def split_of(bodies: list[Body]) -> dict[str, str]:
    groups: dict[tuple[str, str, str], list[Body]] = {}
    for b in bodies:
        groups.setdefault((b.source, b.lang, b.intent), []).append(b)
    split: dict[str, str] = {}
    for members in groups.values():
        for i, b in enumerate(sorted(members, key=lambda x: x.key)):
            split[b.key] = "heldout" if i % 10 in HELDOUT_SLOTS else "train"
    return split


def renders_for(body: Body) -> int:
    if body.intent == "bounce":
        return 4
    return 3 if body.source in FIRST_SOURCES else 2  # the later, larger sources: two clients each


# The first hand-written sources (the rules were written from these); later ones are bodies_*.txt files
# written afterwards by people who had not read them, each read in name order.
FIRST_SOURCES = ("bodies_en", "bodies_ja", "bounces")


def source_files() -> list[Path]:
    later = sorted(p for p in SOURCE.glob("bodies_*.txt") if p.stem not in FIRST_SOURCES)
    return [SOURCE / f"{name}.txt" for name in FIRST_SOURCES] + later


def render_set(source: Path, out: Path) -> int:
    """Render one source file's bodies into one folder (no split): a fresh held-out set to report on.

    Each body is rendered once, by a client chosen at random, with a seed taken from the file's name, so
    re-running reproduces the folder."""
    bodies = read_bodies(source)
    r = random.Random(f"{SEED}:{source.stem}")
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.eml"):
        old.unlink()
    labels = []
    for n, body in enumerate(bodies, 1):
        clients = [c for c in CLIENTS if c.lang == body.lang]
        rendered = build_bounce(body, r, 0) if body.intent == "bounce" else build_human(body, r, r.choice(clients), 0)
        name = f"f{n:04d}.eml"
        (out / name).write_bytes(rendered.raw)
        labels.append({"file": name, **rendered.label})
    with (out / "labels.jsonl").open("w", encoding="utf-8") as fh:
        for label in labels:
            fh.write(json.dumps(label, ensure_ascii=False) + "\n")
    print(f"{out}: {len(labels)} mails")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = argparse.ArgumentParser(description="Build the labelled reply corpus.")
    args.add_argument("--out", type=Path, default=CORPUS, help="where train/ and heldout/ go")
    args.add_argument("--set", type=Path, help="render only this source file, unsplit, into --out (a fresh set)")
    parsed = args.parse_args(argv)
    if parsed.set is not None:
        return render_set(parsed.set, parsed.out)
    out_root: Path = parsed.out
    bodies = [body for path in source_files() for body in read_bodies(path)]
    keys = [b.key for b in bodies]
    dupes = {k for k in keys if keys.count(k) > 1}
    if dupes:
        print(f"duplicate body keys: {sorted(dupes)}", file=sys.stderr)
        return 1
    split = split_of(bodies)
    r = random.Random(SEED)
    out: dict[str, list[dict[str, object]]] = {"train": [], "heldout": []}
    for name in out:
        d = out_root / name
        d.mkdir(parents=True, exist_ok=True)
        for old in d.glob("*.eml"):
            old.unlink()
    counter = 0
    for body in bodies:
        clients = [c for c in CLIENTS if c.lang == body.lang]
        chosen = r.sample(clients, k=min(renders_for(body), len(clients)))
        for variant in range(renders_for(body)):
            counter += 1
            rendered = (
                build_bounce(body, r, variant)
                if body.intent == "bounce"
                else build_human(body, r, chosen[variant % len(chosen)], variant)
            )
            name = f"m{counter:04d}.eml"
            (out_root / split[body.key] / name).write_bytes(rendered.raw)
            out[split[body.key]].append({"file": name, **rendered.label})
    for name, labels in out.items():
        with (out_root / name / "labels.jsonl").open("w", encoding="utf-8") as fh:
            for label in labels:
                fh.write(json.dumps(label, ensure_ascii=False, sort_keys=False) + "\n")
        print(f"{name}: {len(labels)} mails")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
