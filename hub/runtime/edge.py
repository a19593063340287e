"""What every adapter to an external system (TOBB, BİLGE, YKTS) shares: how it is reached, and how
one call is made and retried."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Protocol, Self, TypeVar
from urllib.parse import urlsplit

import httpx
from pydantic import Field, SecretStr, field_validator
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    RetryError,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from hub.configuration.base import HubSettings
from hub.operations import tracing
from hub.operations.health.breaker import CircuitBreaker, CircuitOpen, CircuitState
from hub.operations.health.external import ExternalSystemHealth
from hub.operations.health.metrics import ProcessMetrics
from hub.runtime.xmlsafe import DEFAULT_MAX_BYTES

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider


def http_url(value: str) -> str:
    """An http:// or https:// URL with a host: what an external system is reached at."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is no http(s) URL")
    return value


class ExternalSystemSettings(HubSettings):
    """Where and how to reach an external system; everything needed to switch from its simulator to
    the real system. Each system's model names its environment prefix (TOBB_, BILGE_, YKTS_)."""

    base_url: str = Field(json_schema_extra={"expected": "an http:// or https:// URL"})
    """The system's web service (a path prefix is kept: https://host/ata/)."""
    api_key: SecretStr
    """The key the hub presents in every call."""
    timeout_s: Annotated[float, Field(gt=0)] = 5.0
    """Seconds one attempt may take, answer included."""
    max_attempts: Annotated[int, Field(ge=1)] = 5
    """Attempts of one call (timeouts, transport errors, 429, 5xx are retried) before it is given up."""
    backoff_initial_s: Annotated[float, Field(gt=0)] = 0.2
    """First wait (seconds) between attempts, growing exponentially with jitter ..."""
    backoff_max_s: Annotated[float, Field(gt=0)] = 5.0
    """... up to this."""
    api_key_header: str = "X-Api-Key"
    """The HTTP header the key travels in."""
    breaker_failures: Annotated[int, Field(ge=1)] = 5
    """Consecutive failed calls that open the circuit."""
    breaker_open_s: Annotated[float, Field(gt=0)] = 30.0
    """How long (seconds) an open circuit holds calls back before a trial."""
    probe_every_s: Annotated[float, Field(gt=0)] = 15.0
    """When nothing called the system for this long (seconds), the adapter asks it something harmless."""

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return http_url(value)


# --- calling an external system over HTTP: one attempt, and the retries around it ----------------

log = logging.getLogger("hub.runtime.edge")
T = TypeVar("T")


class ExternalSystemClient:
    """What every client of an external system (TOBB, BİLGE, YKTS) holds: one HTTP client with the API
    key and the timeout, the bound of retries, a circuit breaker, and the metrics of its calls. Use as
    ``async with``, or call :meth:`aclose`."""

    USER_AGENT: ClassVar[str] = "ata-hub"
    SYSTEM: ClassVar[str] = "external system"
    # A harmless question whose answer, any answer, shows the system is up (see `probe`).
    PROBE_PATH: ClassVar[str] = ""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        timeout_s: float = 5.0,
        max_attempts: int = 5,
        backoff_initial_s: float = 0.2,
        backoff_max_s: float = 5.0,
        *,
        api_key_header: str = "X-Api-Key",
        max_answer_bytes: int = DEFAULT_MAX_BYTES,
        transport: httpx.AsyncBaseTransport | None = None,
        breaker_failures: int = 5,
        breaker_open_s: float = 30.0,
        probe_every_s: float = 15.0,
        metrics: ProcessMetrics | None = None,
        tracer_provider: TracerProvider | None = None,
    ) -> None:
        if timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if backoff_initial_s < 0 or backoff_max_s < 0:
            raise ValueError("backoff times cannot be negative")
        self._timeout_s = timeout_s
        self._max_attempts = max_attempts
        self._backoff_initial_s = backoff_initial_s
        self._backoff_max_s = backoff_max_s
        self._max_answer_bytes = max_answer_bytes
        self.probe_every_s = probe_every_s
        self.metrics = metrics or ProcessMetrics(f"client-{self.SYSTEM}")
        self.breaker = CircuitBreaker(
            self.SYSTEM, failure_threshold=breaker_failures, open_s=breaker_open_s, on_change=self._circuit_changed
        )
        # An answer is "recent" for two probe periods and one call's worth of retries.
        self.health = ExternalSystemHealth(self.breaker, fresh_s=2 * probe_every_s + max_attempts * timeout_s)
        self._http = httpx.AsyncClient(
            # The trailing slash keeps a path prefix in base_url (https://host/ata/) when joining.
            base_url=base_url.rstrip("/") + "/",
            headers={api_key_header: api_key, "Accept": "application/xml", "User-Agent": self.USER_AGENT},
            timeout=httpx.Timeout(timeout_s),
            follow_redirects=False,
            transport=transport,
        )
        # Traced, each HTTP attempt is a client span (under the record's span) and carries `traceparent`.
        tracing.instrument_http_client(self._http, tracer_provider)

    @classmethod
    def from_settings(cls, settings: ExternalSystemSettings, **kwargs: Any) -> Self:
        return cls(
            settings.base_url,
            settings.api_key.get_secret_value(),
            timeout_s=settings.timeout_s,
            max_attempts=settings.max_attempts,
            backoff_initial_s=settings.backoff_initial_s,
            backoff_max_s=settings.backoff_max_s,
            api_key_header=settings.api_key_header,
            breaker_failures=settings.breaker_failures,
            breaker_open_s=settings.breaker_open_s,
            probe_every_s=settings.probe_every_s,
            **kwargs,
        )

    def _circuit_changed(self, state: CircuitState) -> None:
        self.metrics.set_circuit(self.SYSTEM, state.value)
        if state is CircuitState.OPEN:
            log.warning("%s circuit opened: %s", self.SYSTEM, self.breaker.last_failure)
        elif state is CircuitState.CLOSED and hasattr(self, "breaker"):
            log.info("%s circuit closed: it answers again", self.SYSTEM)

    async def _call(
        self,
        attempt: Callable[[], Awaitable[T]],
        *,
        describe: str,
        unavailable: Callable[[str, int], Exception],
    ) -> T:
        """One logical call: attempts guarded by the breaker and measured, retried within the bound."""
        try:
            return await with_retries(
                lambda: self._guarded(attempt),
                max_attempts=self._max_attempts,
                backoff_initial_s=self._backoff_initial_s,
                backoff_max_s=self._backoff_max_s,
                describe=describe,
                unavailable=unavailable,
                on_retry=self.metrics.retries.labels(system=self.SYSTEM).inc,
            )
        except CircuitOpen as exc:
            raise unavailable(str(exc), 0) from None

    async def _guarded(self, attempt: Callable[[], Awaitable[T]]) -> T:
        """One attempt through the breaker, counted and timed; any HTTP answer counts as an answer."""
        system = self.SYSTEM
        try:
            self.breaker.admit()
        except CircuitOpen:
            self.metrics.call_errors.labels(system=system, kind="circuit_open").inc()
            raise
        self.metrics.calls.labels(system=system).inc()
        started = time.monotonic()
        try:
            result = await attempt()
        except Retryable as exc:
            self.breaker.failed(exc.reason)
            self.metrics.call_errors.labels(system=system, kind=exc.kind).inc()
            raise
        except asyncio.CancelledError:
            self.breaker.abandoned()
            raise
        except Exception:
            # Refused or unusable, but an answer: the system is up (the request or answer is at fault).
            self.breaker.succeeded()
            self.health.answered()
            self.metrics.call_errors.labels(system=system, kind="rejected").inc()
            raise
        finally:
            self.metrics.call_seconds.labels(system=system).observe(time.monotonic() - started)
        self.breaker.succeeded()
        self.health.answered()
        self.metrics.last_answer.labels(system=system).set_to_current_time()
        return result

    def refresh_metrics(self) -> None:
        """The breaker's state as of now (an open circuit turns half-open by the clock alone)."""
        self.metrics.set_circuit(self.SYSTEM, self.breaker.state.value)

    async def probe(self) -> None:
        """Ask the system something harmless, once, through the breaker: with no traffic, this is how
        the adapter knows the system is up, and how an open circuit gets its trial."""

        async def ask() -> None:
            status, _ = await exchange_once(
                self._http, "GET", self.PROBE_PATH, timeout_s=self._timeout_s, max_bytes=self._max_answer_bytes,
                system=self.SYSTEM, rejected=_ProbeRefused,
            )  # fmt: skip
            if status == 429 or status >= 500:
                raise Retryable(f"HTTP {status}", kind="http_429" if status == 429 else "http_5xx")

        with tracing.untraced_http():  # a health probe belongs to no command's trace
            await self._guarded(ask)

    async def keep_probing(self) -> None:
        """Until cancelled: probe when nothing answered for `probe_every_s`, and give an open circuit
        its trial as soon as it is due, so that health follows the system even without traffic."""
        tick = max(0.05, min(self.probe_every_s / 3, 5.0))
        while True:
            state = self.breaker.state
            due = state is CircuitState.HALF_OPEN or (
                state is CircuitState.CLOSED and not self.health.answered_within(self.probe_every_s)
            )
            if due:
                try:
                    await self.probe()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # counted and remembered by _guarded; nothing else to do
                    log.debug("%s probe failed: %r", self.SYSTEM, exc)
            await asyncio.sleep(tick)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()


class Retryable(Exception):
    """An attempt failed in a way another attempt may not: a timeout, a transport error, 429, 5xx.
    `kind` names which, for the metrics: timeout, transport, http_429, http_5xx."""

    def __init__(self, reason: str, kind: str = "transport") -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind


class _ProbeRefused(Exception):
    def __init__(self, reason: str, *, status_code: int | None = None) -> None:
        super().__init__(reason)


class Rejects(Protocol):
    """An adapter's "refused, do not retry" error: built with a reason and the HTTP status."""

    def __call__(self, reason: str, *, status_code: int | None = None) -> Exception: ...


async def with_retries(
    attempt: Callable[[], Awaitable[T]],
    *,
    max_attempts: int,
    backoff_initial_s: float,
    backoff_max_s: float,
    describe: str,
    unavailable: Callable[[str, int], Exception],
    on_retry: Callable[[], None] = lambda: None,
) -> T:
    """Run `attempt` until it returns, raises something other than Retryable, or the bound is
    reached: exponential backoff with jitter, then `unavailable(reason, attempts)`."""
    retrying = AsyncRetrying(
        stop=stop_after_attempt(max_attempts),
        wait=wait_random_exponential(multiplier=backoff_initial_s, max=backoff_max_s),
        retry=retry_if_exception_type(Retryable),
        before_sleep=partial(_log_retry, describe, on_retry),
    )
    try:
        async for step in retrying:
            with step:
                return await attempt()
    except RetryError as exc:
        last = exc.last_attempt
        failure = last.exception()
        reason = failure.reason if isinstance(failure, Retryable) else repr(failure)
        raise unavailable(reason, last.attempt_number) from failure
    raise AssertionError("unreachable: tenacity either returns, raises or gives up")  # pragma: no cover


def _log_retry(describe: str, on_retry: Callable[[], None], state: RetryCallState) -> None:
    on_retry()
    failure = state.outcome.exception() if state.outcome is not None else None
    reason = failure.reason if isinstance(failure, Retryable) else repr(failure)
    wait = state.next_action.sleep if state.next_action is not None else 0.0
    log.warning("%s attempt %d failed (%s); retrying in %.2fs", describe, state.attempt_number, reason, wait)


async def exchange_once(
    http: httpx.AsyncClient,
    method: str,
    path: str,
    *,
    timeout_s: float,
    max_bytes: int,
    system: str,
    rejected: Rejects,
    content: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes]:
    """One HTTP attempt: the status and the whole body, or Retryable / `rejected`."""
    try:
        # httpx's timeout bounds each phase; this bounds the whole attempt, so a server
        # trickling bytes cannot hold the caller beyond timeout_s.
        async with asyncio.timeout(timeout_s):
            async with http.stream(method, path, content=content, headers=headers) as response:
                return response.status_code, await _read_capped(response, max_bytes, system, rejected)
    except TimeoutError:
        raise Retryable(f"no complete answer within {timeout_s}s", kind="timeout") from None
    except httpx.UnsupportedProtocol as exc:
        # A configuration error (base URL without http/https), not an outage: retrying cannot help.
        raise rejected(f"cannot call {system}: {exc}") from exc
    except httpx.TimeoutException as exc:
        raise Retryable(f"timeout ({type(exc).__name__}) after {timeout_s}s", kind="timeout") from None
    except httpx.TransportError as exc:
        raise Retryable(f"transport error: {type(exc).__name__}: {exc}") from None


async def _read_capped(response: httpx.Response, max_bytes: int, system: str, rejected: Rejects) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise rejected(
            f"{system} answer refused: oversize: {declared} bytes announced, more than the {max_bytes} allowed",
            status_code=response.status_code,
        )
    chunks: list[bytes] = []
    size = 0
    # Counted after content decoding, so a compressed bomb is caught too.
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise rejected(
                f"{system} answer refused: oversize: more than the {max_bytes} bytes allowed",
                status_code=response.status_code,
            )
        chunks.append(chunk)
    return b"".join(chunks)


def retry_or_reject(
    status: int, described: str, system: str, rejected: Callable[..., Exception], **details: Any
) -> Exception:
    """What a non-200 answer means: try again (429, 5xx) or refused for good (other 4xx)."""
    if status == 429 or status >= 500:
        return Retryable(described, kind="http_429" if status == 429 else "http_5xx")
    return rejected(f"{system} refused the request: {described}", status_code=status, **details)
