"""One way to configure: a process refuses a bad variable at start by name, `hub config` shows what a
process runs with and never a secret, the defaults are those the hub always had, and
docs/configuration.md is the models' own."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from adapters.bilge.intake import BilgeIntakeSettings
from adapters.tobb.client import TobbSettings
from hub.configuration.base import ConfigurationError, load
from hub.configuration.settings import DATA_DIR, Settings
from hub.contract.topics import PROJECT_ROOT
from hub.entrypoints import checked_in
from hub.entrypoints.configuration_doc import render
from hub.entrypoints.process_settings import effective, processes
from hub.entrypoints.processes.console import ConsoleSettings
from hub.getapp.accounts.mail import SmtpSettings
from hub.getapp.web.settings import WebSettings
from hub.operations.logs import LogSettings

HUB = Path(sys.executable).parent / "hub"
OURS = ("HUB_", "TOBB_", "BILGE_", "YKTS_", "GETAPP_")


def _hub(*args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    """The real `hub` command, in an environment holding none of the hub's variables but `variables`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(OURS)} | variables
    return subprocess.run([str(HUB), *args], env=env, capture_output=True, text=True, timeout=120, check=False)


def test_a_bad_integer_stops_the_core_at_start_naming_the_variable() -> None:
    done = _hub("core", HUB_CONSUMER_MAX_ATTEMPTS="abc")
    assert done.returncode == 2
    assert "HUB_CONSUMER_MAX_ATTEMPTS: expected an integer ≥ 1, got 'abc'" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_a_bad_url_stops_an_adapter_at_start_naming_the_variable() -> None:
    done = _hub("tobb-adapter", TOBB_BASE_URL="karne.tobb.example", TOBB_API_KEY="k")
    assert done.returncode == 2
    assert "TOBB_BASE_URL: expected an http:// or https:// URL, got 'karne.tobb.example'" in done.stderr
    assert "Traceback" not in done.stderr


def test_every_bad_variable_is_said_at_once_one_line_each() -> None:
    done = _hub(
        "config", "--process", "bilge-adapter",
        BILGE_BASE_URL="https://bilge.gtb.example/ata/", BILGE_API_KEY="k",
        BILGE_TIMEOUT_S="fast", HUB_BATCH_MS="-1", HUB_KAFKA_BOOTSTRAP="broker-without-port",
    )  # fmt: skip
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert sorted(lines) == sorted(
        [
            "configuration: BILGE_TIMEOUT_S: expected a number > 0, got 'fast'",
            "configuration: HUB_BATCH_MS: expected an integer ≥ 0, got '-1'",
            "configuration: HUB_KAFKA_BOOTSTRAP: expected host:port of Kafka brokers, comma-separated, "
            "got 'broker-without-port'",
        ]
    )
    assert done.stdout == ""


def test_a_process_is_not_stopped_by_what_it_does_not_read() -> None:
    # The core reads no TOBB_* variable: a wrong one there is the TOBB adapter's business.
    assert load(Settings, {"TOBB_TIMEOUT_S": "soon"}).consumer_max_attempts == 5
    with pytest.raises(ConfigurationError, match="TOBB_TIMEOUT_S"):
        effective("tobb-adapter", {"TOBB_BASE_URL": "http://t", "TOBB_API_KEY": "k", "TOBB_TIMEOUT_S": "soon"})
    assert effective("core", {"TOBB_TIMEOUT_S": "soon"})


def test_incomplete_intake_tls_is_refused_by_name(tmp_path: Path) -> None:
    cert = tmp_path / "intake.pem"
    cert.write_text("-----BEGIN CERTIFICATE-----\n", encoding="ascii")
    with pytest.raises(ConfigurationError) as refused:
        load(BilgeIntakeSettings, {"BILGE_INTAKE_TLS_CERT": str(cert)})
    assert refused.value.problems == [
        "TLS configuration incomplete: set BILGE_INTAKE_TLS_KEY, BILGE_INTAKE_CLIENT_CA too"
    ]
    with pytest.raises(ConfigurationError, match="BILGE_INTAKE_CLIENT_CA: expected a path to an existing file"):
        load(BilgeIntakeSettings, {"BILGE_INTAKE_CLIENT_CA": str(tmp_path / "missing.pem")})


SECRETS = {
    "HUB_OPS_TOKEN": "ops-token-value-1",
    "TOBB_API_KEY": "tobb-key-value-2",
    "BILGE_API_KEY": "bilge-key-value-3",
    "YKTS_API_KEY": "ykts-key-value-4",
    "GETAPP_SMTP_PASSWORD": "smtp-password-value-5",
    "HUB_OPERATOR_PASSWORD": "operator-password-value-6",
    "BILGE_SIM_API_KEY": "bilge-sim-key-value-7",
    "TOBB_SIM_API_KEY": "tobb-sim-key-value-8",
    "YKTS_SIM_API_KEY": "ykts-sim-key-value-9",
    "HUB_KAFKA_PASSWORD_HUB_CORE": "kafka-password-value-10",
    "HUB_KAFKA_PASSWORD_OPERATORS": "kafka-password-value-11",
}


def test_hub_config_masks_every_secret() -> None:
    done = _hub(
        "config", "--all",
        TOBB_BASE_URL="https://karne.tobb.example/api/", BILGE_BASE_URL="https://bilge.gtb.example/ata/",
        YKTS_BASE_URL="https://ykts.gtb.example/api/", GETAPP_SMTP_HOST="smtp.example.gov.tr",
        GETAPP_SMTP_USERNAME="getapp", HUB_CONSUMER_MAX_ATTEMPTS="7", **SECRETS,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for name, value in SECRETS.items():
        assert value not in done.stdout + done.stderr, name
        assert any(line.split()[:3] == [name, "********", "[environment]"] for line in done.stdout.splitlines()), name
    # What is not secret is shown, with where it came from.
    assert any(line.split() == ["HUB_CONSUMER_MAX_ATTEMPTS", "7", "[environment]"] for line in done.stdout.splitlines())
    assert any(line.split() == ["HUB_BATCH_RECORDS", "500", "[default]"] for line in done.stdout.splitlines())
    assert any(line.split()[:2] == ["GETAPP_SMTP_USERNAME", "getapp"] for line in done.stdout.splitlines())


def test_the_defaults_are_those_the_hub_always_had() -> None:
    hub = load(Settings, {})
    assert (
        hub.kafka_bootstrap, hub.database_url, hub.consumer_max_attempts, hub.relay_poll_s, hub.deadline_warn_days,
        hub.deadline_check_s, hub.bilge_cutover, hub.ops_host, hub.batch_records, hub.batch_ms, hub.clock_skew_s,
    ) == (
        "127.0.0.1:9092", f"sqlite+aiosqlite:///{DATA_DIR / 'hub.db'}", 5, 0.5, 30,
        3600.0, date(2021, 6, 2), "127.0.0.1", 500, 10, 300.0,
    )  # fmt: skip
    tobb = load(TobbSettings, {"TOBB_BASE_URL": "http://t", "TOBB_API_KEY": "k"})
    assert (
        tobb.timeout_s, tobb.max_attempts, tobb.backoff_initial_s, tobb.backoff_max_s, tobb.api_key_header,
        tobb.breaker_failures, tobb.breaker_open_s, tobb.probe_every_s,
    ) == (5.0, 5, 0.2, 5.0, "X-Api-Key", 5, 30.0, 15.0)  # fmt: skip
    web = load(WebSettings, {})
    assert (web.secure_cookie, web.login_limit, web.application_limit, web.rate_limit_storage) == (
        True, "10/minute", "10/hour", "async+memory://",
    )  # fmt: skip
    assert (web.trusted_proxies, web.allowed_origins) == ((), ())
    smtp = load(SmtpSettings, {})
    assert (smtp.host, smtp.port, smtp.sender, smtp.use_tls, smtp.username, smtp.password, smtp.start_tls) == (
        "127.0.0.1", 25, "GET-APP <getapp-noreply@localhost>", False, None, None, None,
    )  # fmt: skip
    assert smtp.timeout_s == 30.0 and load(SmtpSettings, {"GETAPP_SMTP_TLS": "1"}).port == 465
    intake = load(BilgeIntakeSettings, {})
    assert (intake.send_timeout_s, intake.retry_after_s, intake.server_tls()) == (10.0, 30, None)
    assert load(ConsoleSettings, {}).login_limit == "10/minute"
    assert load(LogSettings, {}).format is None and load(LogSettings, {"HUB_LOG_FORMAT": "TEXT"}).format == "text"


def test_an_empty_variable_keeps_the_default() -> None:
    assert load(Settings, {"HUB_BATCH_RECORDS": "", "HUB_OPS_HOST": ""}).batch_records == 500


def test_the_configuration_document_is_the_models_own() -> None:
    text = render()
    assert (PROJECT_ROOT / "docs" / "configuration.md").read_text(encoding="utf-8") == text
    assert "| `HUB_CONSUMER_MAX_ATTEMPTS` | an integer ≥ 1 | 5 | Handling attempts" in text
    for process in processes():
        assert f"| `{process}` |" in text


def test_schemas_check_fails_when_the_document_and_a_field_disagree(tmp_path: Path) -> None:
    checked_in.write(tmp_path)
    assert checked_in.drift(tmp_path) == []
    document = tmp_path / "docs" / "configuration.md"
    row = "| `HUB_CONSUMER_MAX_ATTEMPTS` | an integer ≥ 1 | 5 |"
    document.write_text(document.read_text(encoding="utf-8").replace(row, row.replace("| 5 |", "| 6 |")), "utf-8")
    assert checked_in.drift(tmp_path) == ["docs/configuration.md"]
