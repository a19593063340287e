"""YktsService: authority checks in, AuthorityChecked / AuthorityCheckFailed out (rules A4, A5).

The translation is tested with the real client against the simulator over HTTP and a publisher
that collects what would go to Kafka; one test runs the whole adapter process on the real broker.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiokafka import AIOKafkaProducer

from adapters.ykts.client import YktsClient, YktsError, YktsSettings
from adapters.ykts.service import RESULTS_TOPIC, YktsService
from adapters.ykts.simulator import create_app
from hub.configuration.settings import Settings
from hub.contract.messages.envelope import Envelope, UndecodableMessage, decode, envelope
from hub.contract.topics import catalog
from hub.domain.ykts import AuthorityChecked, AuthorityCheckFailed, AuthorityCheckRequested
from hub.entrypoints.processes.ykts import YktsAdapterProcess
from hub.runtime.http_server import BackgroundServer
from hub.runtime.kafka.security import ADMIN, client_options
from tests.e2e.helpers import eventually, read_topic
from tests.simulated_systems import faults as _faults
from tests.simulated_systems import requests_seen as _requests_seen
from tests.simulated_systems import simulator_fixtures
from tests.ykts import ANADOLU, AYSE, BOGAZICI, CAN, ELIF, MEHMET, NILUFER, UNKNOWN_FIRM

API_KEY = "test-anahtari-ykts"
# 2026-11-21 12:00 in Türkiye: the fixtures' reference day.
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=ZoneInfo("Europe/Istanbul"))


class CollectingPublisher:
    """Stands in for the Kafka publisher; checks topics.yaml like the real one does."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Envelope[Any]]] = []
        self._catalog = catalog()

    async def publish(self, topic: str, message: Envelope[Any]) -> None:
        self._catalog.check_carries(topic, message.type)
        self.sent.append((topic, message))


ykts, _clean_simulator = simulator_fixtures("ykts", lambda: create_app(api_key=API_KEY))


def _request(vkn: str, tckn: str) -> Envelope[AuthorityCheckRequested]:
    payload = AuthorityCheckRequested(request_id=uuid.uuid4(), firm_vkn=vkn, person_tckn=tckn)
    return envelope(payload, carnet_number=vkn, occurred_at=NOW)  # key: the firm's VKN (topics.yaml)


async def _handle(
    server: BackgroundServer, request: Envelope[AuthorityCheckRequested], now: datetime = NOW, **client_options: Any
) -> Envelope[Any]:
    """Run one request through the service; return the one message it published."""
    options: dict[str, Any] = {"timeout_s": 1.0, "max_attempts": 3, "backoff_initial_s": 0.01, "backoff_max_s": 0.02}
    options.update(client_options)
    publisher = CollectingPublisher()
    async with YktsClient(server.base_url, API_KEY, **options) as client:
        service = YktsService(client, publisher, failures=(YktsError,), now=lambda: now)
        await service.handle_request(request)
    [(topic, answer)] = publisher.sent
    assert topic == RESULTS_TOPIC
    return answer


async def test_a4_a5_direct_representative_yields_authority_checked_with_the_registered_email(
    ykts: BackgroundServer,
) -> None:
    # rule: A4 - the direct representative is authorised
    # rule: A5 - the answer carries the e-mail registered in YKTS, where the user code goes
    request = _request(ANADOLU, AYSE)
    answer = await _handle(ykts, request)
    assert answer.payload == AuthorityChecked(
        request_id=request.payload.request_id,
        firm_vkn=ANADOLU,
        person_tckn=AYSE,
        authorised=True,
        firm_name="Anadolu Sahne Işık ve Ses Sistemleri A.Ş.",
        firm_email="gumruk@anadolusahne.com.tr",
        reason="",
    )
    # A reply: keyed by the firm's VKN, in the request's flow, caused by it.
    assert answer.type == "AuthorityChecked" and answer.key == ANADOLU.encode()
    assert answer.correlation_id == request.correlation_id and answer.causation_id == request.message_id
    assert answer.occurred_at == NOW


@pytest.mark.parametrize(
    ("vkn", "tckn", "in_reason"),
    [
        (ANADOLU, MEHMET, "DOLAYLI_TEMSIL"),  # indirect representative
        (BOGAZICI, CAN, "ended on 2025-12-31"),  # expired direct authority
        (NILUFER, ELIF, "begins on 2027-01-01"),  # not yet begun
    ],
    ids=["indirect", "expired", "not-yet-valid"],
)
async def test_a4_not_directly_authorised_is_answered_with_the_reason(
    ykts: BackgroundServer, vkn: str, tckn: str, in_reason: str
) -> None:
    # rule: A4
    answer = await _handle(ykts, _request(vkn, tckn))
    checked = answer.payload
    assert isinstance(checked, AuthorityChecked)
    assert not checked.authorised and in_reason in checked.reason
    assert checked.firm_email is not None  # the firm is known; GET-APP must still not send it a code


async def test_a4_a5_unknown_firm_is_not_authorised_and_has_no_address(ykts: BackgroundServer) -> None:
    # rule: A4, A5
    checked = (await _handle(ykts, _request(UNKNOWN_FIRM, AYSE))).payload
    assert isinstance(checked, AuthorityChecked)
    assert not checked.authorised
    assert (checked.firm_name, checked.firm_email) == (None, None)
    assert "not registered in YKTS" in checked.reason


async def test_a4_day_is_judged_in_turkiye_time(ykts: BackgroundServer) -> None:
    # rule: A4 - 31 Dec 21:30 UTC is already 1 Jan 00:30 in Türkiye, the first day of Elif's authority
    request = _request(NILUFER, ELIF)
    just_before = await _handle(ykts, request, now=datetime(2026, 12, 31, 20, 59, tzinfo=UTC))
    just_after = await _handle(ykts, request, now=datetime(2026, 12, 31, 21, 30, tzinfo=UTC))
    assert not just_before.payload.authorised
    assert just_after.payload.authorised


@pytest.mark.parametrize(("vkn", "tckn"), [(ANADOLU, "10000000147"), ("123", AYSE)])
async def test_g2_malformed_ids_are_answered_not_authorised_without_asking_ykts(
    ykts: BackgroundServer, vkn: str, tckn: str
) -> None:
    # rule: G2, A4 - a malformed id is a definite "no" with its reason, not an outage
    checked = (await _handle(ykts, _request(vkn, tckn))).payload
    assert isinstance(checked, AuthorityChecked)
    assert not checked.authorised and "check digit" in checked.reason
    assert _requests_seen(ykts) == 0


async def test_ykts_down_beyond_the_bound_yields_authority_check_failed(ykts: BackgroundServer) -> None:
    # rule: A4 - an outage must not be answered "not authorised"
    _faults(ykts, fail_next=100, status=503)
    request = _request(ANADOLU, AYSE)
    answer = await _handle(ykts, request, max_attempts=3)
    assert answer.type == "AuthorityCheckFailed"
    failed = answer.payload
    assert isinstance(failed, AuthorityCheckFailed)
    assert (failed.request_id, failed.firm_vkn, failed.person_tckn) == (request.payload.request_id, ANADOLU, AYSE)
    assert failed.attempts == 3 and "HIZMET_KULLANILAMIYOR" in failed.reason
    assert answer.key == ANADOLU.encode()


async def test_unusable_answer_yields_authority_check_failed(ykts: BackgroundServer) -> None:
    _faults(ykts, hostile_next=1)
    failed = (await _handle(ykts, _request(ANADOLU, AYSE))).payload
    assert isinstance(failed, AuthorityCheckFailed)
    assert failed.attempts == 1 and "hostile" in failed.reason


# --- through the real broker ------------------------------------------------------------------------


@pytest.mark.kafka
async def test_a4_a5_adapter_answers_over_kafka(bootstrap: str) -> None:
    # rule: A4, A5 - ykts.requests in (keyed by VKN), AuthorityChecked with the registered e-mail out
    settings = Settings.from_env().model_copy(update={"kafka_bootstrap": bootstrap, "consumer_max_attempts": 3})
    # The adapter judges on the real clock: the simulator moves its fixture dates to today.
    async with BackgroundServer(create_app(api_key=API_KEY, today=date.today())) as simulator:
        ykts_settings = YktsSettings(
            base_url=simulator.base_url, api_key=API_KEY, timeout_s=1.0, max_attempts=3, backoff_initial_s=0.05
        )
        adapter = YktsAdapterProcess(settings, ykts_settings)
        await adapter.start()
        try:
            request = envelope(
                AuthorityCheckRequested(request_id=uuid.uuid4(), firm_vkn=NILUFER, person_tckn=MEHMET),
                carnet_number=NILUFER,
                occurred_at=datetime.now(UTC),
            )
            producer = AIOKafkaProducer(
                bootstrap_servers=bootstrap, **client_options(ADMIN), acks="all", enable_idempotence=True
            )
            await producer.start()
            try:
                await producer.send_and_wait(
                    "ykts.requests",
                    request.encode(),
                    key=request.key,
                    headers=[(k, v.encode()) for k, v in request.headers().items()],
                )
            finally:
                await producer.stop()

            async def answered() -> tuple[Any, Envelope[Any]] | None:
                for record in await read_topic(bootstrap, RESULTS_TOPIC, principal=ADMIN):
                    try:
                        message = decode(record.value)
                    except UndecodableMessage:
                        continue  # not ours to judge here
                    if message.causation_id == request.message_id:
                        return record, message
                return None

            record, answer = await eventually(answered, wait_s=60, every_s=0.5)
        finally:
            await adapter.stop()

    assert record.key == NILUFER.encode()
    assert answer.type == "AuthorityChecked" and answer.correlation_id == request.correlation_id
    checked = answer.payload
    assert isinstance(checked, AuthorityChecked)
    assert checked.request_id == request.payload.request_id
    assert checked.authorised, checked.reason
    assert checked.firm_email == "nilufermakine@hs03.kep.tr"
    assert checked.firm_name == "Nilüfer Makine Otomotiv Sanayi A.Ş."
