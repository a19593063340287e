"""The GET-APP process: the tracking read model fed from the hub's events, firm accounts checked in
YKTS over Kafka, the mail relay, and the web page with its API."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from hub.configuration.settings import Settings
from hub.contract.topic_names import YKTS_RESULTS
from hub.contract.topics import TopicCatalog
from hub.getapp.accounts.mail import MailRelay, SmtpSettings
from hub.getapp.accounts.service import AccountService, ykts_request_publisher
from hub.getapp.tracking.consumer import subscribe_tcgbs, subscribe_tracking
from hub.getapp.tracking.projection import TrackingProjection
from hub.getapp.tracking.tcgb_projection import TcgbProjection
from hub.getapp.web.app import create_getapp_app
from hub.getapp.web.settings import WebSettings
from hub.operations import tracing
from hub.runtime.http_server import LoopServer
from hub.runtime.process import KafkaProcess
from hub.store.engine import create_engine
from hub.store.schema import require_current
from hub.web.passwords import Passwords

NAME = "getapp"

log = logging.getLogger(__name__)


class GetAppProcess(KafkaProcess):
    NAME = NAME

    def __init__(
        self,
        settings: Settings,
        smtp: SmtpSettings,
        topics: TopicCatalog | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        web: WebSettings | None = None,
        ops_port: int = 0,
    ) -> None:
        """`web` defaults to `WebSettings.from_env()`: a Secure cookie unless $HUB_GETAPP_INSECURE_COOKIE says not."""
        super().__init__(settings, topics, ops_port)
        self.engine: AsyncEngine = create_engine(settings.database_url)  # connects on first use
        self.ops.watch_store(self.engine)
        passwords = Passwords()
        self.mail = MailRelay(self.engine, smtp, poll_s=2.0, passwords=passwords)
        self.accounts = AccountService(
            self.engine,
            ykts_request_publisher(self.publisher()),
            passwords=passwords,
            mail_queued=self.mail.wake,
        )
        self.projection = TrackingProjection(self.engine)
        subscribe_tracking(self.broker, self.catalog, self.projection, metrics=self.metrics, tracer=self.tracer)
        self.tcgbs = TcgbProjection(self.engine)  # A2: every import and export TCGB, a poll at a time
        subscribe_tcgbs(self.broker, self.catalog, self.tcgbs, metrics=self.metrics, tracer=self.tracer)
        self.subscribe(YKTS_RESULTS, self._on_ykts_answer)
        self.document_publications()
        self.web_settings = web or WebSettings.from_env()
        if not self.web_settings.secure_cookie:
            log.warning("GET-APP: the session cookie is sent without Secure ($HUB_GETAPP_INSECURE_COOKIE)")
        self._app = create_getapp_app(self.accounts, self.engine, web=self.web_settings)
        tracing.instrument_app(self._app, self.tracer_provider)  # each request a server span, when tracing
        self._host, self._port = host, port
        self.web: LoopServer | None = None

    async def _on_ykts_answer(self, message: Any) -> None:
        await self.accounts.handle_ykts_answer(message)

    async def start(self) -> None:
        await require_current(self.engine)  # only `hub db upgrade` changes the schema
        await self.start_serving()
        await self.mail.start()
        # uvicorn's own proxy handling is off: it would believe X-Forwarded-For from 127.0.0.1, so any
        # local program could pick the address it is counted against; the app trusts only configured proxies.
        self.web = await LoopServer(self._app, host=self._host, port=self._port, proxy_headers=False).start()

    async def stop(self) -> None:
        if self.web is not None:
            await self.web.stop()
        await self.mail.stop()
        await self.stop_serving()
        await self.engine.dispose()
