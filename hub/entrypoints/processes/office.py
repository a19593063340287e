"""`hub office` as a process: the offices' page and API over the core's store, and its operations
endpoints (/metrics, /health/live, /health/ready: ready when the store answers). It reads the store
only (officers' logins and sessions excepted) and needs no Kafka.

    office = OfficeProcess(settings, port=8791, ops_port=8786)
    await office.start()          # office.base_url: the page
    ...
    await office.stop()
"""

from __future__ import annotations

import logging
from typing import ClassVar

from sqlalchemy.ext.asyncio import AsyncEngine

from hub.configuration.settings import Settings
from hub.office.accounts import OfficerAccounts, OfficerSessions
from hub.office.app import create_office_app
from hub.office.settings import OfficeSettings
from hub.operations import tracing
from hub.runtime.http_server import LoopServer
from hub.runtime.ops_endpoints import Operations
from hub.store.engine import create_engine
from hub.store.schema import require_current

NAME = "office"

log = logging.getLogger(__name__)


class OfficeProcess:
    NAME: ClassVar[str] = NAME

    def __init__(
        self,
        settings: Settings,
        host: str = "127.0.0.1",
        port: int = 0,
        ops_port: int = 0,
        web: OfficeSettings | None = None,
    ) -> None:
        """`web` defaults to `OfficeSettings.from_env()`: a Secure cookie unless $HUB_OFFICE_INSECURE_COOKIE."""
        self.settings = settings
        self.engine: AsyncEngine = create_engine(settings.database_url)  # connects on first use
        self.ops = Operations(NAME, token=settings.ops_token.get_secret_value())
        self.ops.watch_store(self.engine)
        self.accounts = OfficerAccounts(self.engine)
        self.sessions = OfficerSessions(self.engine, self.accounts.passwords)
        self.web_settings = web or OfficeSettings.from_env()
        if not self.web_settings.secure_cookie:
            log.warning("office page: the session cookie is sent without Secure ($HUB_OFFICE_INSECURE_COOKIE)")
        self.app = create_office_app(self.engine, self.sessions, self.web_settings)
        tracing.instrument_app(self.app, tracing.provider(NAME))
        self._host, self._port, self._ops_port = host, port, ops_port
        self.web: LoopServer | None = None

    @property
    def base_url(self) -> str:
        assert self.web is not None, "start the office process first"
        return self.web.base_url

    async def start(self) -> None:
        await require_current(self.engine)  # only `hub db upgrade` changes the schema
        if await self.accounts.count() == 0:
            log.warning("no officer: nobody can log in (add one: hub officers add NAME --office CODE --role ROLE)")
        await self.ops.start(self.settings.ops_host, self._ops_port)
        # uvicorn's own proxy handling off, as GET-APP's: the app trusts only the configured proxies.
        self.web = await LoopServer(self.app, host=self._host, port=self._port, proxy_headers=False).start()
        log.info("offices' page at %s", self.web.base_url)

    async def stop(self) -> None:
        if self.web is not None:
            await self.web.stop()
            self.web = None
        await self.ops.stop()
        await self.engine.dispose()
