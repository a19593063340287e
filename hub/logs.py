"""Logging: everything to a file, warnings and worse to the terminal."""

from __future__ import annotations

import logging
import sys
from pathlib import Path


def configure(log_file: Path | None, level: int = logging.INFO) -> None:
    root = logging.getLogger()
    root.setLevel(level)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    terminal = logging.StreamHandler(sys.stderr)
    terminal.setLevel(logging.WARNING if log_file else level)
    terminal.setFormatter(fmt)
    if log_file is not None:
        # aiokafka reports transient group-coordinator states while a group forms: file only.
        terminal.addFilter(lambda record: not record.name.startswith("aiokafka"))
    root.addHandler(terminal)
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        to_file = logging.FileHandler(log_file, encoding="utf-8")
        to_file.setFormatter(fmt)
        root.addHandler(to_file)
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
