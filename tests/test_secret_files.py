"""Secrets made on first use: brokers of a cluster launched together (threads of one process) all start
with the same development password."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from hub.configuration.secret_files import write_new_secret


def test_threads_making_one_secret_at_once_all_succeed_and_keep_the_first(tmp_path: Path) -> None:
    target = tmp_path / "kafka-secrets" / "admin"
    for _ in range(20):  # the race is in a few microseconds: try it often
        target.unlink(missing_ok=True)
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda _: write_new_secret(target, private_dir=True), range(8)))
        assert target.read_text().strip()
        assert [p.name for p in target.parent.iterdir()] == ["admin"]  # no scratch file left behind
    assert target.stat().st_mode & 0o777 == 0o600
