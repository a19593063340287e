"""One base for the three external systems (TOBB, BİLGE, YKTS): the errors each names after itself,
and the client that asks for an XML document and reads the ``<Hata kod>`` in it.

:mod:`hub.runtime.edge` holds the transport (one attempt, retries, the circuit breaker, probes); this holds what
the three web services share above it: answers validated against their schema (hostile XML refused by
:mod:`hub.runtime.xmlsafe`), an error as ``<Hata kod="...">text</Hata>`` inside the endpoint's own document,
and one rule: an answer that cannot be used is refused at once (``Rejected``), only a failure that a
retry can cure is retried, until the system is given up as ``Unavailable``. Neither is "not found".

Each system declares its errors once, under its own names, so that ``except TobbUnavailable`` keeps
meaning TOBB::

    class TobbError(ExternalSystemError):
        SYSTEM = "TOBB"

    class TobbUnavailable(TobbError, SystemUnavailable): ...
    class TobbRejected(TobbError, SystemRejected): ...
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar

from hub.runtime.edge import ExternalSystemClient, exchange_once, retry_or_reject
from hub.runtime.xmlsafe import XmlRejected, XsdSchema, load_schema, parse_and_validate

__all__ = [
    "ErrorAnswer",
    "ExternalSystemError",
    "InvalidReference",
    "Namespace",
    "SystemClient",
    "SystemRejected",
    "SystemUnavailable",
    "collapse",
]

A = TypeVar("A")
T = TypeVar("T")
_XML_CONTENT_TYPE = "application/xml; charset=utf-8"


# --- errors -----------------------------------------------------------------------------------


class ExternalSystemError(Exception):
    """Base of one system adapter's errors; each system's subclass names the system in SYSTEM."""

    SYSTEM: ClassVar[str] = "external system"


class InvalidReference(ExternalSystemError, ValueError):
    """The number or id cannot be one the system holds: it is not asked."""


class SystemUnavailable(ExternalSystemError):
    """The system could not be reached or kept failing (5xx/429/timeouts) for every attempt; or, with
    no attempt at all, its circuit breaker held the call back."""

    def __init__(self, reason: str, attempts: int) -> None:
        said = f"after {attempts} attempt(s)" if attempts else "(not called)"
        super().__init__(f"{self.SYSTEM} unavailable {said}: {reason}")
        self.reason = reason
        self.attempts = attempts


class SystemRejected(ExternalSystemError):
    """The system answered, but the answer cannot be used, or it refused the request (4xx, ``<Hata>``)."""

    def __init__(
        self, reason: str, *, status_code: int | None = None, error_code: str | None = None, attempts: int = 1
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status_code = status_code
        self.error_code = error_code  # the <Hata kod="..."> if the system sent one
        self.attempts = attempts  # the attempt that got this answer (earlier ones failed retryably)


# --- reading the systems' documents -----------------------------------------------------------


def collapse(text: str | None) -> str:
    """Text fields are xs:token in the systems' schemas: compared and stored whitespace-collapsed."""
    return " ".join((text or "").split())


@dataclass(frozen=True, slots=True)
class Namespace:
    """One XML namespace, to name its elements and read their text."""

    uri: str

    def q(self, tag: str) -> str:
        return f"{{{self.uri}}}{tag}"

    def text(self, parent: Any, tag: str) -> str:
        return collapse(parent.findtext(self.q(tag)))


class ErrorAnswer(Protocol):
    """A system's ``<Hata kod="...">text</Hata>``."""

    @property
    def code(self) -> str | None: ...

    @property
    def message(self) -> str: ...


@dataclass(frozen=True, slots=True)
class _Hata:
    code: str | None
    message: str


# --- the client -------------------------------------------------------------------------------


class SystemClient(ExternalSystemClient):
    """A client of one system's XML web service: each system's client names its errors and, when
    every answer is a document of one schema (TOBB, YKTS), that schema and its namespace; a system
    with a schema per endpoint (BİLGE) passes each call its parser and reads the error in its answer."""

    Rejected: ClassVar[type[SystemRejected]] = SystemRejected
    Unavailable: ClassVar[type[SystemUnavailable]] = SystemUnavailable
    ANSWER_SCHEMA: ClassVar[Path]
    ANSWER_NS: ClassVar[Namespace]

    async def _ask(
        self,
        path: str,
        parse: Callable[[bytes], A],
        read: Callable[[A], T],
        *,
        method: str = "GET",
        body: bytes | None = None,
        describe: str | None = None,
    ) -> T:
        """One logical call: attempts until ``read`` of a usable answer returns, a failure no retry can
        cure (``Rejected``, saying which attempt got it), or ``max_attempts`` (``Unavailable``)."""
        attempts = 0

        async def attempt() -> T:
            nonlocal attempts
            attempts += 1
            return read(await self._answer(method, path, body, parse))

        try:
            return await self._call(attempt, describe=describe or self.SYSTEM, unavailable=self.Unavailable)
        except SystemRejected as exc:
            exc.attempts = attempts
            raise

    async def _answer(self, method: str, path: str, body: bytes | None, parse: Callable[[bytes], A]) -> A:
        """One attempt: the parsed answer, or an exception saying whether to retry."""
        system = self.SYSTEM
        headers = {"Content-Type": _XML_CONTENT_TYPE} if body is not None else None
        status, data = await exchange_once(
            self._http, method, path, timeout_s=self._timeout_s, max_bytes=self._max_answer_bytes,
            system=system, rejected=self.Rejected, content=body, headers=headers,
        )  # fmt: skip
        if status == 200:
            try:
                answer = parse(data)
            except XmlRejected as exc:
                raise self.Rejected(f"{system} answer refused: {exc.reason}", status_code=status) from exc
            error = self._error_in(answer)
            if error is not None:
                raise self.Rejected(
                    f"{system} answered with an error: {error.code}: {error.message}",
                    status_code=status,
                    error_code=error.code,
                )
            return answer
        error = self._error_details(data, parse)
        code = error.code if error is not None else None
        described = f"HTTP {status}" + (f" {code}: {error.message}" if error is not None and code else "")
        raise retry_or_reject(status, described, system, self.Rejected, error_code=code)

    def _error_details(self, data: bytes, parse: Callable[[bytes], A]) -> ErrorAnswer | None:
        """The ``<Hata>`` of an error answer, if it is a valid one (proxies send HTML)."""
        try:
            return self._error_in(parse(data))
        except XmlRejected:
            return None

    def _error_in(self, answer: Any) -> ErrorAnswer | None:
        """The ``<Hata>`` in a parsed answer: here, in the root of a document of ANSWER_SCHEMA."""
        hata = answer.find(self.ANSWER_NS.q("Hata"))
        return None if hata is None else _Hata(hata.get("kod"), collapse(hata.text))

    @cached_property
    def _schema(self) -> XsdSchema:
        return load_schema(self.ANSWER_SCHEMA)

    def _document(self, data: bytes) -> Any:
        """An answer of ANSWER_SCHEMA, parsed safely and validated: its root."""
        return parse_and_validate(data, self._schema, max_bytes=self._max_answer_bytes)
