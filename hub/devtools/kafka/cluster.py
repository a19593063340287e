"""A Kafka cluster of several KRaft nodes on this machine: `hub kafka start --brokers 3`.

Each node is a combined broker+controller JVM (hub/devtools/kafka/launcher.py's ``KafkaBroker``) in a home of
its own, ``<home>/node-<id>`` (config, data, broker.log, broker.pid), with its own clients' and
controller ports on 127.0.0.1; the three controllers form one static quorum of three voters, so the
cluster keeps its metadata, and takes writes, with any one node down. ``<home>/bootstrap.txt`` lists
every node's address. Security is the single node's: every node formatted with the admin's SCRAM
credential, the other principals' users and the ACLs of topics.yaml set once the cluster is up.

The functions at the end (`start_detached`, `stop_detached`, `status`) serve `hub kafka start|stop|status`
for a home holding either a single node (the launcher's own layout) or a cluster.
"""

from __future__ import annotations

import contextlib
import functools
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from hub.devtools.kafka import broker_security, launcher
from hub.devtools.kafka.broker_security import BrokerTls
from hub.devtools.kafka.launcher import (
    BOOTSTRAP_FILE,
    DATA_DIR,
    HOST,
    SERVER_PROPERTIES,
    BrokerStatus,
    KafkaBroker,
    KafkaStartError,
)
from hub.devtools.kafka.quorum import Membership
from hub.runtime.kafka.security import KafkaSecurity

__all__ = ["ClusterStatus", "KafkaCluster", "cluster_size", "node_home", "start_detached", "status", "stop_detached"]

NODE_PREFIX = "node-"


def node_home(home: Path, node_id: int) -> Path:
    return home / f"{NODE_PREFIX}{node_id}"


def cluster_size(home: Path) -> int:
    """How many nodes the cluster of `home` has (0: none was ever started there)."""
    ids = [
        int(path.name.removeprefix(NODE_PREFIX))
        for path in Path(home).glob(f"{NODE_PREFIX}*")
        if path.name.removeprefix(NODE_PREFIX).isdigit() and (path / SERVER_PROPERTIES).is_file()
    ]
    return max(ids, default=0)


def _cluster_id_on_disk(home: Path) -> str | None:
    """The cluster id a node's storage was formatted with, if it was (with the admin's SCRAM user)."""
    data = home / DATA_DIR
    if not broker_security.formatted_with_scram(data):
        return None
    return launcher._read_properties(data / "meta.properties").get("cluster.id")


def _previous_ports(home: Path) -> tuple[int | None, int | None]:
    listeners = launcher._read_properties(home / SERVER_PROPERTIES).get("listeners", "")
    return (
        launcher._listener_port(listeners, broker_security.BROKER_LISTENER),
        launcher._listener_port(listeners, broker_security.CONTROLLER_LISTENER),
    )


class KafkaCluster:
    """`size` KRaft nodes (broker+controller each) in ``<home>/node-1`` ... ``<home>/node-<size>``."""

    def __init__(
        self,
        home: Path,
        size: int = 3,
        *,
        project_root: Path | None = None,
        out: TextIO | None = None,
        security: KafkaSecurity | None = None,
        tls: BrokerTls | None = None,
    ) -> None:
        if size < 1:
            raise ValueError("a cluster has at least one node")
        self.home = Path(home).resolve()
        self.size = size
        self.security = security or KafkaSecurity.from_env()
        self.startup_seconds: float | None = None
        homes = [node_home(self.home, i) for i in range(1, size + 1)]
        running = [launcher.status(h).running for h in homes]
        ports = self._ports(homes, running)
        ids = {_cluster_id_on_disk(h) for h in homes}
        # One id in every node's meta.properties, or none: a node formatted alone would never join.
        self._fresh = None in ids or len(ids) > 1
        if self._fresh and any(running):
            raise KafkaStartError(f"the nodes in {self.home} were not formatted as one cluster; stop them first")
        cluster_id = launcher._random_cluster_id() if self._fresh else next(iter(ids))
        assert cluster_id is not None
        voters = tuple((i, HOST, controller) for i, (_, controller) in enumerate(ports, start=1))
        self.nodes = [
            KafkaBroker(
                h, port, controller, project_root=project_root, out=out, security=self.security, tls=tls,
                membership=Membership(i, voters, cluster_id),
            )
            for i, (h, (port, controller)) in enumerate(zip(homes, ports, strict=True), start=1)
        ]  # fmt: skip

    @staticmethod
    def _ports(homes: list[Path], running: list[bool]) -> list[tuple[int, int]]:
        """Each node's (clients', controller) ports: those of the previous run when they are all still
        free (a developer's bootstrap address survives restarts), else fresh ones. A running node keeps
        its own, and so must a stopped node joining it: the others know its controller by that port."""
        previous = [_previous_ports(h) for h in homes]
        flat = [p for pair in previous for p in pair]
        known = all(p is not None for p in flat) and len(set(flat)) == len(flat)
        reusable = [
            up or all(launcher._port_is_free(p) for p in pair if p) for up, pair in zip(running, previous, strict=True)
        ]
        if known and all(reusable):
            return [(b, c) for b, c in previous if b is not None and c is not None]
        if any(running):
            raise KafkaStartError(
                f"a node of {homes[0].parent} cannot get its previous ports back while the others run; "
                "stop the cluster and start it again"
            )
        fresh = launcher._free_ports(2 * len(homes))
        return [(fresh[2 * i], fresh[2 * i + 1]) for i in range(len(homes))]

    @property
    def bootstrap_servers(self) -> str:
        return ",".join(node.bootstrap_servers for node in self.nodes)

    def node(self, node_id: int) -> KafkaBroker:
        return self.nodes[node_id - 1]

    def start(self, timeout: float = 180) -> None:
        """Start every node not running yet, wait until all serve, then set the SCRAM users and ACLs."""
        began = time.monotonic()
        deadline = began + timeout
        if self._fresh:
            for node in self.nodes:
                if (node.data_dir / "meta.properties").is_file():
                    print(f"{node.home}: not formatted as one cluster with the others: formatting it again",
                          file=sys.stderr)  # fmt: skip
                shutil.rmtree(node.data_dir, ignore_errors=True)
            self._fresh = False
        launched = [node for node in self.nodes if not launcher.status(node.home).running]
        try:
            # The first launch makes the development secrets and checks the jars; the others, then,
            # format their storage side by side (a one-shot JVM each).
            for node in launched[:1]:
                node.launch()
            with ThreadPoolExecutor(max_workers=max(1, len(launched) - 1)) as pool:
                list(pool.map(KafkaBroker.launch, launched[1:]))
            for node in launched:  # each is ready once all are: waiting for them in turn costs nothing
                node.wait_ready(deadline, secure=False)
            self._secure(deadline)
        except BaseException:
            self._stop(launched, timeout=10)
            raise
        (self.home / BOOTSTRAP_FILE).write_text(self.bootstrap_servers + "\n")
        self.startup_seconds = time.monotonic() - began

    def start_node(self, node_id: int, timeout: float = 120) -> None:
        """Bring one node back (after a crash): it rejoins the quorum and catches up its replicas."""
        node = self.node(node_id)
        node.launch()
        node.wait_ready(time.monotonic() + timeout, secure=False)

    def stop(self, timeout: float = 30) -> None:
        self._stop(self.nodes, timeout)
        (self.home / BOOTSTRAP_FILE).unlink(missing_ok=True)

    def detach(self) -> None:
        for node in self.nodes:
            node.detach()

    def _secure(self, deadline: float) -> None:
        from hub.operations.kafka.authorization import sync_security

        budget = max(5.0, deadline - time.monotonic())
        launcher._run_coroutine(
            functools.partial(sync_security, self.bootstrap_servers, self.security, timeout_s=budget)
        )

    @staticmethod
    def _stop(nodes: list[KafkaBroker], timeout: float) -> None:
        # Side by side: stopped one after the other, the last ones would wait for a quorum already gone.
        with ThreadPoolExecutor(max_workers=max(1, len(nodes))) as pool:
            list(pool.map(lambda node: node.stop(timeout), nodes))


# --------------------------------------------------------------------------------------------
# Detached mode (`hub kafka start|stop|status`), for a single node or a cluster
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClusterStatus:
    home: Path
    nodes: list[BrokerStatus]  # one for a single node (the launcher's own layout)
    clustered: bool
    reused: bool = False  # start_detached() found every node running and started none

    @property
    def running(self) -> bool:
        return all(node.running for node in self.nodes)

    @property
    def bootstrap_servers(self) -> str | None:
        servers = [node.bootstrap_servers for node in self.nodes if node.bootstrap_servers]
        return ",".join(servers) or None

    def describe(self) -> str:
        if not self.clustered:
            return self.nodes[0].describe()
        up = [node for node in self.nodes if node.running]
        state = "running" if self.running else f"{len(up)} of {len(self.nodes)} nodes running"
        lines = [f"Kafka cluster of {len(self.nodes)} nodes: {state}", f"  home:      {self.home}"]
        if up:
            lines.append(f"  bootstrap: {self.bootstrap_servers}")
        for node in self.nodes:
            where = f"running (pid {node.pid}) at {node.bootstrap_servers}" if node.running else "not running"
            lines.append(f"  {node.home.name}:    {where}, log {node.log_path}")
        return "\n".join(lines)


def status(home: Path) -> ClusterStatus:
    """The cluster of `home` if one was started there (and no single node runs there), else its single node."""
    home = Path(home).resolve()
    size = cluster_size(home)
    single = launcher.status(home)
    if size == 0 or single.running:
        return ClusterStatus(home, [single], clustered=False)
    return ClusterStatus(home, [launcher.status(node_home(home, i)) for i in range(1, size + 1)], clustered=True)


def start_detached(
    home: Path,
    brokers: int | None = None,
    *,
    port: int | None = None,
    timeout: float = 180,
    project_root: Path | None = None,
    out: TextIO | None = None,
) -> ClusterStatus:
    """Start what `home` holds (or `brokers` nodes) so that it outlives this process; start only the
    nodes that are not running, and report a cluster already running whole as reused."""
    home = Path(home).resolve()
    size = cluster_size(home)
    brokers = brokers or size or 1
    if brokers == 1 and size == 0:
        single = launcher.start_detached(home, port=port, timeout=timeout, project_root=project_root, out=out)
        return ClusterStatus(home, [single], clustered=False, reused=single.reused)
    if size and brokers != size:
        raise KafkaStartError(f"{home} holds a cluster of {size} nodes, not {brokers}: use another --home")
    if port is not None:
        raise KafkaStartError("--port is for a single node: the nodes of a cluster keep their own ports")
    if launcher.status(home).running:
        raise KafkaStartError(f"a single-node broker runs in {home}: stop it first (hub kafka stop)")
    current = status(home)
    if current.clustered and current.running:
        return ClusterStatus(home, current.nodes, clustered=True, reused=True)
    cluster = KafkaCluster(home, brokers, project_root=project_root, out=out)
    cluster.start(timeout)  # on failure the nodes it launched are stopped and KafkaStartError raised
    cluster.detach()
    return status(home)


def stop_detached(home: Path, timeout: float = 30) -> bool:
    """Stop whatever runs in `home`, a single node or every node of a cluster; False if nothing ran."""
    home = Path(home).resolve()
    homes = [home, *(node_home(home, i) for i in range(1, cluster_size(home) + 1))]
    with ThreadPoolExecutor(max_workers=len(homes)) as pool:
        stopped = list(pool.map(lambda h: launcher.stop_detached(h, timeout), homes))
    with contextlib.suppress(OSError):
        (home / BOOTSTRAP_FILE).unlink()
    return any(stopped)
