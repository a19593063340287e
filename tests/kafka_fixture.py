"""A real Kafka broker for the whole test session (import `kafka_broker` in tests/conftest.py).

The broker lives in <project>/.kafka/run/test-<pid> and is removed after the session. Homes of
earlier sessions that died without cleaning up (killed pytest) are swept first, including their
orphaned JVMs (a cluster's nodes too), so they never pile up nor hold ports.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.devtools.kafka.cluster import KafkaCluster, stop_detached
from hub.devtools.kafka.launcher import KafkaBroker, KafkaStartError, find_project_root, pid_alive

_TEST_HOME = re.compile(r"^test-(\d+)(?:-.*)?$")


def kafka_test_home(project_root: Path, suffix: str = "") -> Path:
    """`.kafka/run/test-<pid>[-suffix]`: the pid lets a later session tell whether it is stale."""
    name = f"test-{os.getpid()}" + (f"-{suffix}" if suffix else "")
    return project_root / ".kafka" / "run" / name


def sweep_stale_test_homes(project_root: Path) -> None:
    run_dir = project_root / ".kafka" / "run"
    if not run_dir.is_dir():
        return
    for home in run_dir.iterdir():
        match = _TEST_HOME.match(home.name)
        if match is None or not home.is_dir():
            continue
        owner = int(match.group(1))
        if owner == os.getpid() or pid_alive(owner):
            continue  # ours, or another live session (e.g. a parallel pytest run)
        stop_detached(home, timeout=10)  # kills the orphaned JVMs, if any, by their pid files
        shutil.rmtree(home, ignore_errors=True)


@contextlib.contextmanager
def started_broker(suffix: str = "") -> Iterator[KafkaBroker]:
    """A broker of the session's own in `.kafka/run/test-<pid>[-suffix]`, stopped and removed after."""
    root = find_project_root()
    home = kafka_test_home(root, suffix)
    shutil.rmtree(home, ignore_errors=True)
    broker = KafkaBroker(home, project_root=root)
    try:
        broker.start()
    except KafkaStartError as err:
        # Fail loudly with the broker log; the home is kept for a post-mortem and swept later.
        pytest.fail(str(err), pytrace=False)
    try:
        yield broker
    finally:
        broker.stop()
        shutil.rmtree(home, ignore_errors=True)


@contextlib.contextmanager
def started_cluster(suffix: str, size: int = 3) -> Iterator[KafkaCluster]:
    """A cluster of `size` nodes of the test's own in `.kafka/run/test-<pid>-suffix`, stopped and removed after."""
    root = find_project_root()
    home = kafka_test_home(root, suffix)
    shutil.rmtree(home, ignore_errors=True)
    cluster = KafkaCluster(home, size, project_root=root)
    try:
        cluster.start()
    except KafkaStartError as err:
        pytest.fail(str(err), pytrace=False)
    try:
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def kafka_broker() -> Iterator[KafkaBroker]:
    sweep_stale_test_homes(find_project_root())
    with started_broker() as broker:
        yield broker
