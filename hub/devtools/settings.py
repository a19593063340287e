"""What the development tools read from the environment: never needed in production."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from hub.configuration.base import CommaSeparated, HubSettings


class DevelopmentSettings(HubSettings):
    """The development PKI of the BİLGE intake (.data/pki) and the throw-away PostgreSQL of the tests
    and the benchmark."""

    model_config = SettingsConfigDict(env_prefix="HUB_")

    dev_pki_server_names: CommaSeparated = Field((), json_schema_extra={"expected": "DNS names, comma-separated"})
    """More names for the development intake certificate, besides localhost and 127.0.0.1 (made on
    first start: delete .data/pki to remake it)."""
    pg_bin: Path | None = Field(
        None, json_schema_extra={"expected": "a directory", "default_shown": "the newest /usr/lib/postgresql/*/bin"}
    )
    """Where PostgreSQL's initdb and postgres are."""
