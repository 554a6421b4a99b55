"""`dunmail classify --json FILE...`: the DESIGN.md contract, one JSON object per line per file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from tests.mailfactory import text_mail
from worker.cli import _register, app

CONTRACT_KEYS = {
    "file",
    "intent",
    "confidence",
    "promised_date",
    "language",
    "reply_text",
    "invoice_refs",
    "bounce_recipients",
}


def _run(*args: str) -> tuple[int, list[dict[str, object]]]:
    _register()
    result = CliRunner().invoke(app, ["classify", *args])
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return result.exit_code, lines


def test_one_line_per_file_with_the_contract_keys(tmp_path: Path) -> None:
    """Every file gives exactly one JSON line carrying every contract key, in the order given."""
    paid = tmp_path / "paid.eml"
    paid.write_bytes(text_mail("We paid invoice INV-1001 yesterday."))
    promise = tmp_path / "promise.eml"
    promise.write_bytes(text_mail("来週金曜日までにお振込みいたします。"))
    code, lines = _run("--json", str(paid), str(promise))
    assert code == 0
    assert [line["file"] for line in lines] == [str(paid), str(promise)]
    assert all(set(line) >= CONTRACT_KEYS for line in lines)
    assert lines[0]["intent"] == "paid" and "INV-1001" in lines[0]["invoice_refs"]  # type: ignore[operator]
    assert lines[1]["intent"] == "promise_to_pay"
    assert lines[1]["promised_date"] == "2026-03-13"
    assert lines[1]["language"] == "ja"


def test_japanese_is_printed_as_characters_not_escapes(tmp_path: Path) -> None:
    """ensure_ascii=False: the reply text appears as Japanese characters on stdout."""
    path = tmp_path / "ja.eml"
    path.write_bytes(text_mail("振込済みです。"))
    _register()
    result = CliRunner().invoke(app, ["classify", "--json", str(path)])
    assert "振込済み" in result.stdout
    assert "\\u" not in result.stdout


def test_unreadable_and_broken_files_still_answer(tmp_path: Path) -> None:
    """A missing file and a headerless one each answer 'other' at confidence 0; the exit code stays 0."""
    good = tmp_path / "good.eml"
    good.write_bytes(text_mail("Please resend the invoice."))
    broken = tmp_path / "broken.eml"
    broken.write_bytes(b"")
    missing = tmp_path / "missing.eml"
    code, lines = _run("--json", str(good), str(broken), str(missing))
    assert code == 0
    by_name = {Path(str(line["file"])).name: line for line in lines}
    assert set(by_name) == {"good.eml", "broken.eml", "missing.eml"}
    for name in ("broken.eml", "missing.eml"):
        assert (by_name[name]["intent"], by_name[name]["confidence"]) == ("other", 0.0)
        assert "error" in by_name[name]


def test_no_existing_file_is_an_error_exit(tmp_path: Path) -> None:
    """When not one of the files exists the command still answers per file, then exits non-zero."""
    code, lines = _run("--json", str(tmp_path / "nope.eml"))
    assert code != 0
    assert len(lines) == 1 and lines[0]["intent"] == "other"


def test_directory_means_its_files(tmp_path: Path) -> None:
    """A directory argument classifies each file beneath it, in name order."""
    for name in ("b.eml", "a.eml"):
        (tmp_path / name).write_bytes(text_mail("We will pay by Friday."))
    code, lines = _run("--json", str(tmp_path))
    assert code == 0
    assert [Path(str(line["file"])).name for line in lines] == ["a.eml", "b.eml"]


def test_table_without_json(tmp_path: Path) -> None:
    """Without --json a readable table names the file and its intent."""
    path = tmp_path / "dispute.eml"
    path.write_bytes(text_mail("The goods arrived broken."))
    _register()
    result = CliRunner().invoke(app, ["classify", str(path)])
    assert result.exit_code == 0
    assert "dispute.eml" in result.stdout and "dispute" in result.stdout
    assert not result.stdout.lstrip().startswith("{")


def test_details_adds_reasons_and_review_flag(tmp_path: Path) -> None:
    """--details adds the rules that fired, amounts and whether a person must look."""
    path = tmp_path / "paid.eml"
    path.write_bytes(text_mail("We transferred ¥1,234,500 yesterday."))
    code, lines = _run("--json", "--details", str(path))
    assert code == 0
    assert lines[0]["amounts"] == [["1234500", "JPY"]]
    assert lines[0]["needs_review"] is False
    assert lines[0]["reasons"]


def test_real_process_over_many_files(tmp_path: Path) -> None:
    """The installed command, in one process, answers a line per file for a few hundred files."""
    for i in range(300):
        (tmp_path / f"m{i:03}.eml").write_bytes(text_mail(f"Invoice INV-{i} was paid on the 2nd."))
    proc = subprocess.run(
        [sys.executable, "-m", "worker", "classify", "--json", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-500:]
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(lines) == 300
    assert {line["intent"] for line in lines} == {"paid"}
