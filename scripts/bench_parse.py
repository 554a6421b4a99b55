#!/usr/bin/env python3
"""Benchmark: parse_mail + extract_reply messages/second, against the stdlib parser in the same run.

Corpora: ../shared/corpora (real bounces and charset fixtures) and tests/corpus (the labelled replies),
each file read into memory first so disk speed does not count. One process, one core.

    .venv/bin/python scripts/bench_parse.py [--seconds 3] [--json]

Also weighs HTML to text: our converter against html2text on the same HTML parts.
"""

from __future__ import annotations

import argparse
import contextlib
import email
import json
import sys
import time
from collections.abc import Callable
from email import policy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from worker.inbound.htmltext import html_to_text  # noqa: E402
from worker.inbound.mime import parse_mail  # noqa: E402
from worker.inbound.replytext import extract_reply  # noqa: E402

SOURCES = {
    "shared_corpora": ROOT.parent / "shared" / "corpora",
    "tests_corpus": ROOT / "tests" / "corpus",
}
SYNTHETIC = "synthetic_replies"  # typical replies built with tests/mailfactory.py, until tests/corpus exists

_QUOTE_EN = "".join(
    f"> Line {n} of the reminder about invoice INV-{{i}} that we sent you.\n" for n in range(12)
)
_QUOTE_JA = "".join(
    f"> いつもお世話になっております。請求書INV-{{i}}の件、{n}行目です。\n" for n in range(12)
)
_SIGNATURE_JA = (
    "━━━━━━━━━━━━━━━━━━━━\n株式会社サンプル 経理部\n山田 太郎\n〒100-0001 東京都千代田区1-1\n"
    "TEL: 03-1234-5678\n━━━━━━━━━━━━━━━━━━━━\n"
)


def synthetic_replies(count: int = 300) -> list[bytes]:
    """Replies in the forms customers send: Gmail, Outlook JA in ISO-2022-JP, iPhone Shift_JIS, HTML
    alternatives with quoted history, HTML-only Outlook, a remittance PDF. Unique per index, so boundary
    regexes and caches behave as with real mail."""
    from tests.mailfactory import attachment, encoded_word, mail, multipart, part, text_mail

    makers = [
        lambda i: text_mail(
            f"We paid invoice INV-{i} yesterday.\n\nThanks,\nJohn\n\n"
            f"On Tue, Mar 3, 2026 at 10:02 AM Billing <billing@supplier.test> wrote:\n"
            + _QUOTE_EN.format(i=i),
            headers=[("Subject", f"Re: Invoice INV-{i}"), ("Message-ID", f"<r{i}@customer.test>")],
        ),
        lambda i: text_mail(
            f"お世話になっております。\n請求書INV-{i}は本日お振込みいたしました。①\n\n"
            + _SIGNATURE_JA
            + "\n差出人: 請求担当 <billing@supplier.test>\n送信日時: 2026年3月3日 10:02\n宛先: y@example.jp\n"
            "件名: お支払いのお願い\n\n" + _QUOTE_JA.format(i=i).replace("> ", ""),
            charset="iso-2022-jp",
            cte="7bit",
            headers=[("Subject", encoded_word(f"RE: お支払いのお願い INV-{i}", "iso-2022-jp"))],
        ),
        lambda i: text_mail(
            f"来週金曜日に支払います。INV-{i}\n\niPhoneから送信\n\n"
            f"2026/03/05 10:02、請求担当 <billing@supplier.test>のメール:\n\n" + _QUOTE_JA.format(i=i),
            charset="shift_jis",
            cte="base64",
        ),
        lambda i: mail(
            [("Subject", f"Re: INV-{i}")],
            multipart(
                "alternative",
                [
                    part(
                        "text/plain",
                        f"商品が届いていません。INV-{i}\n\n2026年3月5日(木) 10:02 請求担当 "
                        "<billing@supplier.test>:\n" + _QUOTE_JA.format(i=i),
                        charset="utf-8",
                        cte="quoted-printable",
                    ),
                    part(
                        "text/html",
                        f"<div dir=ltr>商品が届いていません。INV-{i}</div><div class=gmail_quote>"
                        f"<blockquote>{_QUOTE_JA.format(i=i)}</blockquote></div>",
                        charset="utf-8",
                        cte="quoted-printable",
                    ),
                ],
            ),
        ),
        lambda i: text_mail(
            f"<html><head><style>p{{margin:0}}</style></head><body><p>Can we pay INV-{i} in three parts?"
            "</p><p>Regards,<br>Jane</p><div style='border:none;border-top:solid #E1E1E1 1.0pt'><p><b>From:"
            "</b> Billing<br><b>Sent:</b> Tuesday<br><b>To:</b> Jane<br><b>Subject:</b> Overdue</p></div>"
            + "".join(f"<p>old line {n}</p>" for n in range(15))
            + "</body></html>",
            content_type="text/html",
            cte="quoted-printable",
        ),
        lambda i: mail(
            [("Subject", f"Remittance INV-{i}")],
            multipart(
                "mixed",
                [
                    part("text/plain", f"Remittance advice for INV-{i} attached.\n\nSent from my iPhone"),
                    attachment(
                        f'filename="remittance-{i}.pdf"', "application/pdf", b"%PDF-1.4 " + bytes(3000)
                    ),
                ],
            ),
        ),
    ]
    return [makers[i % len(makers)](i) for i in range(count)]


def load(folder: Path) -> list[bytes]:
    if not folder.is_dir():
        return []
    return [p.read_bytes() for p in sorted(folder.rglob("*.eml")) if p.is_file()]


def rate(items: list[bytes] | list[str], work: Callable[[object], object], seconds: float) -> float:
    """Items per second, repeating the whole list until at least `seconds` have passed."""
    work_items: list[object] = list(items)
    for item in work_items[:50]:  # warm caches (regexes, codec lookups) before timing
        work(item)
    done = 0
    start = time.perf_counter()
    while True:
        for item in work_items:
            work(item)
        done += len(work_items)
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return done / elapsed


def ours(raw: object) -> object:
    assert isinstance(raw, bytes)
    parsed = parse_mail(raw)
    return extract_reply(parsed.text, html=parsed.html)


def stdlib_compat32(raw: object) -> object:
    assert isinstance(raw, bytes)
    return email.message_from_bytes(raw, policy=policy.compat32)


def stdlib_default(raw: object) -> object:
    """policy.default plus reading the body, which is what using it for this job would cost."""
    assert isinstance(raw, bytes)
    msg = email.message_from_bytes(raw, policy=policy.default)
    str(msg.get("subject", ""))
    body = msg.get_body(preferencelist=("plain", "html"))
    if body is not None:
        with contextlib.suppress(LookupError, ValueError, AttributeError):
            body.get_content()
    return msg


def html_parts(mails: list[bytes]) -> list[str]:
    found = []
    for raw in mails:
        html = parse_mail(raw).html
        if html:
            found.append(html)
    return found


def bench(seconds: float) -> dict[str, object]:
    report: dict[str, object] = {}
    sets = {name: load(folder) for name, folder in SOURCES.items()}
    sets[SYNTHETIC] = synthetic_replies()
    for name, mails in sets.items():
        folder = SOURCES.get(name, ROOT / "tests" / "mailfactory.py")
        if not mails:
            report[name] = {"files": 0, "note": f"no .eml files under {folder}"}
            continue
        ours_rate = rate(mails, ours, seconds)
        compat_rate = rate(mails, stdlib_compat32, seconds)
        default_rate = rate(mails, stdlib_default, seconds)
        report[name] = {
            "files": len(mails),
            "mib": round(sum(map(len, mails)) / 2**20, 2),
            "parse_mail+extract_reply_per_s": round(ours_rate),
            "stdlib_compat32_parse_per_s": round(compat_rate),
            "stdlib_default_parse+body_per_s": round(default_rate),
            "ratio_ours_to_compat32": round(ours_rate / compat_rate, 3),
            "ratio_ours_to_default": round(ours_rate / default_rate, 3),
        }
    report["html_to_text"] = bench_html(seconds)
    return report


def bench_html(seconds: float) -> dict[str, object]:
    mails = [m for folder in SOURCES.values() for m in load(folder)]
    htmls = html_parts(mails)
    if not htmls:
        return {"html_parts": 0}
    result: dict[str, object] = {"html_parts": len(htmls)}
    result["ours_per_s"] = round(rate(htmls, lambda h: html_to_text(str(h)), seconds))
    try:
        import html2text
    except ImportError:
        return result

    def with_html2text(h: object) -> object:
        converter = html2text.HTML2Text()
        converter.body_width = 0
        return converter.handle(str(h))

    result["html2text_per_s"] = round(rate(htmls, with_html2text, seconds))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--seconds", type=float, default=3.0, help="minimum timed seconds per measurement")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    report = bench(args.seconds)
    if args.json:
        print(json.dumps(report))
        return
    for name, figures in report.items():
        print(f"[{name}]")
        assert isinstance(figures, dict)
        for key, value in figures.items():
            print(f"  {key}: {value}")


if __name__ == "__main__":
    main()
