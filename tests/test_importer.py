"""`dunmail import`: idempotent, bad rows reported by number and reason, Excel's UTF-8 BOM and CP932 read."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from worker.db.models import Case, Contact, Customer, Invoice
from worker.errors import ImportRowError
from worker.importer import ImportDefaults, import_file

HEADER = "invoice_number,customer_name,customer_email,amount,currency,issue_date,due_date,language,timezone,country"
ROWS = [
    "INV-100,Acme Ltd,ap@acme.example,1234.50,USD,2026-03-01,2026-03-31,en,America/New_York,US",
    "INV-101,北山商事株式会社,keiri@kitayama.example,\"1,234,500\",JPY,2026/03/01,2026/03/31,ja,Asia/Tokyo,JP",
]


def _write(tmp_path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path = tmp_path / "invoices.csv"
    path.write_bytes("\r\n".join(lines).encode(encoding) + b"\r\n")
    return path


def _count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_reimport_updates_never_duplicates(session: Session, tmp_path: Path) -> None:
    """Importing the same file twice leaves one invoice, one case and one customer per row."""
    path = _write(tmp_path, [HEADER, *ROWS])
    first = import_file(session, path, defaults=ImportDefaults())
    session.commit()
    second = import_file(session, path, defaults=ImportDefaults())
    session.commit()
    assert (first.created, first.updated) == (2, 0)
    assert (second.created, second.updated) == (0, 2)
    assert _count(session, Invoice) == 2 and _count(session, Case) == 2 and _count(session, Customer) == 2
    jpy = session.scalars(select(Invoice).where(Invoice.number == "INV-101")).one()
    assert jpy.amount == Decimal("1234500") and jpy.currency == "JPY"


def test_bad_rows_are_reported_and_good_rows_still_go_in(session: Session, tmp_path: Path) -> None:
    """Each bad row is named by its spreadsheet row number with a reason; the others are imported."""
    path = _write(tmp_path, [
        HEADER,
        ROWS[0],
        "INV-102,Beta,not-an-email,10,USD,,2026-03-31,,,",
        "INV-103,Gamma,g@gamma.example,10,XXX,,2026-03-31,,,",
        "INV-104,Delta,d@delta.example,10,EUR,,31/03/2026,,,",
        "INV-105,Eps,e@eps.example,10,EUR,,2026-03-31,,Mars/Base,",
        "INV-106,Zeta,z@zeta.example,10,BRL,,2026-03-31,,,BR",
        "INV-107,Eta,e@eta.example,10,EUR,,2026-03-31,,,DE-XX",
        ROWS[1],
    ])
    report = import_file(session, path, defaults=ImportDefaults())
    session.commit()
    assert report.created == 2
    reasons = {e.row: e.reason for e in report.errors}
    assert set(reasons) == {3, 4, 5, 6, 7, 8}
    assert "email" in reasons[3] and "ISO 4217" in reasons[4] and "YYYY-MM-DD" in reasons[5]
    assert "IANA" in reasons[6]
    assert "no holiday calendar for country 'BR'" in reasons[7] and "DE-BY" in reasons[8]


def test_a_region_with_its_subdivision_is_kept(session: Session, tmp_path: Path) -> None:
    """'de-by' (Bavaria) is stored as DE-BY so the ladder keeps Bavaria's holidays."""
    row = "INV-300,Müller GmbH,ap@mueller.example,99.00,EUR,2026-03-01,2026-03-31,en,Europe/Berlin,de-by"
    import_file(session, _write(tmp_path, [HEADER, row]), defaults=ImportDefaults())
    session.commit()
    assert session.scalars(select(Customer.country)).one() == "DE-BY"


def test_cp932_excel_export_is_read(session: Session, tmp_path: Path) -> None:
    """A CSV saved by Japanese Excel (CP932, with ㈱ which plain Shift_JIS lacks) imports with names intact."""
    row = "INV-200,㈱髙橋製作所,ar@takahashi.example,55000,JPY,2026-03-01,2026-03-31,ja,Asia/Tokyo,JP"
    path = _write(tmp_path, [HEADER, row], encoding="cp932")
    import_file(session, path, defaults=ImportDefaults())
    session.commit()
    assert session.scalars(select(Customer.name)).one() == "㈱髙橋製作所"


def test_utf8_bom_and_semicolons_are_read(session: Session, tmp_path: Path) -> None:
    """Excel's 'CSV UTF-8' (with BOM) in a semicolon locale: the first column is still found."""
    lines = [HEADER.replace(",", ";"), ROWS[0].replace(",", ";")]
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "\n".join(lines).encode())
    report = import_file(session, path, defaults=ImportDefaults())
    assert report.created == 1 and not report.errors


def test_several_contacts_and_zero_balance_stops_the_case(session: Session, tmp_path: Path) -> None:
    """Emails separated by ';' become contacts; a balance of 0 in a re-import marks the case paid."""
    header = HEADER + ",balance"
    path = _write(tmp_path, [header, "INV-300,Acme,a@acme.example;b@acme.example,100,USD,,2026-03-31,,,,100"])
    import_file(session, path, defaults=ImportDefaults())
    session.commit()
    assert sorted(session.scalars(select(Contact.email))) == ["a@acme.example", "b@acme.example"]
    path = _write(tmp_path, [header, "INV-300,Acme,a@acme.example,100,USD,,2026-03-31,,,,0"])
    report = import_file(session, path, defaults=ImportDefaults())
    session.commit()
    assert report.stopped == 1
    assert session.scalars(select(Case.state)).one() == "paid"


def test_missing_column_is_a_clear_error(session: Session, tmp_path: Path) -> None:
    """A file without a required column fails on row 1 naming the column."""
    path = _write(tmp_path, ["invoice_number,customer_name,amount", "A,B,1"])
    with pytest.raises(ImportRowError, match="customer_email"):
        import_file(session, path, defaults=ImportDefaults())
