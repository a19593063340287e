"""The BİLGE simulator delivering the life of import and export TCGBs to the hub's intake (A2): the
status batches of :mod:`adapters.bilge.tcgb_life`, each POSTed as BİLGE does (its client certificate
to an ``https://`` intake, its signature in X-Signature, ``X-Belge-No: <IslemNo>``).

``POST /_sim/push-tcgb-life``
    JSON ``{"target_url": "...", "count": 200, "seed": 0, "hours": 24, "until_now": true,
    "firms": [VKN...], "first_sequence": 1, "batch_size": 1000, "headers": {...}}``: the life of
    ``count`` TCGBs registered over the last ``hours``, at once, as far as each has come by now (all
    of it with ``until_now`` false), in documents of ``batch_size`` records. Answers ``{"documents",
    "stages", "statuses": [...]}`` with the intake's status per document, or 502 if unreachable.
``POST /_sim/tcgb-feed``
    JSON ``{"target_url": "...", "per_hour": 300, "seed": 1, "firms": [...], "first_sequence":
    500000, "every_s": 5, "headers": {...}}``: from now on, TCGBs are registered at ``per_hour`` for a
    day, and every ``every_s`` seconds BİLGE delivers the stages reached since the last delivery, in
    real time (a red examination takes hours, as it does): TCGBs flow. Replaces a running feed. A
    delivery the intake does not take (not 202, or unreachable) is sent again at the next one.
``GET /_sim/tcgb-feed``, ``DELETE /_sim/tcgb-feed``
    ``{"running", "documents", "stages", "failures", "last_status"}``; or stop it. A feed stops with
    the simulator (uvicorn's loop cancels it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from heapq import heappop, heappush
from itertools import count
from typing import Any

import httpx
from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from adapters.bilge.tcgb_life import (
    MAX_RECORDS_PER_DOCUMENT,
    TURKIYE_TIME,
    status_documents,
    tcgb_lives,
    tcgb_stage_events,
)
from adapters.simulation import XML_MEDIA_TYPE
from hub.contract.signing import HTTP_SIGNATURE_HEADER, SigningKey, sign
from hub.domain.bilge import TcgbStageReached

__all__ = ["TcgbFeedRequest", "TcgbLifePush", "add_tcgb_life_routes"]

log = logging.getLogger(__name__)

_TIMEOUT_S = 30.0


class TcgbLifePush(BaseModel):
    """``POST /_sim/push-tcgb-life``: the life of how many TCGBs to deliver at once, and where."""

    model_config = ConfigDict(extra="forbid")

    target_url: str = Field(description="The hub's intake of BİLGE's documents.")
    count: int = Field(default=200, ge=1, le=100_000, description="TCGBs.")
    seed: int = Field(default=0, description="The same seed, the same TCGBs (and stages).")
    hours: float = Field(default=24.0, gt=0, le=24 * 366, description="Registered over the last this many hours.")
    until_now: bool = Field(default=True, description="Leave out the stages not yet reached by now.")
    firms: list[str] = Field(default_factory=list, description="VKNs of the trading firms, busiest first.")
    first_sequence: int = Field(default=1, ge=1, le=900_000, description="Of the TCGB numbers' sequences.")
    batch_size: int = Field(default=1000, ge=1, le=MAX_RECORDS_PER_DOCUMENT, description="Records per document.")
    headers: dict[str, str] = Field(default_factory=dict, description="Extra headers.")


class TcgbFeedRequest(BaseModel):
    """``POST /_sim/tcgb-feed``: TCGBs registered from now on, their stages delivered as reached."""

    model_config = ConfigDict(extra="forbid")

    target_url: str = Field(description="The hub's intake of BİLGE's documents.")
    per_hour: int = Field(default=300, ge=1, le=100_000, description="TCGBs registered an hour.")
    seed: int = Field(default=1, description="The same seed, the same TCGBs.")
    firms: list[str] = Field(default_factory=list, description="VKNs of the trading firms, busiest first.")
    first_sequence: int = Field(default=500_000, ge=1, le=900_000, description="Of the TCGB numbers' sequences.")
    every_s: float = Field(default=5.0, ge=0.05, le=3600, description="Seconds between deliveries.")
    headers: dict[str, str] = Field(default_factory=dict, description="Extra headers.")


@dataclass
class _Feed:
    task: asyncio.Task[None] | None = None
    documents: int = 0
    stages: int = 0
    failures: int = 0
    last_status: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "running": self.task is not None and not self.task.done(),
            "documents": self.documents,
            "stages": self.stages,
            "failures": self.failures,
            "last_status": self.last_status,
        }


async def _deliver(
    http: httpx.AsyncClient,
    url: str,
    stages: Sequence[TcgbStageReached],
    key: SigningKey | None,
    extra: dict[str, str],
    batch_size: int = 1000,
) -> list[int]:
    """POST ``stages`` as status batches; the intake's status of each, in order (stops at the first not 202)."""
    statuses = []
    for transaction_id, body in status_documents(stages, prefix=f"SIM-{uuid.uuid4().hex[:12]}", batch_size=batch_size):
        headers = {"Content-Type": XML_MEDIA_TYPE, "X-Belge-No": transaction_id}
        if key is not None:
            headers[HTTP_SIGNATURE_HEADER] = sign(body, key)
        headers.update(extra)
        statuses.append((await http.post(url, content=body, headers=headers)).status_code)
        if statuses[-1] != 202:
            break
    return statuses


def add_tcgb_life_routes(app: FastAPI, push_tls: ssl.SSLContext | bool, signing_key: SigningKey | None) -> None:
    """The routes above, on the simulator's app; ``push_tls``: what it presents to (and checks of) an
    ``https://`` intake; ``signing_key``: BİLGE's, or None to push unsigned."""
    feeds: dict[str, _Feed] = {}

    def client() -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=_TIMEOUT_S, follow_redirects=False, verify=push_tls)

    @app.post("/_sim/push-tcgb-life")
    async def push_tcgb_life(push: TcgbLifePush) -> Response:
        now = datetime.now(TURKIYE_TIME)
        span = timedelta(hours=push.hours)
        stages = tcgb_stage_events(
            push.count, seed=push.seed, start=now - span, span=span, firms=push.firms or None,
            until=now if push.until_now else None, first_sequence=push.first_sequence,
        )  # fmt: skip
        try:
            async with client() as http:
                statuses = await _deliver(http, push.target_url, stages, signing_key, push.headers, push.batch_size)
        except httpx.HTTPError as exc:
            return JSONResponse({"error": f"{type(exc).__name__}: {exc}"}, status_code=502)
        return JSONResponse({"documents": len(statuses), "stages": len(stages), "statuses": statuses})

    async def run(feed: TcgbFeedRequest, state: _Feed) -> None:
        # A day of TCGBs at `per_hour`, drawn as their registration comes (a fast feed's day is millions
        # of stages: never all at once, the simulator's loop would stall).
        lives = tcgb_lives(
            feed.per_hour * 24, seed=feed.seed, start=datetime.now(TURKIYE_TIME), span=timedelta(days=1),
            firms=feed.firms or None, first_sequence=feed.first_sequence,
        )  # fmt: skip
        upcoming = next(lives, None)
        pending: list[tuple[datetime, int, TcgbStageReached]] = []  # stages of registered TCGBs, by time
        order = count()
        unsent: list[TcgbStageReached] = []
        async with client() as http:
            while upcoming is not None or pending or unsent:
                await asyncio.sleep(feed.every_s)
                now = datetime.now(TURKIYE_TIME)
                while upcoming is not None and upcoming[0].reached_at <= now:
                    for stage in upcoming:
                        heappush(pending, (stage.reached_at, next(order), stage))
                    upcoming = next(lives, None)
                while pending and pending[0][0] <= now:
                    unsent.append(heappop(pending)[2])
                if not unsent:
                    continue
                try:
                    statuses = await _deliver(http, feed.target_url, unsent, signing_key, feed.headers)
                except httpx.HTTPError as exc:
                    state.failures += 1
                    log.warning("BİLGE simulator: TCGB feed to %s failed: %r", feed.target_url, exc)
                    continue
                state.last_status = statuses[-1]
                if statuses[-1] != 202:
                    state.failures += 1  # all of it again next time: the events' ids make that harmless
                    continue
                state.documents += len(statuses)
                state.stages += len(unsent)
                unsent = []

    async def stop() -> None:
        feed = feeds.pop("feed", None)
        if feed is not None and feed.task is not None:
            feed.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await feed.task

    @app.post("/_sim/tcgb-feed")
    async def start_feed(feed: TcgbFeedRequest) -> dict[str, Any]:
        await stop()
        state = _Feed()
        state.task = asyncio.create_task(run(feed, state), name="bilge-sim-tcgb-feed")
        feeds["feed"] = state
        return state.as_json()

    @app.get("/_sim/tcgb-feed")
    async def get_feed() -> dict[str, Any]:
        feed = feeds.get("feed")
        return feed.as_json() if feed is not None else {"running": False}

    @app.delete("/_sim/tcgb-feed", status_code=204)
    async def stop_feed() -> None:
        await stop()
