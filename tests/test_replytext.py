"""extract_reply: the customer's new words, for each mail client's quoting form, in English and Japanese."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.mailfactory import mail, multipart, part, text_mail
from worker.inbound.htmltext import html_to_text
from worker.inbound.mime import parse_mail
from worker.inbound.replytext import extract_reply, extract_reply_details

QUOTE_EN = "> Dear customer,\n> invoice INV-1001 for 10,000 JPY is overdue.\n> Kind regards, Billing\n"
QUOTE_JA = "> いつもお世話になっております。\n> 請求書INV-1001のお支払いが確認できておりません。\n"

CASES: list[tuple[str, str, str]] = [
    (
        "gmail_en",
        "We paid yesterday.\n\nThanks,\nJohn\n\n"
        "On Tue, Mar 3, 2026 at 10:02 AM Billing <billing@supplier.test> wrote:\n" + QUOTE_EN,
        "We paid yesterday.\n\nThanks,\nJohn",
    ),
    (
        "gmail_en_wrapped_attribution",
        "Paid today.\n\nOn Tue, Mar 3, 2026 at 10:02 AM Supplier Billing Department <\n"
        "billing@supplier.test> wrote:\n\n" + QUOTE_EN,
        "Paid today.",
    ),
    (
        "outlook_original_message",
        "We will pay on Friday.\n\n-----Original Message-----\nFrom: Billing\nSent: Tuesday\n\nPlease pay.",
        "We will pay on Friday.",
    ),
    (
        "outlook_header_block",
        "The goods arrived broken, we will not pay.\n\n________________________________\n"
        "From: Billing <billing@supplier.test>\nSent: Tuesday, March 3, 2026 10:02 AM\nTo: John Smith\n"
        "Subject: Invoice INV-1001 overdue\n\nDear customer, please pay.",
        "The goods arrived broken, we will not pay.",
    ),
    (
        "outlook_header_block_bold_from_html",
        "Can we pay in three instalments?\n\n*From:* Billing <billing@supplier.test>\n"
        "*Sent:* Tuesday, March 3, 2026 10:02 AM\n*To:* John\n*Subject:* Overdue\n\nPlease pay.",
        "Can we pay in three instalments?",
    ),
    (
        "apple_mail_en",
        "Transfer done this morning.\n\nOn 5 Mar 2026, at 10:02, Billing <billing@supplier.test> wrote:\n\n"
        + QUOTE_EN,
        "Transfer done this morning.",
    ),
    (
        "thunderbird_en",
        "Remittance attached.\n\nOn 05/03/2026 10:02, Billing wrote:\n" + QUOTE_EN,
        "Remittance attached.",
    ),
    (
        "lotus_notes",
        "Payment released today.\n\nBilling <billing@supplier.test> wrote on 03/03/2026 10:02:00 AM:\n\n"
        "Please pay invoice INV-1001.",
        "Payment released today.",
    ),
    (
        "bottom_posting_interleaved",
        "On Tue, Mar 3, 2026 at 10:02 AM Billing <billing@supplier.test> wrote:\n"
        "> Invoice INV-1001 is overdue.\n\nWe never received the goods.\n\n> Please confirm payment.\n\n"
        "Nothing to confirm until they arrive.\n",
        "We never received the goods.\n\nNothing to confirm until they arrive.",
    ),
    (
        "forwarded_en",
        "Please see below, our accounts team says this was paid.\n\n"
        "---------- Forwarded message ---------\nFrom: AP <ap@customer.test>\nDate: Tue, Mar 3, 2026\n"
        "Subject: Paid\n\nPaid on 1 March.",
        # the new words point at the forwarded note: its words are the answer and are kept
        "Please see below, our accounts team says this was paid.\n\nPaid on 1 March.",
    ),
    (
        "forwarded_after_own_answer",
        "We paid this on 1 March by bank transfer; the remittance advice from our bank is attached to this\n"
        "mail, and I have also asked our treasury to send you the SWIFT confirmation directly today.\n\n"
        "---------- Forwarded message ---------\nFrom: Bank <noreply@bank.test>\nDate: Tue, Mar 3, 2026\n"
        "Subject: Payment sent\n\nYour payment of EUR 1,200.00 was sent.",
        "We paid this on 1 March by bank transfer; the remittance advice from our bank is attached to this\n"
        "mail, and I have also asked our treasury to send you the SWIFT confirmation directly today.",
    ),
    (
        "signature_dashes",
        "Paid.\n\n-- \nJohn Smith\nACME\n",
        "Paid.",
    ),
    (
        "sent_from_iphone",
        "We'll pay next week\n\nSent from my iPhone\n\nOn Tue, Mar 3, 2026, at 10:02, Billing wrote:\n"
        + QUOTE_EN,
        "We'll pay next week",
    ),
    (
        "get_outlook_for_ios",
        "Paid in full.\n\nGet Outlook for iOS\n________________________________\nFrom: Billing\n"
        "Sent: Tuesday\nTo: John\nSubject: Overdue\n",
        "Paid in full.",
    ),
    (
        "name_title_phone_block",
        "Payment will be made by the end of the month.\n\nBest regards,\nJohn Smith\n"
        "Accounts Payable Manager\nACME Corp.\nTel: +1 555 123 4567\n",
        "Payment will be made by the end of the month.\n\nBest regards,",
    ),
    (
        "disclaimer_between_signature_and_quote",
        "We dispute the amount: we were quoted 8,000.\n\nJohn Smith\nACME Corp.\n\n"
        "This email and any attachments are confidential and may be privileged. If you are not the "
        "intended recipient, please delete it.\n\n-----Original Message-----\nFrom: Billing\n",
        "We dispute the amount: we were quoted 8,000.",
    ),
    (
        "confidentiality_notice",
        "Paid, thanks.\n\nCONFIDENTIALITY NOTICE: The contents of this email are for the named "
        "recipient only.",
        "Paid, thanks.",
    ),
    (
        "no_quote_kept_whole",
        "Hello,\n\nCould you resend the invoice? We cannot find it.\n\nThanks",
        "Hello,\n\nCould you resend the invoice? We cannot find it.\n\nThanks",
    ),
    (
        "phone_number_in_customer_text_is_kept",
        "We paid on Monday.\n\nIf anything is missing, please call me at 03-1234-5678.",
        "We paid on Monday.\n\nIf anything is missing, please call me at 03-1234-5678.",
    ),
    (
        "phone_number_in_japanese_text_is_kept",
        "入金しました。\n\nご不明点は03-1234-5678までお電話ください。",
        "入金しました。\n\nご不明点は03-1234-5678までお電話ください。",
    ),
    (
        "disclaimer_words_mid_reply_are_kept",
        "Hello,\n\nThis email is confidential to our team, but: we never received the goods.\n\n"
        "Please send a credit note for INV-1001 and we will settle the rest.\n",
        "Hello,\n\nThis email is confidential to our team, but: we never received the goods.\n\n"
        "Please send a credit note for INV-1001 and we will settle the rest.",
    ),
    (
        "disclaimer_words_mid_reply_are_kept_ja",
        "お世話になっております。\n\nこのメールは誤って送られたものでしょうか。\n\n請求書の番号が違います。\n",
        "お世話になっております。\n\nこのメールは誤って送られたものでしょうか。\n\n請求書の番号が違います。",
    ),
    (
        "disclaimer_then_signature",
        "Paid in full.\n\nCONFIDENTIALITY NOTICE: for the named recipient only.\n\nJohn Smith\nACME Corp.\n",
        "Paid in full.",
    ),
    (
        "customer_wrote_is_not_an_attribution",
        "Hi,\n\nOn Monday I wrote:\nwe paid on the 1st, please check again.",
        "Hi,\n\nOn Monday I wrote:\nwe paid on the 1st, please check again.",
    ),
    (
        "confidential_word_in_first_paragraph_is_kept",
        "This message is confidential to our finance team: we paid on 2 March.",
        "This message is confidential to our finance team: we paid on 2 March.",
    ),
    # --- Japanese ------------------------------------------------------------------------------------------
    (
        "outlook_ja_block",
        "お世話になっております。\n本日お振込みいたしました。\n\n差出人: 請求担当 <billing@supplier.test>\n"
        "送信日時: 2026年3月3日 10:02\n宛先: yamada@example.jp\n件名: お支払いのお願い\n\n"
        "いつもお世話になっております。",
        "お世話になっております。\n本日お振込みいたしました。",
    ),
    (
        "outlook_mixed_keys",
        "請求金額が違います。\n\nFrom: 請求担当 <billing@supplier.test>\n送信日時: 2026年3月3日 10:02\n"
        "宛先: yamada@example.jp\n件名: お支払いのお願い\n",
        "請求金額が違います。",
    ),
    (
        "outlook_ja_original_message",
        "分割払いは可能でしょうか。\n\n-----元のメッセージ-----\n差出人: 請求担当\n",
        "分割払いは可能でしょうか。",
    ),
    (
        "original_message_with_japanese_dashes",
        "請求書を再送してください。\n\n――――― 元のメッセージ ―――――\n差出人: 請求担当\n",
        "請求書を再送してください。",
    ),
    (
        "iphone_ja",
        "月末に支払います。\n\n2026/03/05 10:02、請求担当 <billing@supplier.test>のメール:\n\n" + QUOTE_JA,
        "月末に支払います。",
    ),
    (
        "thunderbird_ja",
        "入金済みです。\n\n2026/03/05 10:02 に 請求担当 さんは書きました:\n" + QUOTE_JA,
        "入金済みです。",
    ),
    (
        "gmail_ja",
        "来週金曜日にお支払いします。\n\n2026年3月5日(木) 10:02 請求担当 <billing@supplier.test>:\n\n"
        + QUOTE_JA,
        "来週金曜日にお支払いします。",
    ),
    (
        "gmail_ja_wrapped_fullwidth_parens",
        "商品が届いていません。\n\n2026年3月5日（木） 10:02 請求担当 <\nbilling@supplier.test>:\n" + QUOTE_JA,
        "商品が届いていません。",
    ),
    (
        "forwarded_ja",
        "経理に確認したところ、支払い済みとのことです。\n\n-------- 転送メッセージ --------\n件名: 支払い\n",
        "経理に確認したところ、支払い済みとのことです。",
    ),
    (
        "framed_signature_and_disclaimer_ja",
        "お世話になっております。\n本日振り込みました。\n\n━━━━━━━━━━━━━━━━\n"
        "株式会社サンプル 経理部\n山田 太郎\n"
        "〒100-0001 東京都千代田区1-1\nTEL: 03-1234-5678\n━━━━━━━━━━━━━━━━\n\n"
        "本メールは機密情報を含む場合があります。誤って受信された場合は削除してください。\n",
        "お世話になっております。\n本日振り込みました。",
    ),
    (
        "equals_frame_ja",
        "4月10日に支払います。\n\n＝＝＝＝＝＝＝＝＝＝\n有限会社テスト\n電話 06-1111-2222\n"
        "＝＝＝＝＝＝＝＝＝＝\n",
        "4月10日に支払います。",
    ),
    (
        "dash_frame_en",
        "Payment sent.\n\n-----\nJane Doe | Finance\nwww.example.com\n-----\n",
        "Payment sent.",
    ),
    (
        "framed_notice_is_not_a_signature",
        "Delivery report.\n\n-----------------------\n\nYour message to the following recipients cannot be "
        "delivered:\n\n<kijitora@example.cat>:\n<<< No such domain.\n\n-----------------------\n",
        "Delivery report.\n\n-----------------------\n\nYour message to the following recipients cannot be "
        "delivered:\n\n<kijitora@example.cat>:\n<<< No such domain.\n\n-----------------------",
    ),
    (
        "box_drawn_signature_ja",
        "振込手数料を差し引いてお支払いしました。\n\n┏━━━━━━━━━━━━┓\n┃株式会社サンプル\n┃経理部 山田\n"
        "┃TEL 03-1234-5678\n┗━━━━━━━━━━━━┛\n",
        "振込手数料を差し引いてお支払いしました。",
    ),
    (
        "iphone_signature_ja",
        "確認します\n\niPhoneから送信\n",
        "確認します",
    ),
    (
        "unframed_signature_ja",
        "3月末までにお支払いいたします。\nよろしくお願いいたします。\n\n山田太郎\n株式会社ABC 経理部\n"
        "TEL 03-1234-5678\n",
        "3月末までにお支払いいたします。\nよろしくお願いいたします。",
    ),
    (
        "fullwidth_quote_marks",
        "承知しました。\n\n＞ 請求書をお送りします。\n＞ ご確認ください。\n",
        "承知しました。",
    ),
]


@pytest.mark.parametrize(("text", "expected"), [(t, e) for _, t, e in CASES], ids=[c[0] for c in CASES])
def test_client_forms(text: str, expected: str) -> None:
    """Each mail client's reply form gives exactly the customer's new words."""
    assert extract_reply(text) == expected


def test_everything_quoted_returns_first_block() -> None:
    """When all of a mail looks quoted, the first non-empty block comes back instead of nothing."""
    text = (
        "On Tue, Mar 3, 2026 at 10:02 AM Billing <b@x.test> wrote:\n> We paid on Monday.\n>\n> Second para\n"
    )
    reply = extract_reply_details(text)
    assert reply.text == "We paid on Monday."
    assert "fallback_first_block" in reply.cuts


def test_forwarded_without_comment_returns_forwarded_words() -> None:
    """A bare forward gives the forwarded message's first words, not its header lines."""
    text = (
        "---------- Forwarded message ---------\nFrom: AP <ap@x.test>\nDate: Tue, Mar 3, 2026\n"
        "Subject: Paid\nTo: b@y.test\n\nWe paid on 1 March.\n"
    )
    assert extract_reply(text) == "We paid on 1 March."


def test_cuts_name_the_forms() -> None:
    """extract_reply_details names every form that fired, in order, for the review UI."""
    text = "Paid.\n\nSent from my iPhone\n\nOn Tue, 3 Mar 2026 Billing <b@x.test> wrote:\n> pay\n"
    assert extract_reply_details(text).cuts == ("quoted_lines", "mobile_en")


def test_html_structure_used_when_text_has_no_markers() -> None:
    """With no quote markers in the text, the HTML's quote container (gmail_quote) decides the cut."""
    html = (
        '<div dir="ltr">Paid on Monday.</div><br><div class="gmail_quote"><div>Billing said</div>'
        "<div>Please pay invoice INV-1</div></div>"
    )
    text = "Paid on Monday.\n\nBilling said\nPlease pay invoice INV-1"
    reply = extract_reply_details(text, html=html)
    assert reply.text == "Paid on Monday."
    assert reply.cuts == ("html_quote_container",)


def test_outlook_html_reply_via_html_to_text() -> None:
    """An Outlook HTML reply turned into text (border-top header div) is cut at the From/Sent block."""
    html = (
        "<html><body><p>お振込みしました。</p><div style='border:none;border-top:solid #E1E1E1 1.0pt'>"
        "<p><b>差出人:</b> 請求担当 &lt;billing@x.test&gt;<br><b>送信日時:</b> 2026年3月3日 10:02<br>"
        "<b>宛先:</b> yamada@example.jp<br><b>件名:</b> お支払いのお願い</p></div>"
        "<p>古い本文</p></body></html>"
    )
    assert extract_reply(html_to_text(html), html=html) == "お振込みしました。"


def test_blockquote_from_html_is_dropped() -> None:
    """An HTML blockquote becomes "> " lines, which extraction drops while keeping text after it."""
    html = "<p>See below</p><blockquote>old text</blockquote><p>We paid.</p>"
    assert extract_reply(html_to_text(html)) == "See below\n\nWe paid."


def test_never_empty_for_words() -> None:
    """A mail that is only a signature-looking line still returns its words."""
    assert extract_reply("Sent from my iPhone") == "Sent from my iPhone"
    assert "John" in extract_reply("-- \nJohn")


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "We paid.",
                "> quoted",
                "On Tue, 3 Mar 2026 Billing <b@x.test> wrote:",
                "-- ",
                "Sent from my iPhone",
                "差出人: 請求担当",
                "送信日時: 2026年3月3日",
                "件名: お支払い",
                "",
                "━━━━━━━━",
                "TEL 03-1234-5678",
                "本メールは機密情報を含みます。",
                "-----Original Message-----",
                "John Smith",
                "お支払いします。",
            ]
        ),
        max_size=25,
    )
)
def test_never_empty_and_never_raises(lines: list[str]) -> None:
    """Any mix of reply lines gives a result, and a non-empty one whenever the input had words."""
    text = "\n".join(lines)
    reply = extract_reply(text)
    if text.strip():
        assert reply.strip()


def test_end_to_end_outlook_html_only_japanese() -> None:
    """An HTML-only Outlook reply in ISO-2022-JP (MsoNormal lines, signature, disclaimer, border-top quote)
    parses and extracts to the customer's words alone."""
    html = (
        "<html><head><meta http-equiv=Content-Type content='text/html; charset=iso-2022-jp'></head><body>"
        "<div class=WordSection1><p class=MsoNormal>お世話になっております。<o:p></o:p></p>"
        "<p class=MsoNormal>請求書①の金額が発注書と異なります。<o:p></o:p></p>"
        "<p class=MsoNormal><o:p>&nbsp;</o:p></p>"
        "<p class=MsoNormal>━━━━━━━━━━━━━━<o:p></o:p></p>"
        "<p class=MsoNormal>㈱サンプル 経理部 髙橋<o:p></o:p></p>"
        "<p class=MsoNormal>TEL 03-1234-5678<o:p></o:p></p><p class=MsoNormal>━━━━━━━━━━━━━━<o:p></o:p></p>"
        "<p class=MsoNormal><o:p>&nbsp;</o:p></p>"
        "<p class=MsoNormal>本メールには機密情報が含まれています。<o:p></o:p></p>"
        "<div style='border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0mm 0mm 0mm'>"
        "<p class=MsoNormal><b>差出人:</b> 請求担当 &lt;billing@supplier.test&gt;<br>"
        "<b>送信日時:</b> 2026年3月3日"
        "<br><b>宛先:</b> takahashi@example.jp<br><b>件名:</b> お支払いのお願い</p></div>"
        "<p class=MsoNormal>いつもお世話になっております。</p></div></body></html>"
    )
    parsed = parse_mail(text_mail(html, charset="iso-2022-jp", cte="7bit", content_type="text/html"))
    assert (
        extract_reply(parsed.text, html=parsed.html)
        == "お世話になっております。\n請求書①の金額が発注書と異なります。"
    )


def test_end_to_end_gmail_alternative_japanese() -> None:
    """A Gmail multipart/alternative reply (quoted-printable UTF-8 plain part, HTML with gmail_quote)
    extracts to the new words from the plain part."""
    plain = (
        "来週金曜日に振り込みます。\n\n2026年3月5日(木) 10:02 請求担当 <billing@supplier.test>:\n\n"
        "> 請求書INV-1001のお支払いが確認できておりません。\n"
    )
    html = (
        '<div dir="ltr">来週金曜日に振り込みます。</div><br><div class="gmail_quote"><div class="gmail_attr">'
        "2026年3月5日(木) 10:02 請求担当 &lt;billing@supplier.test&gt;:<br></div><blockquote>"
        "請求書INV-1001のお支払いが確認できておりません。</blockquote></div>"
    )
    entity = multipart(
        "alternative",
        [
            part("text/plain", plain, charset="UTF-8", cte="quoted-printable"),
            part("text/html", html, charset="UTF-8", cte="quoted-printable"),
        ],
    )
    parsed = parse_mail(mail([], entity))
    assert extract_reply(parsed.text, html=parsed.html) == "来週金曜日に振り込みます。"
