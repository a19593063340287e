"""What GET-APP's web server is told by its environment: the session cookie, its guards, its proxies.

HUB_GETAPP_INSECURE_COOKIE=1          the session cookie without `Secure` (a plain-HTTP dev server
                                      reached by a name other than localhost / 127.0.0.1); default off
HUB_GETAPP_LOGIN_LIMIT=10/minute      logins per client (limits' notation: "N/second|minute|hour|day")
HUB_GETAPP_APPLICATION_LIMIT=10/hour  applications per client
HUB_GETAPP_RATE_LIMIT_STORAGE=async+memory://   where the counts live (limits' storage URI; a
                                      shared one, e.g. async+redis://host, for several GET-APP servers)
HUB_GETAPP_TRUSTED_PROXIES=           addresses or networks whose X-Forwarded-For / -Proto is
                                      believed (comma-separated); default none
HUB_GETAPP_ALLOWED_ORIGINS=           origins, besides the page's own, that may send a state-changing
                                      request (comma-separated, e.g. https://getapp.ticaret.gov.tr)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from limits import parse

DEFAULT_LOGIN_LIMIT: Final = "10/minute"
# An application asks YKTS and may mail a firm: a person applies once, a script would not stop.
DEFAULT_APPLICATION_LIMIT: Final = "10/hour"
DEFAULT_RATE_LIMIT_STORAGE: Final = "async+memory://"

_YES: Final = frozenset({"1", "true", "yes", "on"})


def _listed(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())


@dataclass(frozen=True)
class WebSettings:
    secure_cookie: bool = True
    login_limit: str = DEFAULT_LOGIN_LIMIT
    application_limit: str = DEFAULT_APPLICATION_LIMIT
    rate_limit_storage: str = DEFAULT_RATE_LIMIT_STORAGE
    trusted_proxies: tuple[str, ...] = ()
    allowed_origins: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for limit in (self.login_limit, self.application_limit):
            parse(limit)  # a typo in a limit stops the start, not the first login

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> WebSettings:
        env = os.environ if environ is None else environ
        return cls(
            secure_cookie=env.get("HUB_GETAPP_INSECURE_COOKIE", "").strip().lower() not in _YES,
            login_limit=env.get("HUB_GETAPP_LOGIN_LIMIT", DEFAULT_LOGIN_LIMIT),
            application_limit=env.get("HUB_GETAPP_APPLICATION_LIMIT", DEFAULT_APPLICATION_LIMIT),
            rate_limit_storage=env.get("HUB_GETAPP_RATE_LIMIT_STORAGE", DEFAULT_RATE_LIMIT_STORAGE),
            trusted_proxies=_listed(env.get("HUB_GETAPP_TRUSTED_PROXIES", "")),
            allowed_origins=_listed(env.get("HUB_GETAPP_ALLOWED_ORIGINS", "")),
        )
