"""Labelled mail in corpus format: .eml files in a folder with a labels.jsonl naming them (the layout of
tests/corpus). Written by `dunmail classify export-feedback` and `dunmail intake export-corrections`,
read by `dunmail classify train --feedback` (worker.classify.train.labelled_mails)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

Labelled = tuple[str | None, bytes | None, dict[str, object]]  # file name (None: no mail), raw mail, label


def write_labelled(out: Path, rows: Iterable[Labelled]) -> int:
    """Write each mail beside its label line; returns how many labels were written."""
    out.mkdir(parents=True, exist_ok=True)
    written = 0
    with (out / "labels.jsonl").open("w", encoding="utf-8") as labels:
        for name, raw, label in rows:
            if name is not None:
                (out / name).write_bytes(raw or b"")
            labels.write(json.dumps({"file": name, **label}, ensure_ascii=False) + "\n")
            written += 1
    return written
