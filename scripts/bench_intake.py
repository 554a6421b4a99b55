#!/usr/bin/env python3
"""Benchmark: invoices read per second per format, with a baseline measured in the same run.

Formats: text PDF (English), text PDF (Japanese, CID font), the English PDF read in this
process instead of the memory/time-capped child (pdf_en_inproc: the child's cost), a 50-page batch
PDF, UBL 2.1, JP PINT, CII, Factur-X PDF, and an
invoice written in a forwarded mail's body. Each sample is generated first with tests/invoicefactory.py
(unique invoice numbers, so nothing is cached) and held in memory; only reading is timed. One process,
one core.

Baselines (the floor each format cannot go below):
  - PDFs: raw pypdfium2 text extraction of the same bytes (pdftext.raw_text), no field reading;
  - XML: lxml parsing the same bytes with the same safe parser, no field reading;
  - body / whole mail: parse_mail alone (the inbound MIME parser), no invoice reading.

    .venv/bin/python scripts/bench_intake.py [--seconds 2] [--count 40] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import structlog  # noqa: E402
from lxml import etree  # noqa: E402

from tests import invoicefactory as f  # noqa: E402
from worker.inbound.mime import parse_mail  # noqa: E402
from worker.intake.document import read_document  # noqa: E402
from worker.intake.einvoice import _parser  # noqa: E402
from worker.intake.extract import extract_invoices  # noqa: E402
from worker.intake.pdftext import PdfLimits, raw_text  # noqa: E402

Sample = tuple[Callable[[bytes], object], Callable[[bytes], object], list[bytes]]


def _doc(data: bytes) -> object:
    outcome = read_document(None, "", data)
    assert outcome.invoices, "a benchmark sample must be an invoice"
    return outcome


def _doc_in_process(data: bytes) -> object:
    outcome = read_document(None, "", data, limits=PdfLimits(isolate=False))
    assert outcome.invoices, "a benchmark sample must be an invoice"
    return outcome


def _mail(data: bytes) -> object:
    result = extract_invoices(parse_mail(data))
    assert result.invoices, "a benchmark sample must hold an invoice"
    return result


def _xml_baseline(data: bytes) -> object:
    return etree.fromstring(data, parser=_parser())


def samples(count: int) -> dict[str, Sample]:
    en = [replace(f.InvoiceSpec(), number=f"INV-{i:05d}") for i in range(count)]
    ja = [replace(f.JA_SPEC, number=f"2026-{i:04d}") for i in range(count)]
    eur = [replace(f.EUR_SPEC, number=f"FA-{i:05d}") for i in range(count)]
    no_email = [replace(s, customer_email=None) for s in en]
    return {
        "pdf_en": (_doc, raw_text, [f.pdf_invoice(s) for s in en]),
        "pdf_ja": (_doc, raw_text, [f.pdf_invoice(s) for s in ja]),
        "pdf_en_inproc": (_doc_in_process, raw_text, [f.pdf_invoice(s) for s in en]),
        "pdf_50_pages": (_doc, raw_text, [f.batch_pdf([replace(s, number=f"{s.number}-{p}") for p in range(50)])
                                          for s in en[:2]]),
        "ubl": (_doc, _xml_baseline, [f.ubl_xml(s) for s in en]),
        "jp_pint": (_doc, _xml_baseline, [f.ubl_xml(s, customization=f.JP_PINT) for s in ja]),
        "cii": (_doc, _xml_baseline, [f.cii_xml(s) for s in eur]),
        "facturx": (_doc, raw_text, [f.facturx_pdf(s) for s in eur]),
        "body_en": (_mail, parse_mail, [f.intake_mail([], body=f.body_text(s)) for s in no_email]),
        "body_ja": (
            _mail,
            parse_mail,
            [f.intake_mail([], body=f.body_text(replace(s, customer_email=None)), japanese=True) for s in ja],
        ),
        "mail_pdf": (
            _mail,
            parse_mail,
            [f.intake_mail([("i.pdf", "application/pdf", f.pdf_invoice(s))]) for s in no_email],
        ),
    }


def rate(fn: Callable[[bytes], object], items: list[bytes], seconds: float) -> float:
    """Items per second: whole passes over items until `seconds` have gone by (at least one pass)."""
    done = 0
    start = time.perf_counter()
    while True:
        for item in items:
            fn(item)
        done += len(items)
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return done / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    parser.add_argument("--count", type=int, default=40, help="distinct samples per format")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))  # warnings and up only
    results = {}
    for name, (reader, baseline, items) in samples(args.count).items():
        ours = rate(reader, items, args.seconds)
        floor = rate(baseline, items, args.seconds)
        size = sum(len(i) for i in items) // len(items)
        results[name] = {
            "per_second": round(ours, 1),
            "baseline_per_second": round(floor, 1),
            "ratio_to_baseline": round(ours / floor, 3),
            "bytes": size,
        }
    if args.json:
        print(json.dumps(results))
        return 0
    print(f"{'format':<10} {'invoices/s':>11} {'baseline/s':>11} {'ratio':>7} {'bytes':>8}")
    for name, r in results.items():
        print(
            f"{name:<10} {r['per_second']:>11.1f} {r['baseline_per_second']:>11.1f} "
            f"{r['ratio_to_baseline']:>7.3f} {r['bytes']:>8}"
        )
    print("baseline: raw pypdfium2 text (PDFs), safe lxml parse (XML), parse_mail alone (mails)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
