"""What each process of the hub reads from its environment: the settings models it is made of.

A process checks all of its models before it starts (`problems`), so that every bad variable is said
at once, and a model it does not use cannot stop it (`hub core` starts whatever TOBB_TIMEOUT_S says).
`hub config` shows these (`effective`), docs/configuration.md describes them (hub/entrypoints/configuration_doc.py).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from hub.configuration.base import MASK, ConfigurationError, HubSettings, load, shown_value, variable


@dataclass(frozen=True)
class Part:
    """A model a process reads; with `only_if`, only when that variable is set (else `hub run`
    starts a simulator or a mail catcher in the system's place)."""

    model: type[HubSettings]
    only_if: str | None = None


@dataclass(frozen=True)
class Process:
    name: str
    command: str
    parts: tuple[Part, ...]
    principal: str | None = None  # its Kafka principal, whose password it looks up at start


@dataclass(frozen=True)
class Row:
    variable: str
    value: str
    source: str


@cache
def processes() -> dict[str, Process]:
    """Every process, by the name `hub config --process` takes (imported late: every model's module)."""
    from adapters.bilge.client import BilgeSettings
    from adapters.bilge.intake import BilgeIntakeSettings
    from adapters.bilge.simulator import BilgeSimulatorSettings
    from adapters.tobb.client import TobbSettings
    from adapters.tobb.simulator import TobbSimulatorSettings
    from adapters.ykts.client import YktsSettings
    from adapters.ykts.simulator import YktsSimulatorSettings
    from hub.configuration.settings import Settings, SigningSettings
    from hub.devtools.kafka.broker_security import BrokerTlsSettings
    from hub.devtools.settings import DevelopmentSettings
    from hub.entrypoints.cli_staff import OperatorToolSettings
    from hub.entrypoints.processes.bilge import NAME as BILGE_ADAPTER
    from hub.entrypoints.processes.console import ConsoleSettings
    from hub.entrypoints.processes.getapp import NAME as GETAPP
    from hub.entrypoints.processes.tobb import NAME as TOBB_ADAPTER
    from hub.entrypoints.processes.ykts import NAME as YKTS_ADAPTER
    from hub.getapp.accounts.mail import SmtpSettings
    from hub.getapp.web.settings import WebSettings
    from hub.office.settings import OfficeSettings
    from hub.operations.logs import LogSettings
    from hub.runtime.kafka.security import OPERATORS, KafkaClientSettings
    from hub.service.core import CONSUMER

    kafka = (Part(Settings), Part(KafkaClientSettings), Part(SigningSettings), Part(LogSettings))
    every = [
        Process("core", "hub core", kafka, CONSUMER),
        Process("tobb-adapter", "hub tobb-adapter", (*kafka, Part(TobbSettings)), TOBB_ADAPTER),
        Process(
            "bilge-adapter",
            "hub bilge-adapter",
            (*kafka, Part(BilgeSettings), Part(BilgeIntakeSettings)),
            BILGE_ADAPTER,
        ),
        Process("ykts-adapter", "hub ykts-adapter", (*kafka, Part(YktsSettings)), YKTS_ADAPTER),
        Process("getapp", "hub getapp", (*kafka, Part(WebSettings), Part(SmtpSettings)), GETAPP),
        Process("console", "hub console", (*kafka, Part(ConsoleSettings)), OPERATORS),
        Process("office", "hub office", (Part(Settings), Part(LogSettings), Part(OfficeSettings))),
        Process(
            "run",
            "hub run: its own broker and store, whatever HUB_KAFKA_BOOTSTRAP and HUB_DATABASE_URL say",
            (
                *kafka,
                Part(TobbSettings, "TOBB_BASE_URL"),
                Part(BilgeSettings, "BILGE_BASE_URL"),
                Part(YktsSettings, "YKTS_BASE_URL"),
                Part(BilgeIntakeSettings),
                Part(BilgeSimulatorSettings),
                Part(WebSettings),
                Part(SmtpSettings, "GETAPP_SMTP_HOST"),
                Part(ConsoleSettings),
                Part(OfficeSettings),
            ),
        ),
        Process("tobb-simulator", "hub tobb-simulator", (Part(TobbSimulatorSettings),)),
        Process("bilge-simulator", "hub bilge-simulator", (Part(BilgeSimulatorSettings),)),
        Process("ykts-simulator", "hub ykts-simulator", (Part(YktsSimulatorSettings),)),
        Process("kafka", "hub kafka start", (Part(KafkaClientSettings), Part(BrokerTlsSettings))),
        Process(
            "tools",
            "hub dlq, operators, officers, senders, topics, reconcile, db",
            (Part(Settings), Part(KafkaClientSettings), Part(SigningSettings), Part(OperatorToolSettings)),
            OPERATORS,
        ),
        Process("development", "hub/devtools (tests, benchmark)", (Part(DevelopmentSettings),)),
    ]
    return {p.name: p for p in every}


def _used(part: Part, environ: Mapping[str, str]) -> bool:
    return part.only_if is None or bool(environ.get(part.only_if, "").strip())


def problems(name: str, environ: Mapping[str, str] | None = None) -> list[str]:
    """Every bad variable of process `name`, one line each; none: it may start."""
    env = os.environ if environ is None else environ
    found: list[str] = []
    for part in processes()[name].parts:
        if not _used(part, env):
            continue
        try:
            load(part.model, env)
        except ConfigurationError as exc:
            found += [p for p in exc.problems if p not in found]
    return found


def effective(name: str, environ: Mapping[str, str] | None = None) -> list[Row]:
    """Each variable of process `name`, its value (secrets masked) and where it came from. Raises
    ConfigurationError like `problems`; looks nothing up that has side effects (no file is made)."""
    env = os.environ if environ is None else environ
    if found := problems(name, env):
        raise ConfigurationError(found)
    process = processes()[name]
    rows: list[Row] = []
    seen: set[str] = set()
    for part in process.parts:
        model = part.model
        if not _used(part, env):
            prefix = str(model.model_config.get("env_prefix", ""))
            rows.append(Row(f"{prefix}*", "(not used: hub run starts a stand-in)", f"{part.only_if} unset"))
            continue
        settings = load(model, env)
        for field in model.model_fields:
            var = variable(model, field)
            if var in seen:
                continue
            seen.add(var)
            source = "environment" if field in settings.model_fields_set else "default"
            value = shown_value(getattr(settings, field))
            if var == "HUB_OPS_TOKEN" and source == "default":
                value = "(read at start from HUB_OPS_TOKEN_FILE, else .data/ops-token)"
            rows.append(Row(var, value, source))
    if process.principal is not None:
        from hub.runtime.kafka.security import KafkaSecurity, password_variable

        var = password_variable(process.principal)
        if env.get(var):
            rows.append(Row(var, MASK, "environment"))
        else:
            where = KafkaSecurity.from_env().secrets_dir / process.principal
            rows.append(Row(var, f"(read at start from {where})", "secrets file"))
    return rows
