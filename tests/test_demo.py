"""`dunmail demo` end to end: every intent reached its case through the real inbound path, states are as
the scripted customers and finance make them, nothing is left unprocessed, and the mail is real mail."""

from __future__ import annotations

import email
import json
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from typer.testing import CliRunner

from worker.cli import _register, app

EXPECTED = {
    "INV-2026-0101": ("payment_claimed", "paid"),
    "INV-2026-0102": ("escalated", "promise_to_pay"),  # the promise was broken: promise_missed, then the ladder
    "INV-2026-0103": ("paid", "payment_plan"),  # plan approved, three instalments reminded and paid
    "INV-2026-0104": ("disputed", "dispute"),
    "INV-2026-0106": ("contact_invalid", "bounce"),
    "INV-2026-0107": ("needs_review", "other"),
    "JP-2026-0201": ("payment_claimed", "paid"),
    "JP-2026-0203": ("disputed", "dispute"),
    "JP-2026-0204": ("on_plan", "payment_plan"),
    "JP-2026-0205": ("escalated", "auto_reply"),
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:  # type: ignore[type-arg]
    _register()
    workdir = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(app, ["demo", "--json", "--workdir", str(workdir)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.strip().splitlines()[-1]), workdir


def test_every_scripted_reply_was_understood_and_acted_on(demo: tuple[dict, Path]) -> None:  # type: ignore[type-arg]
    """Each simulated customer's reply got the right intent and left its case in the right state."""
    cases = {c["invoice"]: c for c in demo[0]["cases"]}
    for invoice, (state, intent) in EXPECTED.items():
        assert cases[invoice]["state"] == state, invoice
        assert [r["intent"] for r in cases[invoice]["replies"]] == [intent], invoice
    assert cases["INV-2026-0102"]["replies"][0]["promised_date"] == "2026-04-10"
    assert "promise_missed" in cases["INV-2026-0102"]["stages"]
    assert cases["INV-2026-0103"]["stages"].count("instalment_due") == 3


def test_all_intents_reached_and_nothing_left_unprocessed(demo: tuple[dict, Path]) -> None:  # type: ignore[type-arg]
    """All seven intents occur, every stored mail was processed, and each paused case waits in the queue."""
    summary = demo[0]
    intents = {r["intent"] for c in summary["cases"] for r in c["replies"]}
    assert intents == {"paid", "promise_to_pay", "payment_plan", "dispute", "auto_reply", "bounce", "other"}
    assert summary["unprocessed_mails"] == 0
    kinds = {(i["kind"], i["invoice"]) for i in summary["review_queue"]}
    assert {("dispute", "INV-2026-0104"), ("bounce", "INV-2026-0106"), ("payment_claim", "JP-2026-0201"),
            ("unclear", "INV-2026-0107")} <= kinds


def test_forwarded_invoices_became_cases(demo: tuple[dict, Path]) -> None:  # type: ignore[type-arg]
    """The Peppol, JP PINT and in-body invoices forwarded to the intake address were opened and chased."""
    cases = {c["invoice"]: c for c in demo[0]["cases"]}
    for number, language in (("INV-2026-0150", "en"), ("JP-2026-0250", "ja"), ("INV-2026-0160", "en")):
        assert cases[number]["language"] == language and cases[number]["reminders_sent"] >= 1


def test_sent_mail_is_real_mail_with_japanese_intact(demo: tuple[dict, Path]) -> None:  # type: ignore[type-arg]
    """The local SMTP server kept every reminder; a Japanese one has a keigo subject that decodes cleanly."""
    outbox = demo[1] / "outbox"
    files = sorted(outbox.glob("*.eml"))
    total = sum(c["reminders_sent"] for c in demo[0]["cases"])
    assert len(files) == total > 50
    subjects = [str(make_header(decode_header(email.message_from_bytes(f.read_bytes())["Subject"]))) for f in files]
    assert any(s.startswith("【お支払いのお願い】") for s in subjects)
    assert any(s.startswith("【最終通知】") for s in subjects)


@pytest.mark.slow
def test_demo_serve_leaves_the_review_app_running_with_a_printed_login(tmp_path: Path) -> None:
    """`dunmail demo --serve` prints a login that works: the queue shows the demo's disputes."""
    import re
    import signal
    import socket
    import subprocess
    import sys
    import time

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "worker", "demo", "--serve", "--port", str(port), "--workdir",
                             str(tmp_path / "d")], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env={**__import__("os").environ, "COLUMNS": "200"})
    try:
        assert proc.stdout is not None
        password = None
        deadline = time.monotonic() + 120
        while password is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            found = re.match(r"password:\s+(\S+)", line.strip())
            password = found.group(1) if found else None
        assert password, "the demo printed no login"
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", follow_redirects=True, timeout=10)
        for _ in range(50):
            try:
                page = client.get("/login").text
                break
            except httpx.TransportError:
                time.sleep(0.2)
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)
        assert csrf is not None
        queue = client.post("/login", data={"csrf": csrf.group(1), "email": "finance@dunmail.example",
                                            "password": password, "next": "/"})
        client.close()
        assert queue.status_code == 200 and "Tailspin Toys" in queue.text  # the customer whose dispute waits
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)
        if proc.stdout is not None:
            proc.stdout.close()


@pytest.mark.parametrize("width", [60, 80, 120])
def test_the_story_never_cuts_an_invoice_number(demo: tuple[dict, Path], width: int) -> None:  # type: ignore[type-arg]
    """At 80 columns, narrower, or in a pipe, every invoice number of the demo's tables is printed whole."""
    import io

    from rich.console import Console

    from worker.cli.demo import _print

    summary, _ = demo
    buffer = io.StringIO()
    _print(summary, Console(file=buffer, width=width, force_terminal=False))
    printed = buffer.getvalue()
    for case in summary["cases"]:
        assert case["invoice"] in printed, (width, case["invoice"])
    assert "…" not in printed.split("review queue")[0]
