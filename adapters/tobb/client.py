"""TOBB adapter: fetch a Turkish carnet by its number (rule G3).

For a carnet issued in Türkiye the hub does not take the carnet's data from the declarant: it asks
TOBB, which issues and guarantees Turkish carnets and holds their database (karne veritabanı).

    async with TobbClient.from_settings(TobbSettings.from_env()) as tobb:
        carnet = await tobb.fetch_carnet("TR/2026/000123")   # None: TOBB does not know it

What this adapter decides, and what it leaves to the core:

- It returns TOBB's data as :class:`~hub.contract.messages.carnet.CarnetData`, expired carnets included:
  whether a carnet is still valid (rule V1) is the core's decision, made with the core's clock.
- ``None`` means TOBB answered BULUNAMADI. An unusable answer raises :class:`TobbRejected` at once;
  TOBB out of reach raises :class:`TobbUnavailable` once the retries are spent. Neither is "not
  found": a declaration must not be refused as "unknown carnet" because TOBB was down.
- Retries (exponential backoff, full jitter, bounded attempts) only for what a retry can cure:
  transport errors, timeouts, HTTP 5xx and 429. A 4xx (wrong key, malformed number) or an answer
  that breaks the schema would fail the same way again, so it is not retried.

The wire format is described in ``schemas/tobb/karne-sorgu-yanit.xsd`` and
:mod:`adapters.tobb.simulator`.
"""

from __future__ import annotations

import logging
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

from pydantic import ValidationError
from pydantic_settings import SettingsConfigDict

from adapters.system import (
    ExternalSystemError,
    InvalidReference,
    Namespace,
    SystemClient,
    SystemRejected,
    SystemUnavailable,
    collapse,
)
from hub.domain.carnet import CarnetData, GoodsListLine
from hub.runtime.edge import ExternalSystemSettings

__all__ = [
    "ANSWER_SCHEMA_PATH",
    "CARNET_NUMBER_PATTERN",
    "NS",
    "InvalidCarnetNumber",
    "TobbClient",
    "TobbError",
    "TobbRejected",
    "TobbSettings",
    "TobbUnavailable",
    "normalise_carnet_number",
]

log = logging.getLogger(__name__)

ANSWER_SCHEMA_PATH: Final = Path(__file__).resolve().parents[2] / "schemas" / "tobb" / "karne-sorgu-yanit.xsd"
NS: Final = "urn:tobb:ata:karne-sorgu:1"
_NS: Final = Namespace(NS)
_q, _text = _NS.q, _NS.text
# TR / issue year / six-digit serial. [0-9], not \d: \d would also accept non-ASCII digits.
CARNET_NUMBER_PATTERN: Final = re.compile(r"TR/[0-9]{4}/[0-9]{6}")
_USER_AGENT: Final = "ata-hub-tobb-adapter/0.1"


class TobbError(ExternalSystemError):
    """Base of the TOBB adapter's errors."""

    SYSTEM = "TOBB"


class InvalidCarnetNumber(TobbError, InvalidReference):
    """The number cannot be a Turkish carnet number; TOBB is not asked."""


class TobbUnavailable(TobbError, SystemUnavailable):
    """TOBB could not be reached or kept failing (5xx/429/timeouts), or its circuit is open."""


class TobbRejected(TobbError, SystemRejected):
    """TOBB answered, but the answer cannot be used, or TOBB refused the request (4xx, <Hata>)."""


def normalise_carnet_number(carnet_number: str) -> str:
    """Trim and upper-case ``carnet_number``; raise :class:`InvalidCarnetNumber` unless TR/YYYY/NNNNNN."""
    number = carnet_number.strip().upper()
    if not CARNET_NUMBER_PATTERN.fullmatch(number):
        raise InvalidCarnetNumber(f"{carnet_number!r} is not a Turkish carnet number (TR/YYYY/NNNNNN)")
    return number


class TobbSettings(ExternalSystemSettings):
    """Where and how to reach TOBB: ``TOBB_BASE_URL``, ``TOBB_API_KEY`` and the ``TOBB_*`` tuning."""

    model_config = SettingsConfigDict(env_prefix="TOBB_")


class TobbClient(SystemClient):
    """Async client of TOBB's carnet look-up (karne sorgu). Use as ``async with``, or call :meth:`aclose`."""

    USER_AGENT = _USER_AGENT
    SYSTEM = "TOBB"
    PROBE_PATH = "karne/TR%2F0000%2F000000"  # a number that cannot exist: any answer shows TOBB is up
    Rejected = TobbRejected
    Unavailable = TobbUnavailable
    ANSWER_SCHEMA = ANSWER_SCHEMA_PATH
    ANSWER_NS = _NS

    async def fetch_carnet(self, carnet_number: str) -> CarnetData | None:
        """Look ``carnet_number`` up in TOBB (rule G3).

        Returns the carnet (expired or not), or ``None`` if TOBB does not know it. Raises
        :class:`InvalidCarnetNumber` before asking for a number that cannot be Turkish,
        :class:`TobbRejected` for a refused request or an unusable answer (not retried), and
        :class:`TobbUnavailable` once ``max_attempts`` attempts failed in a retryable way.
        """
        number = normalise_carnet_number(carnet_number)  # rule: G3, fetched by the carnet number alone
        # quote() with safe="" sends "/" as %2F, so the number stays one path segment.
        return await self._ask(f"karne/{quote(number, safe='')}", self._document, lambda root: _to_carnet(root, number))


def _to_carnet(root: Any, requested: str) -> CarnetData | None:
    """Map a schema-valid answer to CarnetData; check what the schema cannot express."""
    asked = _text(root, "SorgulananKarneNo")
    if asked != requested:
        # A mixed-up answer (a cache, a proxy, a bug at TOBB) must never pass as this carnet.
        raise TobbRejected(f"TOBB answer is about {asked}, not {requested}", status_code=200)
    result = _text(root, "Sonuc")
    karne = root.find(_q("Karne"))
    if result == "BULUNAMADI":
        if karne is not None:
            raise TobbRejected("TOBB answer says BULUNAMADI but carries a carnet", status_code=200)
        return None
    if karne is None:
        raise TobbRejected("TOBB answer says BULUNDU but carries no carnet", status_code=200)
    if _text(karne, "KarneNo") != requested:
        raise TobbRejected(f"TOBB answer carries carnet {_text(karne, 'KarneNo')}, not {requested}", status_code=200)

    try:
        hamil = karne.find(_q("Hamil"))
        goods = tuple(_to_line(kalem) for kalem in karne.find(_q("EsyaListesi")).iterfind(_q("Kalem")))
        return CarnetData(
            carnet_number=requested,
            holder_name=_text(hamil, "Unvan"),
            holder_id=_text(hamil, "VergiNo") or _text(hamil, "TCKimlikNo") or None,
            issuing_country=_text(karne, "DuzenleyenUlke"),
            issuing_chamber=_text(karne, "DuzenleyenOda"),
            issued_on=date.fromisoformat(_text(karne, "DuzenlemeTarihi")),
            valid_until=date.fromisoformat(_text(karne, "GecerlilikTarihi")),
            goods=goods,
        )
    except (ValidationError, ValueError, InvalidOperation) as exc:
        # Valid against the schema yet not a carnet the hub can hold, e.g. an impossible date.
        raise TobbRejected(f"TOBB answer does not fit the carnet model: {exc}", status_code=200) from exc


def _to_line(kalem: Any) -> GoodsListLine:
    deger = kalem.find(_q("Deger"))
    return GoodsListLine(
        line_no=int(_text(kalem, "SiraNo")),
        description=_text(kalem, "TicariTanim"),
        quantity=int(_text(kalem, "Miktar")),
        weight_kg=Decimal(_text(kalem, "Agirlik")),  # birim is always KG (schema)
        value=Decimal(collapse(deger.text)),
        currency=deger.get("dovizCinsi"),
        origin_country=_text(kalem, "MenseUlke"),
    )
