"""What GET-APP's web server is told by its environment (HUB_GETAPP_*): the session cookie, its
guards, its proxies. Every variable, its default and meaning: docs/configuration.md."""

from __future__ import annotations

import ipaddress
from typing import Final
from urllib.parse import urlsplit

from limits import parse
from pydantic import Field, field_validator
from pydantic.config import JsonDict
from pydantic_settings import SettingsConfigDict

from hub.configuration.base import CommaSeparated, HubSettings

DEFAULT_LOGIN_LIMIT: Final = "10/minute"
# An application asks YKTS and may mail a firm: a person applies once, a script would not stop.
DEFAULT_APPLICATION_LIMIT: Final = "10/hour"
DEFAULT_RATE_LIMIT_STORAGE: Final = "async+memory://"
LIMIT: Final[JsonDict] = {"expected": "a rate limit such as 10/minute (N/second|minute|hour|day)"}


def rate_limit(value: str) -> str:
    """A `limits` string; a typo stops the start, not the first login."""
    try:
        parse(value)
    except ValueError as exc:
        raise ValueError(str(exc)) from None
    return value


class WebSettings(HubSettings):
    """GET-APP's web server: the session cookie, the limits per client, the proxies and origins it trusts."""

    model_config = SettingsConfigDict(env_prefix="HUB_GETAPP_")

    insecure_cookie: bool = False
    """The session cookie without `Secure`: only for a plain-HTTP development server reached by a
    name other than localhost / 127.0.0.1."""
    login_limit: str = Field(DEFAULT_LOGIN_LIMIT, json_schema_extra=LIMIT)
    """Logins per client address (beyond: 429 with Retry-After)."""
    application_limit: str = Field(DEFAULT_APPLICATION_LIMIT, json_schema_extra=LIMIT)
    """Applications per client address."""
    rate_limit_storage: str = Field(
        DEFAULT_RATE_LIMIT_STORAGE,
        json_schema_extra={"expected": "a limits storage URI (async+memory://, async+redis://…)"},
    )
    """Where the counts live: a shared store (async+redis://host) for several GET-APP servers."""
    trusted_proxies: CommaSeparated = Field(
        (), json_schema_extra={"expected": "IP addresses or networks, comma-separated"}
    )
    """Proxies whose X-Forwarded-For / -Proto is believed; default none."""
    allowed_origins: CommaSeparated = Field(
        (), json_schema_extra={"expected": "origins (https://host[:port]), comma-separated"}
    )
    """Origins, besides the page's own, that may send a state-changing request (e.g. https://getapp.ticaret.gov.tr)."""

    @property
    def secure_cookie(self) -> bool:
        return not self.insecure_cookie

    @field_validator("login_limit", "application_limit")
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
