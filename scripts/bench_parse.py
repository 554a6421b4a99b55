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
    for name, folder in SOURCES.items():
        mails = load(folder)
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
