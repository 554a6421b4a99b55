"""`dunmail intake parse --json`: one JSON line per file in the DESIGN.md shape, for mails and bare documents;
broken files answer with an error and the run goes on."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import structlog
from typer.testing import CliRunner

from tests.invoicefactory import JA_SPEC, InvoiceSpec, cii_xml, intake_mail, pdf_invoice, ubl_xml
from worker.cli import _register, app


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """The command configures structlog onto the runner's stderr, which closes: put the old set-up back."""
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


CONTRACT_KEYS = ["number", "customer_name", "customer_email", "amount", "currency", "issue_date", "due_date"]


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    made = {
        "fwd.eml": intake_mail(
            [("請求書.pdf", "application/pdf", pdf_invoice(replace(JA_SPEC, customer_email=None)))],
            japanese=True,
            original_to="keiri@yamada-shoji.example",
        ),
        "invoice.pdf": pdf_invoice(),
        "ubl.xml": ubl_xml(JA_SPEC),
        "cii.xml": cii_xml(),
        "quote.pdf": pdf_invoice(title="QUOTATION"),
        "broken.eml": b"",
        "no-amount.pdf": pdf_invoice(replace(InvoiceSpec(), sign="", amount="")),
    }
    paths = {}
    for name, data in made.items():
        paths[name] = tmp_path / name
        paths[name].write_bytes(data)
    return paths


def _run(args: list[str]) -> list[dict[str, object]]:
    _register()
    result = CliRunner().invoke(app, ["intake", "parse", "--json", *args])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def test_one_line_per_file_in_the_contract_shape(files: dict[str, Path]) -> None:
    """Every file answers once, in order; invoices carry exactly the contract's keys."""
    answers = _run([str(p) for p in files.values()])
    assert [a["file"] for a in answers] == [str(p) for p in files.values()]
    for answer in answers:
        for inv in answer["invoices"]:  # type: ignore[attr-defined]
            assert list(inv) == CONTRACT_KEYS


def test_japanese_forward_and_bare_documents(files: dict[str, Path]) -> None:
    """A Japanese forward, a bare PDF, bare UBL and CII files all give their invoice; Japanese unescaped."""
    by_name = {Path(str(a["file"])).name: a for a in _run([str(p) for p in files.values()])}
    (fwd,) = by_name["fwd.eml"]["invoices"]  # type: ignore[misc]
    assert fwd == {
        "number": "2026-0412",
        "customer_name": "株式会社山田商事",
        "customer_email": "keiri@yamada-shoji.example",
        "amount": "1234500",
        "currency": "JPY",
        "issue_date": "2026-04-15",
        "due_date": "2026-05-31",
    }
    assert [i["number"] for i in by_name["invoice.pdf"]["invoices"]] == ["INV-2026-0042"]  # type: ignore[attr-defined]
    assert [i["currency"] for i in by_name["ubl.xml"]["invoices"]] == ["JPY"]  # type: ignore[attr-defined]
    assert [i["amount"] for i in by_name["cii.xml"]["invoices"]] == ["12345.67"]  # type: ignore[attr-defined]


def test_non_invoice_and_broken_files_give_empty_invoices(files: dict[str, Path], tmp_path: Path) -> None:
    """A quote gives [] and a reason; an empty or missing file gives [] and an error; the run goes on."""
    answers = _run([str(files["quote.pdf"]), str(files["broken.eml"]), str(tmp_path / "missing.eml")])
    assert [a["invoices"] for a in answers] == [[], [], []]
    assert answers[0]["skipped"] == [{"what": "quote.pdf", "reason": "a quote or estimate, not an invoice"}]
    assert "empty" in str(answers[1]["error"])
    assert "No such file" in str(answers[2]["error"])


def test_an_invoice_without_amount_is_listed_as_incomplete(files: dict[str, Path]) -> None:
    """No amount: not in the contract's invoices (which need one), but under 'incomplete' for a person."""
    (answer,) = _run([str(files["no-amount.pdf"])])
    assert answer["invoices"] == []
    assert [i["number"] for i in answer["incomplete"]] == ["INV-2026-0042"]  # type: ignore[attr-defined]


def test_details_flag_adds_confidence_and_registration(files: dict[str, Path]) -> None:
    """--details adds source, confidence, registration number and notes beside the contract keys."""
    _register()
    result = CliRunner().invoke(app, ["intake", "parse", "--json", "--details", str(files["ubl.xml"])])
    (inv,) = json.loads(result.stdout)["invoices"]
    assert (inv["source"], inv["confidence"], inv["registration_number"]) == ("ubl", 1.0, "T1234567890123")


def test_table_output_without_json(files: dict[str, Path]) -> None:
    """Without --json a readable table names each file's invoice or why there is none."""
    _register()
    args = ["intake", "parse", str(files["invoice.pdf"]), str(files["quote.pdf"])]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "INV-2026-0042" in result.stdout
    assert "quote" in result.stdout
