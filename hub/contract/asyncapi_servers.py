"""The `servers` of the AsyncAPI document: the brokers a reader connects to.

FastStream names whatever broker the generating process was configured with (`127.0.0.1:9092` on
a developer's machine) as one server, even for a bootstrap list of several brokers. Two documents
are made from its output instead:

- the checked-in `schemas/asyncapi.yaml` (`documented`) is the contract of every deployment, so it
  names no deployment's broker: one server `kafka` whose host is the server variable `{bootstrap}`
  (AsyncAPI server variables), with the reserved example name `kafka.example:9092` as its default.
  It stays the same whatever `$HUB_KAFKA_BOOTSTRAP` says where `hub schemas write` runs, and a tool
  that substitutes the default reaches no real broker by mistake;
- the document a running process serves (`configured`: the operator console's `/asyncapi.yaml`
  and `/asyncapi`) names the brokers that process is configured with, one server per host of the
  bootstrap list (`kafka-1`, `kafka-2`, ...), `kafka-secure` when its Kafka clients use TLS.

Both keep FastStream's security requirement (SASL/SCRAM-SHA-512) on every server, and every channel
names every server (the hub's topics live on the one cluster).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Final

DOCUMENTED_BOOTSTRAP: Final = "kafka.example:9092"  # RFC 2606: "example" names no real host
VARIABLE: Final = "bootstrap"
_SASL: Final = "SASL/SCRAM-SHA-512"


def bootstrap_hosts(bootstrap: str) -> list[str]:
    """The `host:port` entries of a bootstrap list (`a:9092,b:9092`), as Kafka clients read it."""
    hosts = [host.strip() for host in bootstrap.split(",") if host.strip()]
    if not hosts:
        raise ValueError(f"no Kafka broker in the bootstrap list {bootstrap!r}")
    return hosts


def documented(document: Mapping[str, Any]) -> dict[str, Any]:
    """The checked-in document: one server, its host the variable every deployment fills in."""
    server = {
        "host": "{" + VARIABLE + "}",
        "protocol": "kafka",
        "description": (
            f"A broker of the deployment's Kafka cluster: each `host:port` of `$HUB_KAFKA_BOOTSTRAP`. {_SASL}; "
            "protocol `kafka-secure` (SASL_SSL) where `$HUB_KAFKA_CA_FILE` is set. The operator console's "
            "`/asyncapi.yaml` names the brokers its process is configured with."
        ),
        "variables": {
            VARIABLE: {
                "default": DOCUMENTED_BOOTSTRAP,
                "description": "`host:port` of a broker, one of `$HUB_KAFKA_BOOTSTRAP`.",
            }
        },
        **_security(document),
    }
    return _with_servers(document, {"kafka": server})


def configured(document: Mapping[str, Any], bootstrap: str, *, tls: bool) -> dict[str, Any]:
    """The document as a process configured with `bootstrap` serves it: one server per broker."""
    hosts = bootstrap_hosts(bootstrap)
    over = f"{_SASL} over TLS" if tls else f"{_SASL}, without TLS"
    servers = {
        f"kafka-{i}": {
            "host": host,
            "protocol": "kafka-secure" if tls else "kafka",
            "description": f"Broker {i} of {len(hosts)} of this process's `$HUB_KAFKA_BOOTSTRAP`; {over}.",
            **_security(document),
        }
        for i, host in enumerate(hosts, 1)
    }
    return _with_servers(document, servers)


def _security(document: Mapping[str, Any]) -> dict[str, Any]:
    """The security requirement FastStream wrote on its server(s): the same for every broker."""
    for server in (document.get("servers") or {}).values():
        if isinstance(server, Mapping) and server.get("security"):
            return {"security": copy.deepcopy(server["security"])}
    return {}


def _with_servers(document: Mapping[str, Any], servers: dict[str, dict[str, Any]]) -> dict[str, Any]:
    out = copy.deepcopy(dict(document))
    for channel in (out.get("channels") or {}).values():
        if isinstance(channel, dict) and "servers" in channel:
            channel["servers"] = [{"$ref": f"#/servers/{name}"} for name in servers]
    out["servers"] = servers
    return out
