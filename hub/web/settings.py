"""What every staff or firm page's web server is told by its environment, whatever its prefix: its
session cookie, its login limit and where the counts live, the proxies and origins it trusts.

    class OfficeSettings(PageServerSettings):
        model_config = SettingsConfigDict(env_prefix="HUB_OFFICE_")

GET-APP's (HUB_GETAPP_*, with its limit of applications) and the offices' page's (HUB_OFFICE_*) are
such models; a value that is no rate limit, network or origin stops the start, not the first request.
"""

from __future__ import annotations

import ipaddress
from typing import Final
from urllib.parse import urlsplit

from limits import parse
from pydantic import Field, field_validator
from pydantic.config import JsonDict

from hub.configuration.base import CommaSeparated, HubSettings

DEFAULT_LOGIN_LIMIT: Final = "10/minute"
DEFAULT_RATE_LIMIT_STORAGE: Final = "async+memory://"
LIMIT: Final[JsonDict] = {"expected": "a rate limit such as 10/minute (N/second|minute|hour|day)"}


def rate_limit(value: str) -> str:
    """A `limits` string; a typo stops the start, not the first login."""
    try:
        parse(value)
    except ValueError as exc:
        raise ValueError(str(exc)) from None
    return value


class PageServerSettings(HubSettings):
    """A page's web server: the session cookie, logins per client, the proxies and origins it trusts.
    Concrete models add their `env_prefix` (and their own limits)."""

    insecure_cookie: bool = False
    """The session cookie without `Secure`: only for a plain-HTTP development server reached by a name
    other than localhost / 127.0.0.1."""
    login_limit: str = Field(DEFAULT_LOGIN_LIMIT, json_schema_extra=LIMIT)
    """Logins per client address (beyond: 429 with Retry-After)."""
    rate_limit_storage: str = Field(
        DEFAULT_RATE_LIMIT_STORAGE,
        json_schema_extra={"expected": "a limits storage URI (async+memory://, async+redis://…)"},
    )
    """Where the counts of the limits live: a shared store (async+redis://host) for several servers of the page."""
    trusted_proxies: CommaSeparated = Field(
        (), json_schema_extra={"expected": "IP addresses or networks, comma-separated"}
    )
    """Proxies whose X-Forwarded-For / -Proto is believed; default none."""
    allowed_origins: CommaSeparated = Field(
        (), json_schema_extra={"expected": "origins (https://host[:port]), comma-separated"}
    )
    """Origins, besides the page's own, that may send a state-changing request (a login among them)."""

    @property
    def secure_cookie(self) -> bool:
        return not self.insecure_cookie

    @field_validator("login_limit")
    @classmethod
    def _login_limit(cls, value: str) -> str:
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
