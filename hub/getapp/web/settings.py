"""What GET-APP's web server is told by its environment (HUB_GETAPP_*): the session cookie, its
guards, its proxies (hub/web/settings.py, as every page's), and its limit of applications. Every
variable, its default and meaning: docs/configuration.md."""

from __future__ import annotations

from typing import Final

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from hub.web.settings import LIMIT, PageServerSettings, rate_limit

# An application asks YKTS and may mail a firm: a person applies once, a script would not stop.
DEFAULT_APPLICATION_LIMIT: Final = "10/hour"


class WebSettings(PageServerSettings):
    """GET-APP's web server: the session cookie, the limits per client, the proxies and origins it trusts."""

    model_config = SettingsConfigDict(env_prefix="HUB_GETAPP_")

    application_limit: str = Field(DEFAULT_APPLICATION_LIMIT, json_schema_extra=LIMIT)
    """Applications per client address."""

    @field_validator("application_limit")
    @classmethod
    def _application_limit(cls, value: str) -> str:
        return rate_limit(value)
