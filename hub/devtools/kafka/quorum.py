"""A node's seat in a KRaft cluster: its id, the controller quorum it votes in, the cluster's id, and
the replication its internal topics get (server.properties lines the launcher writes).

Every node the launcher starts is a combined broker+controller. A single node (`hub kafka start`, the
tests' session broker) is a cluster of one; `hub kafka start --brokers 3` (hub/devtools/kafka/cluster.py) gives
three nodes a seat each in one static quorum of three voters.
"""

from __future__ import annotations

from dataclasses import dataclass

# What a cluster of at least this many nodes replicates everything to, and how many copies must hold a
# record before it is acknowledged (acks=all): one node may be lost without losing a record or refusing one.
FULL_REPLICATION = 3
FULL_MIN_INSYNC = 2


def replication_for(size: int) -> tuple[int, int]:
    """(replication factor, min.insync.replicas) a cluster of `size` nodes can give: 3 and 2, or less."""
    replicas = min(FULL_REPLICATION, size)
    return replicas, min(FULL_MIN_INSYNC, replicas)


@dataclass(frozen=True)
class Membership:
    node_id: int
    voters: tuple[tuple[int, str, int], ...]  # (node id, host, controller port) of every voter
    cluster_id: str  # the same in every node's meta.properties: `kafka-storage format --cluster-id`

    @property
    def size(self) -> int:
        return len(self.voters)

    def properties(self) -> str:
        """The node's identity, quorum and replication lines of server.properties."""
        voters = ",".join(f"{node}@{host}:{port}" for node, host, port in self.voters)
        replicas, min_insync = replication_for(self.size)
        return f"""\
process.roles=broker,controller
node.id={self.node_id}
# Static quorum ({self.size} voter(s)): unlike `format --standalone` it does not record the controllers'
# addresses in the metadata log, so the controller ports may change between runs of one home.
controller.quorum.voters={voters}

# {self.size} node(s): internal topics replicated {replicas} times, writes acknowledged by {min_insync}.
offsets.topic.replication.factor={replicas}
transaction.state.log.replication.factor={replicas}
transaction.state.log.min.isr={min_insync}
share.coordinator.state.topic.replication.factor={replicas}
share.coordinator.state.topic.min.isr={min_insync}
default.replication.factor={replicas}
min.insync.replicas={min_insync}
"""
