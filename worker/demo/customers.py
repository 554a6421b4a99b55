"""The demo's simulated customers: who answers which reminder, and with what words.

Each reply is written as a real mail client would send it (quoting the reminder, signatures,
Japanese in ISO-2022-JP or UTF-8) and goes through the same inbound path as real mail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid


@dataclass(frozen=True)
class Reply:
    invoice: str
    after_template: str  # answer when this reminder arrives
    days_later: float  # how long the customer takes
    body: str
    charset: str = "utf-8"
    kind: str = "reply"  # reply, bounce, auto_reply


REPLIES: tuple[Reply, ...] = (
    Reply("INV-2026-0101", "reminder_1", 0.3,
          "Hi,\n\nWe paid this invoice by bank transfer yesterday, the remittance advice is attached.\n"
          "Please check with your bank.\n\nKind regards,\nMorgan Blake\nAccounts Payable, Northwind Traders"),
    Reply("INV-2026-0102", "reminder_1", 0.2,
          "Hello,\n\nApologies for the delay — this is approved and we will pay it by the 10th of April.\n\n"
          "Thanks,\nJordan\n\nSent from my iPhone"),
    Reply("INV-2026-0103", "reminder_1", 1.0,
          "Guten Tag,\n\ncash is tight this quarter. Could we split this invoice into three monthly "
          "instalments? We can pay the first one straight away.\n\nBest regards,\nAnna Weber\nFabrikam GmbH"),
    Reply("INV-2026-0104", "reminder_1", 0.5,
          "Hello,\n\nWe have not paid because half of the toys arrived damaged — the boxes were crushed. "
          "We reported this to your driver. Please send a credit note for the damaged items before we pay.\n\n"
          "Chris Lee\nTailspin Toys"),
    Reply("INV-2026-0105", "reminder_1", 0.01,
          "I am out of the office until April 20, 2026 with limited access to email. For urgent matters "
          "please contact finance@wideworld.example.", kind="auto_reply"),
    Reply("INV-2026-0106", "reminder_1", 0.01, "", kind="bounce"),
    Reply("INV-2026-0107", "reminder_1", 0.7,
          "Hi, could you resend the invoice as a PDF? Our system only shows the email. Thanks, Pat"),
    Reply("JP-2026-0201", "reminder_1", 0.3,
          "株式会社サンプル\n経理ご担当者様\n\nいつもお世話になっております。北山商事の山田でございます。\n\n"
          "ご連絡いただきました請求書につきまして、昨日お振込みいたしました。\n"
          "ご確認のほどよろしくお願いいたします。\n\n山田 花子\n株式会社北山商事 経理部", charset="iso-2022-jp"),
    Reply("JP-2026-0202", "reminder_1", 0.4,
          "お世話になっております。髙橋製作所の佐藤です。\n\n"
          "お支払いが遅れており大変申し訳ございません。来週金曜日までにお振込みいたします。\n\n"
          "何卒よろしくお願い申し上げます。"),
    Reply("JP-2026-0203", "reminder_1", 0.6,
          "お世話になっております。\n\n請求金額が違います。見積では77,000円（税込）でしたので、"
          "正しい請求書の再発行をお願いいたします。\n\nみどり園芸 小林", charset="iso-2022-jp"),
    Reply("JP-2026-0204", "reminder_1", 1.0,
          "いつも大変お世話になっております。さくらシステムズの中村です。\n\n"
          "誠に恐縮ですが、今回のご請求分を3回の分割でお支払いさせていただくことは可能でしょうか。\n"
          "ご検討のほどよろしくお願いいたします。"),
    Reply("JP-2026-0205", "reminder_1", 0.01,
          "【自動返信】\nただいま休暇のため不在にしております。4月28日より出社いたします。\n"
          "ご不便をおかけしますが、よろしくお願いいたします。", kind="auto_reply"),
)


def reply_mail(reply: Reply, *, reminder: bytes, customer_addr: str, customer_name: str, reply_to: str,
               at: datetime) -> bytes:
    """The customer's answer to `reminder` (its raw bytes), as their mail client would send it."""
    import email

    original = email.message_from_bytes(reminder)
    if reply.kind == "bounce":
        return _bounce(original, customer_addr, reply_to, at)
    msg = EmailMessage()
    msg["From"] = f"{customer_name} <{customer_addr}>"
    msg["To"] = reply_to
    subject = str(original.get("Subject", ""))
    if reply.kind == "auto_reply":
        msg["Subject"] = ("自動応答: " if reply.charset == "iso-2022-jp" or "JP-" in reply.invoice else
                          "Automatic reply: ") + _decoded(subject)
        msg["Auto-Submitted"] = "auto-replied"
    else:
        msg["Subject"] = "Re: " + _decoded(subject)
        msg["In-Reply-To"] = str(original.get("Message-ID", ""))
        msg["References"] = str(original.get("Message-ID", ""))
    msg["Date"] = format_datetime(at)
    msg["Message-ID"] = make_msgid(domain=customer_addr.partition("@")[2])
    quoted = "\n".join("> " + line for line in _text_of(original).splitlines()[:12])
    text = reply.body if reply.kind == "auto_reply" else f"{reply.body}\n\n{_attribution(reply, at)}\n{quoted}\n"
    msg.set_content(text, charset=reply.charset if reply.charset != "iso-2022-jp" else "utf-8")
    if reply.charset == "iso-2022-jp":
        # Japanese mail clients still send ISO-2022-JP: encode the body the way they do.
        msg.set_payload(text.encode("iso-2022-jp", "replace"), charset="iso-2022-jp")
        del msg["Content-Transfer-Encoding"]
        msg["Content-Transfer-Encoding"] = "7bit"
    return msg.as_bytes()


def _attribution(reply: Reply, at: datetime) -> str:
    when = at - timedelta(days=reply.days_later)
    if "JP-" in reply.invoice:
        return f"{when:%Y年%m月%d日} {when:%H:%M} 経理部 <billing@dunmail.example>:"
    return f"On {when:%a, %b %d, %Y at %H:%M}, Accounts Receivable <billing@dunmail.example> wrote:"


def _decoded(value: str) -> str:
    from email.header import decode_header, make_header

    return str(make_header(decode_header(value)))


def _text_of(msg: object) -> str:
    from email.message import Message

    assert isinstance(msg, Message)
    for part in msg.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                return payload.decode(part.get_content_charset() or "utf-8", "replace")
    return ""


def _bounce(original: object, failed: str, to: str, at: datetime) -> bytes:
    """A Postfix-style RFC 3464 delivery status notification for `original`."""
    from email.message import Message

    assert isinstance(original, Message)
    domain = failed.partition("@")[2]
    boundary = "BOUNCE-dunmail-demo"
    headers = "".join(f"{k}: {v}\n" for k, v in original.items())
    return (
        f"From: MAILER-DAEMON@mx.{domain} (Mail Delivery System)\n"
        f"To: {to}\nSubject: Undelivered Mail Returned to Sender\n"
        f"Date: {format_datetime(at)}\nMessage-ID: <bounce.{int(at.timestamp())}@mx.{domain}>\n"
        f"Auto-Submitted: auto-replied\nMIME-Version: 1.0\n"
        f"Content-Type: multipart/report; report-type=delivery-status; boundary=\"{boundary}\"\n\n"
        f"--{boundary}\nContent-Type: text/plain; charset=us-ascii\n\n"
        f"This is the mail system at host mx.{domain}.\n\nI'm sorry to have to inform you that your message "
        f"could not be delivered to one or more recipients.\n\n<{failed}>: host mx.{domain} said: "
        f"550 5.1.1 <{failed}>: Recipient address rejected: User unknown in virtual mailbox table\n\n"
        f"--{boundary}\nContent-Type: message/delivery-status\n\n"
        f"Reporting-MTA: dns; mx.{domain}\n\nFinal-Recipient: rfc822; {failed}\nOriginal-Recipient: rfc822;{failed}\n"
        f"Action: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 <{failed}>: Recipient address rejected: "
        f"User unknown\n\n"
        f"--{boundary}\nContent-Type: text/rfc822-headers\n\n{headers}\n--{boundary}--\n"
    ).encode()
