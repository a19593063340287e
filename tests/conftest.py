"""Session fixtures: one real Kafka broker, topics from topics.yaml, and the hub running on it.

A test that needs Kafka fails, with the broker's log, when the broker cannot start: never skips.

The session runs on the real calendar: commands are issued at the real time (the hub judges them at
their arrival), and the simulators' fixture dates, written for FIXTURE_DAY, are moved to the day the
session started (`on_session_day`), as `hub run` moves them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.bilge import simulator as bilge_sim
from adapters.bilge.client import BilgeSettings
from adapters.tobb.client import TobbSettings
from adapters.tobb.simulator import DEFAULT_API_KEY, FIXTURE_DAY, create_app
from adapters.ykts import simulator as ykts_sim
from adapters.ykts.client import YktsSettings
from hub.configuration.dev_senders import ensure_dev_senders
from hub.configuration.settings import Settings
from hub.contract.topics import catalog
from hub.devtools.kafka.launcher import KafkaBroker
from hub.devtools.pki import ensure_dev_pki
from hub.entrypoints.stack import Stack, running_stack
from hub.operations.kafka.admin import apply_topics
from hub.runtime.client import HubClient
from hub.runtime.edge import ExternalSystemSettings
from hub.runtime.http_server import BackgroundServer
from hub.store.engine import create_engine, create_schema
from tests.kafka_fixture import kafka_broker  # noqa: F401
from tests.store_fixture import StoreKind, postgres_server, stores  # noqa: F401
from tests.tracing_fixture import fresh_spans, spans  # noqa: F401

S = TypeVar("S", bound=ExternalSystemSettings)

# When the session started, in Türkiye: for computing dates, never the occurred_at of a command. The
# session lasts minutes, more than the skew a hub judging commands at their arrival allows: a command
# is stamped when it is sent, as HubClient does.
SESSION_NOW = datetime.now(ZoneInfo("Europe/Istanbul"))
SESSION_DAY = SESSION_NOW.date()  # the day the core judges the session's commands on (unless it ends after midnight)
assert FIXTURE_DAY == ykts_sim.FIXTURE_DAY == bilge_sim.FIXTURE_DAY, "one shift moves every simulator's fixtures"


def on_session_day(fixture_date: date) -> date:
    """A date of the simulators' fixtures (written for FIXTURE_DAY) as the session's simulators serve it."""
    return fixture_date + (SESSION_DAY - FIXTURE_DAY)


@pytest.fixture
async def engine(stores: StoreKind) -> AsyncIterator[AsyncEngine]:  # noqa: F811
    """A core store of its own, on SQLite and on PostgreSQL, its tables created (a module may bring another)."""
    engine = create_engine(stores.new_url())
    await create_schema(engine)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def bootstrap(kafka_broker: KafkaBroker) -> str:  # noqa: F811
    """The broker's address, with every topic of topics.yaml created."""
    report = await apply_topics(kafka_broker.bootstrap_servers, catalog())
    assert not report.drift, report.lines()
    return kafka_broker.bootstrap_servers


@pytest.fixture(scope="session")
def settings(bootstrap: str, stores: StoreKind) -> Settings:  # noqa: F811
    """The session stack's settings: its store is one of each kind in turn (the stack runs twice)."""
    return Settings.from_env().model_copy(
        update={
            "kafka_bootstrap": bootstrap,
            "database_url": stores.new_url(),
            "consumer_max_attempts": 3,
            "relay_poll_s": 0.2,
            # Not the legal cut-over (2021-06-02, the product's default): a carnet is valid for a year at
            # most, so no carnet valid today has a 5800 from before it. The BİLGE simulator's records are
            # written around a cut-over of their own, and it moves with them (as `hub run` does).
            "bilge_cutover": bilge_sim.fixture_cutover(SESSION_DAY),
        }
    )


@pytest.fixture(scope="session")
def tobb_simulator() -> Iterator[BackgroundServer]:
    with BackgroundServer(create_app(api_key=DEFAULT_API_KEY, today=SESSION_DAY)) as server:
        yield server


def _quick(kind: type[S], server: BackgroundServer, api_key: str) -> S:
    """Small timeouts and backoff, so that an external system that is down is felt in seconds, not minutes.

    The session's adapters serve test after test, many of which make their system fail on purpose:
    their circuit breaker must not carry one test's outage into the next, and no idle probe may take
    a fault a test planned for its own calls. The breaker and the prober are tested with adapters of
    their own (tests/health).
    """
    return kind(
        base_url=server.base_url, api_key=api_key, timeout_s=1.0, max_attempts=3, backoff_initial_s=0.05,
        backoff_max_s=0.2, breaker_failures=1_000_000, probe_every_s=3600.0,
    )  # fmt: skip


@pytest.fixture(scope="session")
def tobb_settings(tobb_simulator: BackgroundServer) -> TobbSettings:
    return _quick(TobbSettings, tobb_simulator, DEFAULT_API_KEY)


@pytest.fixture(scope="session")
def bilge_simulator() -> Iterator[BackgroundServer]:
    # It pushes documents to the stack's intake with the development PKI's client certificate, as
    # running_stack's own BİLGE simulator does.
    sender = ensure_dev_pki().sender_tls()
    app = bilge_sim.create_app(
        api_key=bilge_sim.DEFAULT_API_KEY, sender_tls=sender, today=SESSION_DAY,
        signing_key=ensure_dev_senders().key(bilge_sim.SENDER),
    )  # fmt: skip
    with BackgroundServer(app) as server:
        yield server


@pytest.fixture(scope="session")
def bilge_settings(bilge_simulator: BackgroundServer) -> BilgeSettings:
    return _quick(BilgeSettings, bilge_simulator, bilge_sim.DEFAULT_API_KEY)


@pytest.fixture(scope="session")
def ykts_simulator() -> Iterator[BackgroundServer]:
    # The YKTS adapter judges an authority on the real day in Türkiye: the fixture dates move with it.
    with BackgroundServer(ykts_sim.create_app(api_key=ykts_sim.DEFAULT_API_KEY, today=SESSION_DAY)) as server:
        yield server


@pytest.fixture(scope="session")
def ykts_settings(ykts_simulator: BackgroundServer) -> YktsSettings:
    return _quick(YktsSettings, ykts_simulator, ykts_sim.DEFAULT_API_KEY)


@pytest.fixture(scope="session")
async def stack(
    settings: Settings, tobb_settings: TobbSettings, bilge_settings: BilgeSettings, ykts_settings: YktsSettings
) -> AsyncIterator[Stack]:
    with pytest.MonkeyPatch.context() as env:
        # The suite logs in to the session's console from one address far more often than a person
        # would; the limit itself is tested on a console of its own (tests/console/test_login_api.py).
        env.setenv("HUB_CONSOLE_LOGIN_LIMIT", "10000/minute")
        async with running_stack(settings, tobb_settings, bilge_settings, ykts_settings) as running:
            yield running


@pytest.fixture(scope="session")
async def client(stack: Stack) -> AsyncIterator[HubClient]:
    async with HubClient(stack.settings.kafka_bootstrap) as hub_client:  # commands stamped when sent
        yield hub_client


class SimulatorControl:
    """The simulator's own fault and request-log endpoints."""

    def __init__(self, server: BackgroundServer) -> None:
        self.base_url = server.base_url

    def faults(self, **plan: object) -> None:
        httpx.post(f"{self.base_url}/_sim/faults", json=plan).raise_for_status()

    def clear(self) -> None:
        httpx.delete(f"{self.base_url}/_sim/faults").raise_for_status()

    def requests_for(self, carnet_number: str) -> int:
        seen = httpx.get(f"{self.base_url}/_sim/requests").json()["requests"]
        return sum(1 for r in seen if carnet_number in str(r))


def _controlled(server: BackgroundServer) -> Iterator[SimulatorControl]:
    control = SimulatorControl(server)
    control.clear()
    yield control
    control.clear()


@pytest.fixture
def tobb(tobb_simulator: BackgroundServer) -> Iterator[SimulatorControl]:
    yield from _controlled(tobb_simulator)


@pytest.fixture
def ykts(ykts_simulator: BackgroundServer) -> Iterator[SimulatorControl]:
    yield from _controlled(ykts_simulator)
