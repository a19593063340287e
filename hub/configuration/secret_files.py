"""Secrets made on first use (development Kafka passwords, the operations token): a random value in a
file only its owner reads, written whole under another name and linked into place, so processes
starting together never read half of one and all keep the first one made."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def write_new_secret(target: Path, nbytes: int = 32, *, private_dir: bool = False) -> None:
    """A random value in `target` unless there is one already. `private_dir`: its folder is made for
    the owner alone (a folder of secrets); otherwise the folder keeps the default mode, since others
    may need to pass through it (.data/ holds PostgreSQL's home, which the postgres user enters)."""
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700 if private_dir else 0o777)
    # A scratch name of its own per call: the brokers of a cluster are launched by threads of one process.
    scratch = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(secrets.token_urlsafe(nbytes) + "\n")
    try:
        os.link(scratch, target)
    except FileExistsError:
        pass
    finally:
        scratch.unlink(missing_ok=True)
