#!/usr/bin/env python3
"""How long parse and classify take on oversized mail (issue 12, finding 5): a 10 MB subject, a 10 MB body,
a 5 MB header and 20,000 MIME parts. One run each, a few seconds in all.

    .venv/bin/python scripts/measure_bounds.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from worker.classify.classifier import classify
from worker.inbound.mime import parse_mail

PARTS = b"".join(b"--b\r\nContent-Type: text/plain\r\n\r\npaid\r\n" for _ in range(20_000))
MAILS = {
    "10 MB subject": b"From: a@b.example\r\nSubject: " + b"please pay invoice INV-1 " * 400_000
                     + b"\r\n\r\nWe paid.\r\n",
    "10 MB body": b"From: a@b.example\r\nSubject: x\r\n\r\n" + b"we will pay next friday. " * 400_000,
    "5 MB header": b"From: a@b.example\r\nX-Junk: " + b"a" * 5_000_000 + b"\r\nSubject: x\r\n\r\nhi\r\n",
    "20,000 parts": b"From: a@b.example\r\nSubject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
                    + PARTS + b"--b--\r\n",
}


def main() -> int:
    for name, raw in MAILS.items():
        start = time.perf_counter()
        parsed = parse_mail(raw)
        parsed_at = time.perf_counter()
        classify(parsed)
        done = time.perf_counter()
        print(f"{name}: parse {parsed_at - start:.3f} s, classify {done - parsed_at:.3f} s "
              f"(subject {len(parsed.subject):,} chars, text {len(parsed.text):,} chars)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
