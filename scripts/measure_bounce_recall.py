"""Bounce and auto-reply detection on the shared real-world corpora: recall, recipients, false positives.

    .venv/bin/python scripts/measure_bounce_recall.py [--corpora ../shared/corpora] [--misses]

Prints, per sender group (lhost-postfix, rhost-google, …) and in total: bounce recall over the
delivery failures (lhost-*, rhost-*, rfc3464-*, mail-gem multipart_report_emails), the share of those
with at least one failed recipient found, auto-reply recall over the vacation replies (rfc3834-*), and
false positives on mail that is neither (sisimai not/, the ARF reports, mail-gem's ordinary fixtures,
and the project's own labelled replies that are not bounces/auto-replies). Always exits 0.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from worker.inbound.autoreply import detect_auto_reply
from worker.inbound.bounces import detect_bounce
from worker.inbound.message import ParsedMail
from worker.inbound.mime import parse_mail

ROOT = Path(__file__).resolve().parents[1]
# Real bounces that sisimai files under not/ for its own reasons (a parser regression sample).
NOT_BUT_BOUNCE = frozenset({"rb-issue-368-bug.eml"})
# Files among the failure samples that are not failures: Amazon SES complaint and delivery notices, and
# an address-verification report whose every recipient is "deliverable" (2.1.5).
NOT_FAILURES = frozenset(
    {"lhost-amazonses-11.eml", "lhost-amazonses-12.eml", "lhost-amazonses-13.eml", "rfc3464-28.eml"}
)
# A real delay report among mail-gem's MIME fixtures.
FIXTURE_BOUNCES = frozenset({"raw_email_with_mimepart_without_content_type.eml"})
ORDINARY_MAIL_GEM = (
    "plain_emails",
    "mime_emails",
    "multi_charset",
    "attachment_emails",
    "rfc2822",
    "rfc6532",
    "error_emails",
)


def _mails(paths: list[Path]) -> Iterator[tuple[Path, ParsedMail | None]]:
    for path in paths:
        try:
            yield path, parse_mail(path.read_bytes())
        except Exception:  # an unreadable fixture counts as not detected
            yield path, None


def _group(path: Path) -> str:
    return re.sub(r"-\d+$", "", path.stem)


def _pct(part: int, whole: int) -> str:
    return f"{part}/{whole} ({100 * part / whole:.1f}%)" if whole else "0/0"


def measure(corpora: Path, show_misses: bool) -> dict[str, object]:
    bsd = corpora / "sisimai" / "bsd"
    bounce_paths = sorted([*bsd.glob("lhost-*.eml"), *bsd.glob("rhost-*.eml"), *bsd.glob("rfc3464-*.eml")]) + sorted(
        (corpora / "mail-gem" / "multipart_report_emails").glob("*.eml")
    )
    groups: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    misses: list[str] = []
    not_failures_flagged = 0
    for path, mail in _mails(bounce_paths):
        if path.name in NOT_FAILURES:
            not_failures_flagged += bool(mail and detect_bounce(mail))
            continue
        group = _group(path) if path.parent == bsd else "mail-gem-report"
        report = detect_bounce(mail) if mail else None
        groups[group][0] += 1
        groups[group][1] += report is not None
        groups[group][2] += bool(report and report.recipients)
        if report is None or not report.recipients:
            misses.append(f"{path.name}: {'no recipients' if report else 'missed'}")
    total = [sum(g[i] for g in groups.values()) for i in range(3)]

    auto_hits, auto_total = 0, 0
    for path, mail in _mails(sorted(bsd.glob("rfc3834-*.eml"))):
        auto_total += 1
        found = detect_auto_reply(mail) if mail else None
        auto_hits += found is not None and (mail is None or detect_bounce(mail) is None)
        if found is None:
            misses.append(f"{path.name}: auto-reply missed")

    negatives = sorted((corpora / "sisimai" / "not").glob("*.eml"))
    negatives = [p for p in negatives if p.name not in NOT_BUT_BOUNCE] + sorted(bsd.glob("arf-*.eml"))
    for folder in ORDINARY_MAIL_GEM:
        negatives += [
            p for p in sorted((corpora / "mail-gem" / folder).rglob("*.eml")) if p.name not in FIXTURE_BOUNCES
        ]
    own = _own_replies()
    false_bounce, false_auto = [], []
    for path, mail in _mails(negatives + own):
        if mail is None:
            continue
        if detect_bounce(mail) is not None:
            false_bounce.append(path.name)
        if detect_auto_reply(mail) is not None:
            false_auto.append(path.name)
    negative_count = len(negatives) + len(own)

    print("group                       bounces  detected  recipients")
    for group in sorted(groups):
        n, hit, rcpt = groups[group]
        print(f"{group:27} {n:7} {hit:9} {rcpt:11}")
    print()
    print(f"bounce recall          {_pct(total[1], total[0])}")
    print(f"recipient-found rate   {_pct(total[2], total[0])}")
    print(f"success/complaint notices taken for bounces: {not_failures_flagged}/{len(NOT_FAILURES)}")
    print(f"auto-reply recall      {_pct(auto_hits, auto_total)}")
    print(f"negatives              {negative_count} (sisimai not/ + arf, mail-gem ordinary, own replies)")
    print(f"false bounces          {_pct(len(false_bounce), negative_count)} {false_bounce[:10]}")
    print(f"false auto-replies     {_pct(len(false_auto), negative_count)} {false_auto[:10]}")
    own_figures = _own_labelled()
    print()
    print("project corpus (tests/corpus, labelled):")
    for label, (hit, n) in own_figures.items():
        print(f"  {label:38} {_pct(hit, n)}")
    if show_misses:
        print("\n".join(["", "misses:", *misses]))
    return {
        "bounce": total,
        "auto": [auto_hits, auto_total],
        "false_bounce": len(false_bounce),
        "false_auto": len(false_auto),
        "negatives": negative_count,
    }


def _own_labelled() -> dict[str, tuple[int, int]]:
    """Bounces with exactly the labelled recipients, auto-replies found, return dates equal to the label."""
    counts = {"bounces with exact recipients": [0, 0], "auto-replies detected": [0, 0], "return dates right": [0, 0]}
    for split in ("train", "heldout"):
        labels = ROOT / "tests" / "corpus" / split / "labels.jsonl"
        for line in labels.read_text(encoding="utf-8").splitlines() if labels.exists() else ():
            row = json.loads(line)
            if row["intent"] not in ("bounce", "auto_reply"):
                continue
            mail = parse_mail((labels.parent / row["file"]).read_bytes())
            if row["intent"] == "bounce":
                report = detect_bounce(mail)
                right = report is not None and set(report.recipients) == set(row["bounce_recipients"])
                counts["bounces with exact recipients"][0] += right
                counts["bounces with exact recipients"][1] += 1
                continue
            found = detect_auto_reply(mail)
            counts["auto-replies detected"][0] += found is not None
            counts["auto-replies detected"][1] += 1
            if row.get("return_date"):
                got = found.return_date.isoformat() if found and found.return_date else None
                counts["return dates right"][0] += got == row["return_date"]
                counts["return dates right"][1] += 1
    return {label: (hit, n) for label, (hit, n) in counts.items()}


def _own_replies() -> list[Path]:
    """The project's labelled replies that are neither bounces nor auto-replies (false-positive check)."""
    out: list[Path] = []
    for split in ("train", "heldout"):
        labels = ROOT / "tests" / "corpus" / split / "labels.jsonl"
        if not labels.exists():
            continue
        for line in labels.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row["intent"] not in ("bounce", "auto_reply"):
                out.append(labels.parent / row["file"])
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--corpora", type=Path, default=ROOT.parent / "shared" / "corpora")
    parser.add_argument("--misses", action="store_true", help="list the mails missed")
    args = parser.parse_args()
    if not (args.corpora / "sisimai").is_dir():
        print(f"no corpora at {args.corpora}", file=sys.stderr)
        return 0
    measure(args.corpora, args.misses)
    return 0


if __name__ == "__main__":
    sys.exit(main())
