"""What the offices' web server is told by its environment (HUB_OFFICE_*): its session cookie, its login
limit, the proxies and origins it trusts. Every variable, its default and meaning: docs/configuration.md."""

from __future__ import annotations

import ipaddress
from typing import Final
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from hub.configuration.base import CommaSeparated, HubSettings
from hub.getapp.web.settings import DEFAULT_RATE_LIMIT_STORAGE, LIMIT, rate_limit

DEFAULT_LOGIN_LIMIT: Final = "10/minute"
DEFAULT_PORT: Final = 8791
DEFAULT_OPS_PORT: Final = 8786


class OfficeSettings(HubSettings):
    """The offices' page and API: the session cookie, logins per client, the proxies and origins it trusts."""

    model_config = SettingsConfigDict(env_prefix="HUB_OFFICE_")

    insecure_cookie: bool = False
    """The session cookie without `Secure`: only for a plain-HTTP development server reached by a name
    other than localhost / 127.0.0.1."""
    login_limit: str = Field(DEFAULT_LOGIN_LIMIT, json_schema_extra=LIMIT)
    """Logins per client address (beyond: 429 with Retry-After); each name also locks after 5 failures."""
    rate_limit_storage: str = Field(
        DEFAULT_RATE_LIMIT_STORAGE,
        json_schema_extra={"expected": "a limits storage URI (async+memory://, async+redis://…)"},
    )
    """Where the login counts live: a shared store (async+redis://host) for several office servers."""
    trusted_proxies: CommaSeparated = Field(
        (), json_schema_extra={"expected": "IP addresses or networks, comma-separated"}
    )
    """Proxies whose X-Forwarded-For / -Proto is believed; default none."""
    allowed_origins: CommaSeparated = Field(
        (), json_schema_extra={"expected": "origins (https://host[:port]), comma-separated"}
    )
    """Origins, besides the page's own, that may send a state-changing request (log in, log out)."""

    @property
    def secure_cookie(self) -> bool:
        return not self.insecure_cookie

    @field_validator("login_limit")
    @classmethod
    def _limit(cls, value: str) -> str:
        return rate_limit(value)

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for each in value:
            ipaddress.ip_network(each, strict=False)
        return value

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for each in value:
            parts = urlsplit(each)
            if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
                raise ValueError(f"{each!r} is no origin")
        return value
