"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives: for the demo and the tests.

Each message is kept with its envelope and exact bytes, and optionally written as an .eml file.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes


class _Recorder:
    def __init__(self, outdir: Path | None) -> None:
        self.messages: list[Received] = []
        self._lock = threading.Lock()
        self._outdir = outdir

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        data = envelope.original_content or (envelope.content if isinstance(envelope.content, bytes) else b"")
        item = Received(str(envelope.mail_from), tuple(envelope.rcpt_tos), bytes(data))
        with self._lock:
            self.messages.append(item)
            n = len(self.messages)
        if self._outdir is not None:
            (self._outdir / f"{n:05d}.eml").write_bytes(item.data)
        return "250 OK"


class LocalSMTPServer:
    """`with LocalSMTPServer() as smtp:` → smtp.port, smtp.messages."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, outdir: Path | None = None) -> None:
        if outdir is not None:
            outdir.mkdir(parents=True, exist_ok=True)
        self._recorder = _Recorder(outdir)
        self._controller = Controller(self._recorder, hostname=host, port=port or _free_port(host),
                                      decode_data=False, enable_SMTPUTF8=True)
        self.host = host

    @property
    def port(self) -> int:
        return int(self._controller.port)

    @property
    def messages(self) -> list[Received]:
        return list(self._recorder.messages)

    def start(self) -> LocalSMTPServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> LocalSMTPServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def _free_port(host: str) -> int:
    import socket

    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])
