"""BİLGE adapter: the hub's calls to BİLGE, the national customs declaration system.

    async with BilgeClient.from_settings(BilgeSettings.from_env()) as bilge:
        legacy = await bilge.fetch_legacy("21343300IM000412")        # L1; None: BİLGE does not know it
        summary = await bilge.fetch_summary("26340900OB000214")      # S1, S2: (office, parts) or None
        await bilge.send_closure(closure)                             # S4: returns once BİLGE confirmed
        await bilge.send_tcgb_answer(answered)                        # F2: returns once BİLGE recorded it

BİLGE web service (modelled: the real contract is not public; documents in ``schemas/bilge/``,
mapping in :mod:`adapters.bilge.xml`). XML over HTTPS, the API key in a header (``X-Api-Key`` by
default), every answer ``application/xml; charset=utf-8`` with ``<Hata kod="...">`` on errors:

``GET /beyanname/{BeyannameNo}``
    ATA karneli beyanname sorgu: a declaration lodged in BİLGE under an ATA carnet (L1). 200
    ``<BeyannameSorguYanit>`` with ``<Sonuc>BULUNDU</Sonuc>`` and the ``<Beyanname>``, or
    ``BULUNAMADI``; 400 ``GECERSIZ_BEYANNAME_NO``.
``GET /ozet-beyan/{OzetBeyanNo}``
    Özet beyan sorgu: a summary declaration with its transport documents and lines and the packages
    still open (S1, S2). 200 ``<OzetBeyanSorguYanit>`` BULUNDU/BULUNAMADI; 400 ``GECERSIZ_BEYANNAME_NO``.
``POST /ozet-beyan/kapanis``
    Body ``<OzetBeyanKapanisIstegi>``: close the opened part of the ÖB and release the goods from
    temporary storage (S4). 200 ``<OzetBeyanKapanisYanit>`` Durum UYGULANDI or DAHA_ONCE_UYGULANDI
    (closure id seen before: confirmed again, applied once); 400 ``GECERSIZ_ISTEK``; 404
    ``BULUNAMADI``; 409 ``KAP_ADEDI_ASILDI`` or ``KAPANIS_NO_CAKISMASI``.
``POST /tcgb/yanit``
    Body ``<TcgbYanit>``: the hub's answer about a TCGB's drawing-down (F2). 200
    ``<TcgbYanitAlindi>`` Durum KAYDEDILDI or DAHA_ONCE_KAYDEDILDI (the same answer again); 400
    ``GECERSIZ_ISTEK``.
All four: 401 ``YETKISIZ``, 429 ``COK_FAZLA_ISTEK``, 500 ``SISTEM_HATASI``, 503 ``HIZMET_KULLANILAMIYOR``.

What this adapter decides, and what it leaves to the core:

- It returns what BİLGE holds. A legacy 5800 dated after the cut-over is returned like any other:
  reporting it as an anomaly (L2), or refusing a regime or carnet that does not fit (L1), is the
  core's decision; so is checking packages opened against what is open (S2).
- ``None`` means BİLGE answered BULUNAMADI. An unusable answer, a refused request (4xx, including
  a closure BİLGE refuses) raises :class:`BilgeRejected` at once; BİLGE out of reach raises
  :class:`BilgeUnavailable` once the retries are spent. Neither is "not found".
- Retries (exponential backoff, full jitter, bounded attempts, a timeout per attempt) only for
  what a retry can cure: transport errors, timeouts, HTTP 5xx and 429. Both POSTs are safe to
  repeat: BİLGE applies a closure id once, and records an identical TCGB answer once.
- Documents the hub sends are validated before they leave; one that breaks its schema is the
  hub's bug and raises :class:`~hub.runtime.xmlsafe.XmlRejected` without calling BİLGE.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Final, Protocol, TypeVar
from urllib.parse import quote

from pydantic_settings import SettingsConfigDict

from adapters.bilge.xml import (
    BILGE_NUMBER_PATTERN,
    BilgeHata,
    closure_request_xml,
    parse_closure_answer,
    parse_legacy_answer,
    parse_summary_answer,
    parse_tcgb_receipt,
    tcgb_answer_xml,
)
from adapters.system import ExternalSystemError, InvalidReference, SystemClient, SystemRejected, SystemUnavailable
from hub.domain.bilge import LegacyDeclaration, SummaryClosureRequested, SummaryPart, TcgbAnswered
from hub.runtime.edge import ExternalSystemSettings

__all__ = [
    "BilgeClient",
    "BilgeError",
    "BilgeRejected",
    "BilgeSettings",
    "BilgeUnavailable",
    "InvalidBilgeNumber",
    "normalise_bilge_number",
]

log = logging.getLogger(__name__)

_USER_AGENT: Final = "ata-hub-bilge-adapter/0.1"


class BilgeError(ExternalSystemError):
    """Base of the BİLGE adapter's errors."""

    SYSTEM = "BİLGE"


class InvalidBilgeNumber(BilgeError, InvalidReference):
    """The number cannot be a BİLGE declaration or özet beyan number; BİLGE is not asked."""


class BilgeUnavailable(BilgeError, SystemUnavailable):
    """BİLGE could not be reached or kept failing (5xx/429/timeouts), or its circuit is open."""


class BilgeRejected(BilgeError, SystemRejected):
    """BİLGE answered, but the answer cannot be used, or BİLGE refused the request (4xx, ``<Hata>``)."""


class _Answer(Protocol):
    @property
    def error(self) -> BilgeHata | None: ...


_A = TypeVar("_A", bound=_Answer)


def normalise_bilge_number(number: str) -> str:
    """Trim and upper-case ``number``; raise :class:`InvalidBilgeNumber` unless it has BİLGE's
    16-character form: year (2), office (6), type letters (2), sequence (6), e.g. 26220100IM000123."""
    normalised = number.strip().upper()
    if not BILGE_NUMBER_PATTERN.fullmatch(normalised):
        raise InvalidBilgeNumber(f"{number!r} is not a BİLGE number (YY + 6-digit office + 2 letters + 6 digits)")
    return normalised


class BilgeSettings(ExternalSystemSettings):
    """Where and how to reach BİLGE: ``BILGE_BASE_URL``, ``BILGE_API_KEY`` and the ``BILGE_*`` tuning."""

    model_config = SettingsConfigDict(env_prefix="BILGE_")


class BilgeClient(SystemClient):
    """Async client of BİLGE's web service. Use as ``async with``, or call :meth:`aclose`."""

    USER_AGENT = _USER_AGENT
    SYSTEM = "BİLGE"
    PROBE_PATH = "beyanname/PROBE"  # a number that cannot exist: any answer shows BİLGE is up
    Rejected = BilgeRejected
    Unavailable = BilgeUnavailable

    # --- the four calls -----------------------------------------------------------------------

    async def fetch_legacy(self, bilge_number: str) -> LegacyDeclaration | None:
        """Fetch a declaration lodged in BİLGE under an ATA carnet (L1); ``None`` if BİLGE does not know it.

        Any regime and date comes back as BİLGE holds it (L2 is the core's check). Raises
        :class:`InvalidBilgeNumber` before asking for a malformed number, :class:`BilgeRejected`
        and :class:`BilgeUnavailable` as described in the module.
        """
        number = normalise_bilge_number(bilge_number)
        answer = await self._exchange("GET", f"beyanname/{quote(number, safe='')}", None, parse_legacy_answer)
        if answer.requested != number:
            # A mixed-up answer (a cache, a proxy, a bug at BİLGE) must never pass as this declaration.
            raise BilgeRejected(f"BİLGE answer is about {answer.requested}, not {number}", status_code=200)
        declaration = answer.declaration
        if declaration is not None and declaration.bilge_number != number:
            raise BilgeRejected(
                f"BİLGE answer carries declaration {declaration.bilge_number}, not {number}", status_code=200
            )
        return declaration

    async def fetch_summary(self, summary_number: str) -> tuple[str, tuple[SummaryPart, ...]] | None:
        """Fetch a summary declaration (özet beyan, S1, S2): its customs office and its parts.

        One part per transport document (``transport_line`` None), followed by one per line of it,
        each with packages declared and still open. ``None`` if BİLGE does not know the ÖB.
        """
        number = normalise_bilge_number(summary_number)
        answer = await self._exchange("GET", f"ozet-beyan/{quote(number, safe='')}", None, parse_summary_answer)
        if answer.requested != number:
            raise BilgeRejected(f"BİLGE answer is about {answer.requested}, not {number}", status_code=200)
        if not answer.found:
            return None
        if answer.summary_number != number:
            raise BilgeRejected(
                f"BİLGE answer carries özet beyan {answer.summary_number}, not {number}", status_code=200
            )
        assert answer.customs_office is not None  # found
        return answer.customs_office, answer.parts

    async def send_closure(self, request: SummaryClosureRequested) -> None:
        """Tell BİLGE the opened ÖB part closes and the goods leave temporary storage (S4).

        Returns once BİLGE confirmed, now or for an earlier sending of the same closure id: BİLGE
        applies a closure id once, so retries (ours or the caller's) close it once. A closure BİLGE
        refuses (unknown part, more packages than open, the id reused) raises :class:`BilgeRejected`.
        """
        body = closure_request_xml(request)  # XmlRejected: our bug, BİLGE is not called
        answer = await self._exchange("POST", "ozet-beyan/kapanis", body, parse_closure_answer)
        if answer.closure_id != request.closure_id or answer.summary_number != request.opening.summary_number:
            raise BilgeRejected(
                f"BİLGE confirmed closure {answer.closure_id} of {answer.summary_number}, "
                f"not {request.closure_id} of {request.opening.summary_number}",
                status_code=200,
            )
        if answer.already_applied:
            log.info("BİLGE had already applied closure %s (repeat confirmed)", request.closure_id)

    async def send_tcgb_answer(self, answer: TcgbAnswered) -> None:
        """Send the hub's answer about a TCGB's drawing-down (F2); returns once BİLGE recorded it."""
        body = tcgb_answer_xml(answer)  # XmlRejected: our bug, BİLGE is not called
        receipt = await self._exchange("POST", "tcgb/yanit", body, parse_tcgb_receipt)
        if receipt.tcgb_number != answer.tcgb_number:
            raise BilgeRejected(
                f"BİLGE acknowledged an answer about {receipt.tcgb_number}, not {answer.tcgb_number}", status_code=200
            )

    # --- one exchange, with retries -----------------------------------------------------------

    async def _exchange(
        self,
        method: str,
        path: str,
        body: bytes | None,
        parse: Callable[..., _A],
    ) -> _A:
        """Send until a usable answer, a non-retryable failure, or ``max_attempts`` attempts."""
        parse_capped: Callable[[bytes], _A] = partial(parse, max_bytes=self._max_answer_bytes)
        return await self._ask(path, parse_capped, _same, method=method, body=body, describe=f"BİLGE {method} /{path}")

    def _error_in(self, answer: _Answer) -> BilgeHata | None:
        """Each of BİLGE's answer documents carries its ``<Hata>`` as ``error``."""
        return answer.error


def _same(answer: _A) -> _A:
    return answer
