"""Read PDFs in a child process with a memory cap (RLIMIT_AS) and a wall-clock timeout.

A 95 KB PDF can take 31 s and 5.5 GB inside PDFium, and a 306 KB stream can inflate to 300 MB: no
limit inside one process stops that, so PDFium runs in a child that is started once and reused (a
fork per PDF would cost more than the reading, see scripts/bench_intake.py). The parent sends the
bytes over a pipe and waits at most `seconds`; a child that runs over is killed, one that hits its
memory cap fails or dies; either way the caller gets IntakeError with the reason (so the mail goes to
review) and the next PDF gets a fresh child.

The child is a fresh interpreter (`python -m worker.intake.pdfchild`, not a fork), so it holds only
pypdfium2 and the reader, and its address-space cap measures the PDF's cost, not the parent's heap.
One child per parent process; a lock keeps one PDF in flight at a time (PDFium is not thread-safe).
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import threading
from multiprocessing.connection import Connection

import structlog

from worker.errors import IntakeError
from worker.intake.pdftext import PdfContent, PdfLimits, read_pdf

log = structlog.get_logger(__name__)

_START_SECONDS = 30.0  # a cold interpreter importing pypdfium2 on a loaded machine


def _cap_memory(megabytes: int) -> None:
    import resource

    limit = megabytes * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _serve(conn_in: Connection, conn_out: Connection, memory_mb: int) -> None:
    """The child's loop: (bytes, limits) in, ("ok", PdfContent) or ("error", reason) out."""
    _cap_memory(memory_mb)
    conn_out.send(("ready", None))
    while True:
        try:
            data, limits = conn_in.recv()
        except (EOFError, OSError):
            return
        try:
            reply: tuple[str, object] = ("ok", read_pdf(data, limits))
        except IntakeError as exc:
            reply = ("error", str(exc))
        except MemoryError:
            reply = ("error", f"PDF needs more than the {memory_mb} MB memory limit to read: a person reads it")
        except Exception as exc:  # PDFium on hostile input: a reason, never a dead reader
            reply = ("error", f"PDF could not be read ({type(exc).__name__})")
        try:
            conn_out.send(reply)
        except MemoryError:
            conn_out.send(("error", f"PDF text is over the {memory_mb} MB memory limit"))


def main() -> None:
    """`python -m worker.intake.pdfchild MEMORY_MB`: frames on stdin/stdout; logs go to stderr."""
    protocol_out = os.dup(1)
    os.dup2(2, 1)  # anything printed or logged must not corrupt the protocol stream
    _serve(Connection(os.dup(0)), Connection(protocol_out), int(sys.argv[1]))


class GuardedReader:
    """One reusable child process that reads PDFs under limits."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._send: Connection | None = None
        self._conn: Connection | None = None
        self._memory_mb = 0
        self._pid = os.getpid()

    def _start(self, memory_mb: int) -> None:
        proc = subprocess.Popen(
            [sys.executable, "-m", "worker.intake.pdfchild", str(memory_mb)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            close_fds=True,
            # The child imports what this process imports, installed or run from a checkout.
            env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
        )
        assert proc.stdin is not None and proc.stdout is not None
        send, conn = Connection(os.dup(proc.stdin.fileno())), Connection(os.dup(proc.stdout.fileno()))
        proc.stdin.close()
        proc.stdout.close()
        self._proc, self._send, self._conn, self._memory_mb = proc, send, conn, memory_mb
        if not conn.poll(_START_SECONDS):
            self._stop()
            raise IntakeError("the PDF reader process did not start: retry later")
        try:
            conn.recv()
        except (EOFError, OSError):
            self._stop()
            raise IntakeError(
                f"the PDF reader process failed to start under the {memory_mb} MB memory limit: "
                "raise intake_pdf_memory_mb"
            ) from None
        log.info("pdf_reader_started", pid=proc.pid, memory_mb=memory_mb)

    def _stop(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait(5)
        for conn in (self._send, self._conn):
            if conn is not None:
                conn.close()
        self._proc = self._send = self._conn = None

    def read(self, data: bytes, limits: PdfLimits) -> PdfContent:
        with self._lock:
            if self._pid != os.getpid():  # inherited across a fork: that child belongs to the parent
                self._proc = self._send = self._conn = None
                self._pid = os.getpid()
            if self._conn is None or self._memory_mb != limits.memory_mb or not self._alive():
                self._stop()
                self._start(limits.memory_mb)
            conn, send = self._conn, self._send
            assert conn is not None and send is not None
            try:
                send.send((data, limits))
                ready = conn.poll(limits.seconds)
            except (OSError, EOFError):
                ready = False
            if not ready:
                timed_out = self._alive()
                self._stop()
                if timed_out:
                    log.warning("pdf_read_timeout", seconds=limits.seconds, size=len(data))
                    raise IntakeError(f"PDF took longer than {limits.seconds:g} s to read: a person reads it")
                raise IntakeError(self._died(limits))
            try:
                status, value = conn.recv()
            except (EOFError, OSError):
                self._stop()
                raise IntakeError(self._died(limits)) from None
        if status == "ok":
            assert isinstance(value, PdfContent)
            return value
        raise IntakeError(str(value))

    def close(self) -> None:
        """Stop the child (at exit: no reader outlives its parent)."""
        with self._lock:
            if self._pid == os.getpid():
                self._stop()

    def _alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _died(self, limits: PdfLimits) -> str:
        log.warning("pdf_reader_died", memory_mb=limits.memory_mb)
        return f"the PDF reader stopped on this PDF (over the {limits.memory_mb} MB memory limit?): a person reads it"


_READER = GuardedReader()
atexit.register(_READER.close)


def read_pdf_guarded(data: bytes, limits: PdfLimits | None = None) -> PdfContent:
    """read_pdf in the shared child process under limits.memory_mb and limits.seconds."""
    limits = limits or PdfLimits()
    if len(data) > limits.max_bytes:  # refused before any process work
        raise IntakeError(f"PDF is {len(data)} bytes, over the {limits.max_bytes}-byte limit")
    if not limits.isolate:
        return read_pdf(data, limits)
    return _READER.read(data, limits)


if __name__ == "__main__":
    main()
