"""What every adapter to an external system (TOBB, BİLGE, YKTS) shares: how it is reached, and how
one call is made and retried."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from types import TracebackType
from typing import Any, ClassVar, Protocol, Self, TypeVar

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    RetryError,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from hub.xmlsafe import DEFAULT_MAX_BYTES


@dataclass(frozen=True, slots=True)
class ExternalSystemSettings:
    """Where and how to reach an external system; everything needed to switch from its simulator to
    the real system. Each adapter names its environment prefix (TOBB_, BILGE_, ...)."""

    PREFIX: ClassVar[str] = ""

    base_url: str
    api_key: str = field(repr=False)
    timeout_s: float = 5.0
    max_attempts: int = 5
    backoff_initial_s: float = 0.2
    backoff_max_s: float = 5.0
    api_key_header: str = "X-Api-Key"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        """Read ``<P>_BASE_URL`` and ``<P>_API_KEY`` (required), ``<P>_TIMEOUT_S``, ``<P>_MAX_ATTEMPTS``,
        ``<P>_BACKOFF_INITIAL_S``, ``<P>_BACKOFF_MAX_S`` and ``<P>_API_KEY_HEADER`` (optional).
        Raises ``ValueError`` naming the bad variable."""
        env = os.environ if environ is None else environ
        p = cls.PREFIX

        def required(name: str) -> str:
            value = env.get(name, "").strip()
            if not value:
                raise ValueError(f"{name} is not set")
            return value

        def number(name: str, default: float, kind: type[int] | type[float]) -> Any:
            raw = env.get(name, "").strip()
            if not raw:
                return default
            try:
                value = kind(raw)
            except ValueError:
                raise ValueError(f"{name}={raw!r} is not a valid {kind.__name__}") from None
            if value <= 0:
                raise ValueError(f"{name} must be positive, got {raw!r}")
            return value

        return cls(
            base_url=required(f"{p}_BASE_URL"),
            api_key=required(f"{p}_API_KEY"),
            timeout_s=number(f"{p}_TIMEOUT_S", 5.0, float),
            max_attempts=number(f"{p}_MAX_ATTEMPTS", 5, int),
            backoff_initial_s=number(f"{p}_BACKOFF_INITIAL_S", 0.2, float),
            backoff_max_s=number(f"{p}_BACKOFF_MAX_S", 5.0, float),
            api_key_header=env.get(f"{p}_API_KEY_HEADER", "").strip() or "X-Api-Key",
        )


# --- calling an external system over HTTP: one attempt, and the retries around it ----------------

log = logging.getLogger("hub.edge")
T = TypeVar("T")


class ExternalSystemClient:
    """What every client of an external system (TOBB, BİLGE, YKTS) holds: one HTTP client with the API
    key and the timeout, and the bound of retries. Use as ``async with``, or call :meth:`aclose`."""

    USER_AGENT: ClassVar[str] = "ata-hub"

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
        self._http = httpx.AsyncClient(
            # The trailing slash keeps a path prefix in base_url (https://host/ata/) when joining.
            base_url=base_url.rstrip("/") + "/",
            headers={api_key_header: api_key, "Accept": "application/xml", "User-Agent": self.USER_AGENT},
            timeout=httpx.Timeout(timeout_s),
            follow_redirects=False,
            transport=transport,
        )

    @classmethod
    def from_settings(cls, settings: ExternalSystemSettings, **kwargs: Any) -> Self:
        return cls(
            settings.base_url,
            settings.api_key,
            timeout_s=settings.timeout_s,
            max_attempts=settings.max_attempts,
            backoff_initial_s=settings.backoff_initial_s,
            backoff_max_s=settings.backoff_max_s,
            api_key_header=settings.api_key_header,
            **kwargs,
        )

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
    """An attempt failed in a way another attempt may not: a timeout, a transport error, 429, 5xx."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


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
) -> T:
    """Run `attempt` until it returns, raises something other than Retryable, or the bound is
    reached: exponential backoff with jitter, then `unavailable(reason, attempts)`."""
    retrying = AsyncRetrying(
        stop=stop_after_attempt(max_attempts),
        wait=wait_random_exponential(multiplier=backoff_initial_s, max=backoff_max_s),
        retry=retry_if_exception_type(Retryable),
        before_sleep=partial(_log_retry, describe),
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


def _log_retry(describe: str, state: RetryCallState) -> None:
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
        raise Retryable(f"no complete answer within {timeout_s}s") from None
    except httpx.UnsupportedProtocol as exc:
        # A configuration error (base URL without http/https), not an outage: retrying cannot help.
        raise rejected(f"cannot call {system}: {exc}") from exc
    except httpx.TimeoutException as exc:
        raise Retryable(f"timeout ({type(exc).__name__}) after {timeout_s}s") from None
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
        return Retryable(described)
    return rejected(f"{system} refused the request: {described}", status_code=status, **details)
