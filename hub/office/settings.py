"""What the offices' web server is told by its environment (HUB_OFFICE_*): its session cookie, its login
limit, the proxies and origins it trusts, as every page's (hub/web/settings.py). Every variable, its
default and meaning: docs/configuration.md."""

from __future__ import annotations

from typing import Final

from pydantic_settings import SettingsConfigDict

from hub.web.settings import PageServerSettings

DEFAULT_PORT: Final = 8791
DEFAULT_OPS_PORT: Final = 8786


class OfficeSettings(PageServerSettings):
    """The offices' page and API: the session cookie, logins per client (each staff id also locks after 5
    failed logins in a row), the proxies and origins it trusts."""

    model_config = SettingsConfigDict(env_prefix="HUB_OFFICE_")
