"""Kafka admin requests that aiokafka's admin client lacks: creating many ACLs in one request and
upserting SCRAM credentials (AlterUserScramCredentials, KIP-554).

aiokafka 0.14 has the wire structs of CreateAcls (one ACL per request) and none of
AlterUserScramCredentials; its protocol types (compact strings, tagged fields) are enough to write
them, which spares the launcher a JVM per user with Kafka's own kafka-configs tool.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable

from aiokafka.protocol.admin import (
    CreateAclsRequest_v1,
    DeleteAclsRequest_v1,
    DescribeAclsRequest_v1,
)
from aiokafka.protocol.api import Request, RequestStruct, Response
from aiokafka.protocol.types import (
    CompactArray,
    CompactBytes,
    CompactString,
    Int8,
    Int16,
    Int32,
    Schema,
    TaggedFields,
)

from hub.operations.kafka.acls import ALLOW, LITERAL, Acl

SCRAM_SHA_512 = 2  # ScramMechanism's type
SCRAM_ITERATIONS = 4096  # Kafka's minimum for SCRAM-SHA-512, and its clients' default
ANY = 1  # "any" of resource type, pattern type, operation and permission in a filter


def _binding(acl: Acl) -> tuple[int, str, int, str, str, int, int]:
    return (int(acl.resource), acl.name, LITERAL, acl.kafka_principal, "*", int(acl.operation), ALLOW)


class CreateAcls(Request[CreateAclsRequest_v1]):  # type: ignore[misc]  # aiokafka's protocol is untyped
    """All the given ACLs in one CreateAcls v1 request (Kafka 4 no longer takes v0)."""

    API_KEY = 30

    def __init__(self, acls: Iterable[Acl]) -> None:
        self._creations = [_binding(acl) for acl in acls]

    def build(self, request_struct_class: type[CreateAclsRequest_v1]) -> CreateAclsRequest_v1:
        return request_struct_class(self._creations)


class DescribeAllAcls(Request[DescribeAclsRequest_v1]):  # type: ignore[misc]  # aiokafka's protocol is untyped
    API_KEY = 29

    def build(self, request_struct_class: type[DescribeAclsRequest_v1]) -> DescribeAclsRequest_v1:
        return request_struct_class(ANY, None, ANY, None, None, ANY, ANY)


class DeleteAcl(Request[DeleteAclsRequest_v1]):  # type: ignore[misc]  # aiokafka's protocol is untyped
    """Exactly one ACL: its own binding as the filter."""

    API_KEY = 31

    def __init__(self, acl: Acl) -> None:
        self._filter = _binding(acl)

    def build(self, request_struct_class: type[DeleteAclsRequest_v1]) -> DeleteAclsRequest_v1:
        return request_struct_class([self._filter])


class AlterUserScramCredentialsResponse_v0(Response):  # type: ignore[misc]  # aiokafka's protocol is untyped
    API_KEY = 51
    API_VERSION = 0
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        (
            "results",
            CompactArray(
                ("user_name", CompactString("utf-8")),
                ("error_code", Int16),
                ("error_message", CompactString("utf-8")),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class AlterUserScramCredentialsRequest_v0(RequestStruct):  # type: ignore[misc]  # aiokafka's protocol is untyped
    FLEXIBLE_VERSION = True
    API_KEY = 51
    API_VERSION = 0
    RESPONSE_TYPE = AlterUserScramCredentialsResponse_v0
    SCHEMA = Schema(
        ("deletions", CompactArray(("name", CompactString("utf-8")), ("mechanism", Int8), ("tags", TaggedFields))),
        (
            "upsertions",
            CompactArray(
                ("name", CompactString("utf-8")),
                ("mechanism", Int8),
                ("iterations", Int32),
                ("salt", CompactBytes),
                ("salted_password", CompactBytes),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


def salted_password(password: str, salt: bytes, iterations: int = SCRAM_ITERATIONS) -> bytes:
    """SCRAM's SaltedPassword := Hi(password, salt, i), which is PBKDF2 with HMAC-SHA-512 (RFC 5802)."""
    return hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, iterations)


class UpsertScramUsers(Request[AlterUserScramCredentialsRequest_v0]):  # type: ignore[misc]  # aiokafka's protocol is untyped
    """Set the SCRAM-SHA-512 password of each user (created if new). The password never leaves this
    process: only a fresh salt and the salted password go to the broker, as the protocol wants."""

    API_KEY = 51

    def __init__(self, passwords: dict[str, str]) -> None:
        self._upsertions: list[tuple[str, int, int, bytes, bytes, dict[int, bytes]]] = []
        for user, password in sorted(passwords.items()):
            salt = secrets.token_bytes(32)
            self._upsertions.append((user, SCRAM_SHA_512, SCRAM_ITERATIONS, salt, salted_password(password, salt), {}))

    def build(
        self, request_struct_class: type[AlterUserScramCredentialsRequest_v0]
    ) -> AlterUserScramCredentialsRequest_v0:
        return request_struct_class([], self._upsertions, {})
