"""Make a cluster's SCRAM users and ACLs what topics.yaml says: `hub kafka acls --apply`, and the
broker launcher on every start.

ACLs are synchronised, not only added: an ACL the generated list lacks (a principal removed from
topics.yaml, a grant made by hand) is deleted, because anything not generated must stay denied.
Users are only upserted; removing a principal's SCRAM user is left to an operator. The broker
answers CreateAcls once the controller has committed them, but its own authorizer applies the
metadata a moment later: `sync_security` waits until every broker of the cluster describes every ACL,
so a client started right after is not refused by a broker that is still catching up.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiokafka.client import AIOKafkaClient
from aiokafka.errors import for_code

from hub.contract.topics import TopicCatalog, catalog
from hub.operations.kafka.acls import LITERAL, Acl, Operation, Resource, generate_acls, load_principals
from hub.operations.kafka.wire import CreateAcls, DeleteAcl, DescribeAllAcls, UpsertScramUsers
from hub.runtime.kafka.security import ADMIN, KafkaSecurity


class SecurityApplyError(RuntimeError):
    pass


@dataclass
class SecurityReport:
    users: list[str] = field(default_factory=list)
    created: list[Acl] = field(default_factory=list)
    deleted: list[Acl] = field(default_factory=list)
    kept: int = 0

    def lines(self) -> list[str]:
        out = [f"user:    {name} (SCRAM-SHA-512 set)" for name in self.users]
        out += [f"created: {acl.describe()}" for acl in self.created]
        out += [f"deleted: {acl.describe()}" for acl in self.deleted]
        out.append(f"ok:      {self.kept} ACL(s) already in place")
        return out


def hub_acls(topics: TopicCatalog | None = None) -> list[Acl]:
    return generate_acls(topics or catalog(), load_principals())


def hub_principals() -> list[str]:
    return [p.name for p in load_principals()]


async def sync_security(
    bootstrap: str,
    security: KafkaSecurity,
    *,
    users: list[str] | None = None,
    acls: list[Acl] | None = None,
    timeout_s: float = 30,
) -> SecurityReport:
    """As the admin principal: upsert the SCRAM password of each of `users` (every principal of
    topics.yaml by default) from `security`, then make the ACLs exactly `acls` (the generated ones)."""
    wanted = set(acls if acls is not None else hub_acls())
    names = users if users is not None else hub_principals()
    report = SecurityReport()
    client = AIOKafkaClient(
        bootstrap_servers=bootstrap,
        client_id="hub-security",
        request_timeout_ms=int(timeout_s * 1000),
        **security.client_options(ADMIN),
    )
    await client.bootstrap()
    try:
        node = client.get_random_node()
        if names:
            await _upsert_users(client, node, {n: security.password(n) for n in names})
            report.users = sorted(names)
        present = await _described(client, node)
        missing = sorted(wanted - present)
        extra = sorted(present - wanted)
        if missing:
            _check(await client.send(node, CreateAcls(missing)), "creation_responses", "creating ACLs")
        for acl in extra:
            _check(await client.send(node, DeleteAcl(acl)), "filter_responses", f"deleting {acl.describe()}")
        report.created, report.deleted, report.kept = missing, extra, len(present & wanted)
        async with asyncio.timeout(timeout_s):
            # Each broker's authorizer catches up with the controller's metadata: nothing to await but
            # them, every one of them (a client may be sent to any broker of a cluster).
            for broker in sorted(b.nodeId for b in client.cluster.brokers()):
                while await _described(client, broker) != wanted:  # noqa: ASYNC110
                    await asyncio.sleep(0.1)
    finally:
        await client.close()
    return report


async def _upsert_users(client: AIOKafkaClient, node: int, passwords: dict[str, str]) -> None:
    response = await client.send(node, UpsertScramUsers(passwords))
    for user, code, message, _ in response.results:
        if code:
            raise SecurityApplyError(
                f"setting the SCRAM password of {user} failed: {for_code(code).__name__} {message}"
            )


async def _described(client: AIOKafkaClient, node: int) -> set[Acl]:
    """The ACLs the broker's authorizer holds now. Only allow-ACLs on literal names of the kinds the
    hub generates can be equal to a generated one; anything else is returned under a name that never
    is, so that it counts as extra and is deleted."""
    response = await client.send(node, DescribeAllAcls())
    if response.error_code:
        raise SecurityApplyError(f"describing ACLs failed: {for_code(response.error_code).__name__}")
    found: set[Acl] = set()
    for resource_type, name, pattern, entries in response.resources:
        for principal, host, operation, permission in entries:
            acl = _as_acl(resource_type, name, pattern, principal, host, operation, permission)
            if acl is not None:
                found.add(acl)
            else:
                raise SecurityApplyError(
                    f"an ACL the hub cannot express is on the cluster ({principal} {operation} on "
                    f"{resource_type}:{name}, pattern {pattern}, host {host}, permission {permission}): "
                    "remove it with Kafka's kafka-acls tool"
                )
    return found


def _as_acl(
    resource_type: int, name: str, pattern: int, principal: str, host: str, operation: int, permission: int
) -> Acl | None:
    try:
        resource, op = Resource(resource_type), Operation(operation)
    except ValueError:
        return None
    if pattern != LITERAL or host != "*" or permission != 3 or not principal.startswith("User:"):
        return None
    return Acl(principal.removeprefix("User:"), resource, name, op)


def _check(response: Any, field_name: str, what: str) -> None:
    for entry in getattr(response, field_name):
        code, message = entry[0], entry[1]
        if code:
            raise SecurityApplyError(f"{what} failed: {for_code(code).__name__} {message or ''}")
