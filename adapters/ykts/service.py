"""YKTS adapter, inbound side: an authority check in, YKTS's answer (or a failure) out (A4, A5).

Same shape as the TOBB adapter: `client.py` speaks to YKTS, this module translates one Kafka
message into a call and an answer, `app.py` wires it to Kafka. The offset of a request is
committed only once its answer is on Kafka, so a restarted adapter loses no request; an answer
sent twice is harmless because it carries the request's id and says the same thing.

The answer is judged on the day in Türkiye (Europe/Istanbul) at the moment of handling: an
authority whose last day is today still counts until midnight in Türkiye, whatever the clock's
zone. A request with a malformed VKN or TCKN (G2) is answered "not authorised" with the reason,
without asking YKTS: nobody can hold an authority under an id that cannot exist, and a retry of
the request would not change that. Only when YKTS cannot give a usable answer within the client's
bound (out of reach, or answering unusably) is the answer an AuthorityCheckFailed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from adapters.ykts.client import AuthorityAnswer, identity_problem
from hub.contract.messages.envelope import Envelope, reply
from hub.contract.messages.ports import YKTS
from hub.domain.ykts import AuthorityChecked, AuthorityCheckFailed, AuthorityCheckRequested

RESULTS_TOPIC = YKTS.results_topic
TURKIYE = ZoneInfo("Europe/Istanbul")


class AuthorityRegistry(Protocol):
    async def check_authority(self, firm_vkn: str, person_tckn: str, today: date) -> AuthorityAnswer: ...


class Publishes(Protocol):
    async def publish(self, topic: str, message: Envelope[Any]) -> None: ...


class YktsService:
    def __init__(
        self,
        client: AuthorityRegistry,
        publisher: Publishes,
        failures: tuple[type[Exception], ...],
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._client = client
        self._publisher = publisher
        # Errors that end a check without a usable answer from YKTS: no answer within the bound of
        # retries, or an answer that cannot be used. Retrying them later changes nothing here.
        self._failures = failures
        self._now = now

    async def handle_request(self, message: Envelope[Any]) -> None:
        request: AuthorityCheckRequested = message.payload
        now = self._now()
        answer: AuthorityChecked | AuthorityCheckFailed
        problem = identity_problem(request.firm_vkn, request.person_tckn)
        if problem is not None:
            # rule: G2, A4 - a malformed id is a definite "no", not an outage
            answer = AuthorityChecked(
                request_id=request.request_id,
                firm_vkn=request.firm_vkn,
                person_tckn=request.person_tckn,
                authorised=False,
                reason=problem,
            )
        else:
            try:
                result = await self._client.check_authority(
                    request.firm_vkn, request.person_tckn, today=now.astimezone(TURKIYE).date()
                )
            except self._failures as exc:
                answer = AuthorityCheckFailed(
                    request_id=request.request_id,
                    firm_vkn=request.firm_vkn,
                    person_tckn=request.person_tckn,
                    reason=str(exc),
                    attempts=int(getattr(exc, "attempts", 0)),
                )
            else:
                answer = self._checked(request, result)
        await self._publisher.publish(RESULTS_TOPIC, reply(answer, to=message, occurred_at=now))

    @staticmethod
    def _checked(request: AuthorityCheckRequested, result: AuthorityAnswer) -> AuthorityChecked:
        # rule: A5 - the e-mail is the one registered in YKTS, the only address user codes go to
        return AuthorityChecked(
            request_id=request.request_id,
            firm_vkn=request.firm_vkn,
            person_tckn=request.person_tckn,
            authorised=result.authorised,
            firm_name=result.firm_name,
            firm_email=result.firm_email,
            reason="" if result.authorised else result.reason,
        )
