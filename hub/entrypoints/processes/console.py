"""The operator console as a process: its sampler and its web server, on the core's store (dead-letter
decisions, reconciliation runs, the console's operators and sessions) and Kafka (hub.deadletter).

    console = ConsoleProcess(settings, stack.ops_targets, port=8780)
    await console.start()          # console.base_url: the page
    ...
    await console.stop()
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.configuration.base import HubSettings
from hub.configuration.settings import Settings
from hub.contract.schemas import ASYNCAPI
from hub.operations.console.aggregator import Aggregator
from hub.operations.console.app import create_console_app
from hub.operations.console.auth import DEFAULT_LOGIN_LIMIT
from hub.operations.console.operators import OperatorAccounts
from hub.operations.console.sessions import Sessions
from hub.runtime.http_server import LoopServer
from hub.store.engine import create_engine
from hub.store.schema import require_current
from hub.web.settings import LIMIT, rate_limit

log = logging.getLogger(__name__)

NAME = "console"


class ConsoleSettings(HubSettings):
    """The operator console's own settings (it also reads the hub's: store, Kafka, operations token)."""

    model_config = SettingsConfigDict(env_prefix="HUB_CONSOLE_")

    login_limit: str = Field(DEFAULT_LOGIN_LIMIT, json_schema_extra=LIMIT)
    """Console logins per client address (beyond: 429 with Retry-After)."""

    @field_validator("login_limit")
    @classmethod
    def _limit(cls, value: str) -> str:
        return rate_limit(value)


class ConsoleProcess:
    NAME = NAME

    def __init__(
        self,
        settings: Settings,
        targets: Callable[[], dict[str, str]],
        host: str = "127.0.0.1",
        port: int = 0,
        sample_s: float = 2.0,
        *,
        asyncapi_yaml_path: Path = ASYNCAPI,
        login_limit: str | None = None,
    ) -> None:
        """`login_limit`: logins per client address (a `limits` string); by default
        `$HUB_CONSOLE_LOGIN_LIMIT`, else 10 a minute."""
        self.settings = settings
        self.engine: AsyncEngine = create_engine(settings.database_url)  # connects on first use
        self.aggregator = Aggregator(targets, sample_s=sample_s)
        self.operators = OperatorAccounts(self.engine)
        self.sessions = Sessions(self.engine, self.operators.passwords)
        self.app = create_console_app(
            self.aggregator,
            settings.kafka_bootstrap,
            self.engine,
            self.sessions,
            asyncapi_yaml_path=asyncapi_yaml_path,
            ops_token=settings.ops_token.get_secret_value(),
            login_limit=login_limit or ConsoleSettings.from_env().login_limit,
        )
        self._host, self._port = host, port
        self._server: LoopServer | None = None
        self._sampler: asyncio.Task[None] | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the console first"
        return self._server.base_url

    async def start(self) -> None:
        await require_current(self.engine)  # only `hub db upgrade` changes the schema
        if await self.operators.count() == 0:
            log.warning("no console operator: nobody can log in (add one: hub operators add NAME --role act)")
        self._sampler = asyncio.create_task(self.aggregator.run(), name="console-sampler")
        self._server = await LoopServer(self.app, host=self._host, port=self._port).start()
        log.info("operator console at %s, watching %s", self.base_url, ", ".join(self.aggregator.targets()))

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.stop()
            self._server = None
        if self._sampler is not None:
            self._sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sampler
            self._sampler = None
        await self.aggregator.aclose()
        await self.engine.dispose()
