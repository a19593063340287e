"""YKTS adapter: is this person directly authorised to represent this firm? (rules A4, A5)

YKTS (Yükümlü Kayıt ve Takip Sistemi) registers obligor firms by VKN, the persons authorised to
represent them by TCKN with the kind and validity of each authority, and each firm's registered
e-mail address. GET-APP lets a firm apply only through a person YKTS holds as its direct
representative (A4), and sends the firm's user code to the address registered in YKTS (A5).

    async with YktsClient.from_settings(YktsSettings.from_env()) as ykts:
        answer = await ykts.check_authority("1423789050", "10000000146", today=date(2026, 11, 21))
        if answer.authorised:
            send_user_code(to=answer.firm_email)     # never to an address typed in the application

What this adapter decides, and what it leaves to others:

- YKTS answers with the person's authority records for the firm, whatever their kind and dates.
  The client decides, on the caller's ``today``: only a DOGRUDAN_TEMSIL (direct representation)
  record valid that day (start and end days inclusive, no end: until revoked) makes the person
  directly authorised (A4). An indirect representative (DOLAYLI_TEMSIL) or an employee (CALISAN)
  is not, nor is a direct authority that has ended or not yet begun; ``reason`` says which.
- A malformed id (VKN not 10 ASCII digits with a valid check digit, TCKN not 11 ASCII digits with
  valid check digits, rule G2) raises :class:`InvalidIdentity` before YKTS is asked.
- An unusable answer raises :class:`YktsRejected` at once; YKTS out of reach raises
  :class:`YktsUnavailable` once the retries are spent. Neither is "not authorised": an applicant
  must not be turned away as unauthorised because YKTS was down.
- Retries (exponential backoff, full jitter, bounded attempts, a timeout per attempt) only for
  what a retry can cure: transport errors, timeouts, HTTP 5xx and 429. A 4xx (wrong key,
  malformed id) or an answer that breaks the schema (or is hostile XML) would fail the same way
  again, so it is not retried.

The wire format is described in ``schemas/ykts/yetki-sorgu-yanit.xsd`` and
:mod:`adapters.ykts.simulator`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

from pydantic_settings import SettingsConfigDict

from adapters.system import (
    ExternalSystemError,
    InvalidReference,
    Namespace,
    SystemClient,
    SystemRejected,
    SystemUnavailable,
)
from hub.domain.identity import tckn_is_valid
from hub.runtime.edge import ExternalSystemSettings

__all__ = [
    "ANSWER_SCHEMA_PATH",
    "DIRECT_REPRESENTATION",
    "NS",
    "AuthorityAnswer",
    "InvalidIdentity",
    "YktsClient",
    "YktsError",
    "YktsRejected",
    "YktsSettings",
    "YktsUnavailable",
    "identity_problem",
    "vkn_is_valid",
]

log = logging.getLogger(__name__)

ANSWER_SCHEMA_PATH: Final = Path(__file__).resolve().parents[2] / "schemas" / "ykts" / "yetki-sorgu-yanit.xsd"
NS: Final = "urn:gtb:ykts:yetki-sorgu:1"
_NS: Final = Namespace(NS)
_q, _text = _NS.q, _NS.text
DIRECT_REPRESENTATION: Final = "DOGRUDAN_TEMSIL"
_KIND_NAMES: Final = {
    "DOGRUDAN_TEMSIL": "direct representative",
    "DOLAYLI_TEMSIL": "indirect representative",
    "CALISAN": "employee",
}
# [0-9], not \d nor str.isdigit(): those also accept non-ASCII digits.
_VKN_SHAPE: Final = re.compile(r"[0-9]{10}")
_TCKN_SHAPE: Final = re.compile(r"[0-9]{11}")
_USER_AGENT: Final = "ata-hub-ykts-adapter/0.1"


class YktsError(ExternalSystemError):
    """Base of the YKTS adapter's errors."""

    SYSTEM = "YKTS"


class InvalidIdentity(YktsError, InvalidReference):
    """The VKN or TCKN cannot be a real one (rule G2); YKTS is not asked."""


class YktsUnavailable(YktsError, SystemUnavailable):
    """YKTS could not be reached or kept failing (5xx/429/timeouts), or its circuit is open."""


class YktsRejected(YktsError, SystemRejected):
    """YKTS answered, but the answer cannot be used, or YKTS refused the request (4xx, <Hata>)."""


@dataclass(frozen=True, slots=True)
class AuthorityAnswer:
    """YKTS's answer about one person and one firm, judged on one day (A4, A5).

    ``firm_name`` and ``firm_email`` are YKTS's registered data, present whenever YKTS disclosed
    the firm (it does when the person holds some authority for it, even one that does not count).
    ``reason`` says why not when ``authorised`` is false, and is empty otherwise.
    """

    firm_known: bool
    firm_name: str | None
    firm_email: str | None
    authorised: bool
    reason: str = ""


class YktsSettings(ExternalSystemSettings):
    """Where and how to reach YKTS: ``YKTS_BASE_URL``, ``YKTS_API_KEY`` and the ``YKTS_*`` tuning."""

    model_config = SettingsConfigDict(env_prefix="YKTS_")


def vkn_is_valid(value: str) -> bool:
    """The public VKN algorithm: 10 ASCII digits, the last a check digit over the first nine."""
    if not _VKN_SHAPE.fullmatch(value):
        return False
    digits = [int(c) for c in value]
    total = 0
    for i, digit in enumerate(digits[:9]):
        shifted = (digit + 9 - i) % 10
        weighted = (shifted * 2 ** (9 - i)) % 9
        total += 9 if shifted != 0 and weighted == 0 else weighted
    return (10 - total % 10) % 10 == digits[9]


def identity_problem(firm_vkn: str, person_tckn: str) -> str | None:
    """Why this pair cannot be looked up in YKTS (rule G2), or None when both are well formed."""
    # rule: G2
    if not vkn_is_valid(firm_vkn):
        return f"VKN {firm_vkn!r} is not 10 digits with a valid check digit"
    if not (_TCKN_SHAPE.fullmatch(person_tckn) and tckn_is_valid(person_tckn)):
        return f"TCKN {person_tckn!r} is not 11 digits with valid check digits"
    return None


class YktsClient(SystemClient):
    """Async client of YKTS's authority look-up (yetki sorgu). Use as ``async with``, or call :meth:`aclose`."""

    USER_AGENT = _USER_AGENT
    SYSTEM = "YKTS"
    PROBE_PATH = "firma/0000000000/yetkili/00000000000"  # a number that cannot exist: any answer shows YKTS is up
    Rejected = YktsRejected
    Unavailable = YktsUnavailable
    ANSWER_SCHEMA = ANSWER_SCHEMA_PATH
    ANSWER_NS = _NS

    async def check_authority(self, firm_vkn: str, person_tckn: str, today: date) -> AuthorityAnswer:
        """Ask YKTS whether ``person_tckn`` is directly authorised to represent ``firm_vkn`` on ``today`` (A4).

        Returns the judged answer, with the firm's registered e-mail address when YKTS disclosed
        it (A5). Raises :class:`InvalidIdentity` before asking for a malformed id,
        :class:`YktsRejected` for a refused request or an unusable answer (not retried), and
        :class:`YktsUnavailable` once ``max_attempts`` attempts failed in a retryable way.
        """
        problem = identity_problem(firm_vkn, person_tckn)
        if problem is not None:
            raise InvalidIdentity(problem)
        path = f"firma/{quote(firm_vkn, safe='')}/yetkili/{quote(person_tckn, safe='')}"
        return await self._ask(path, self._document, lambda root: _to_answer(root, firm_vkn, person_tckn, today))


@dataclass(frozen=True, slots=True)
class _Authority:
    kind: str
    starts: date
    ends: date | None

    def valid_on(self, day: date) -> bool:
        return self.starts <= day and (self.ends is None or day <= self.ends)

    def why_not(self, day: date, firm_vkn: str) -> str:
        """Why this record does not make the person directly authorised on ``day``."""
        if self.kind != DIRECT_REPRESENTATION:
            return (
                f"the person is registered for firm {firm_vkn} as {self.kind} "
                f"({_KIND_NAMES.get(self.kind, 'other authority')}), not as a direct representative "
                f"({DIRECT_REPRESENTATION}): only a direct representative may apply (A4)"
            )
        if self.starts > day:
            return f"the person's direct representation of firm {firm_vkn} begins on {self.starts.isoformat()}"
        assert self.ends is not None  # neither started later nor open-ended: it has ended
        return f"the person's direct representation of firm {firm_vkn} ended on {self.ends.isoformat()}"


def _to_answer(root: Any, vkn: str, tckn: str, today: date) -> AuthorityAnswer:
    """Map a schema-valid answer to an AuthorityAnswer; check what the schema cannot express."""
    # A mixed-up answer (a cache, a proxy, a bug at YKTS) must never pass as this firm's or person's.
    asked_vkn, asked_tckn = _text(root, "SorgulananVkn"), _text(root, "SorgulananTckn")
    if (asked_vkn, asked_tckn) != (vkn, tckn):
        raise YktsRejected("YKTS answer is about another firm or person than asked", status_code=200)

    result = _text(root, "Sonuc")
    if result == "FIRMA_BULUNAMADI":
        return AuthorityAnswer(
            firm_known=False,
            firm_name=None,
            firm_email=None,
            authorised=False,
            reason=f"firm {vkn} is not registered in YKTS",
        )
    if result == "YETKI_BULUNAMADI":
        return AuthorityAnswer(
            firm_known=True,
            firm_name=None,
            firm_email=None,
            authorised=False,
            reason=f"the person holds no authority for firm {vkn} in YKTS",
        )

    firma = root.find(_q("Firma"))  # the schema guarantees it when there is no Sonuc
    if _text(firma, "Vkn") != vkn:
        raise YktsRejected("YKTS answer carries another firm than asked", status_code=200)
    authorities: list[_Authority] = []
    for yetki in root.iterfind(_q("Yetki")):
        if _text(yetki, "Tckn") != tckn:
            raise YktsRejected("YKTS answer carries an authority of another person than asked", status_code=200)
        try:
            starts = date.fromisoformat(_text(yetki, "BaslangicTarihi"))
            ends_text = _text(yetki, "BitisTarihi")
            ends = date.fromisoformat(ends_text) if ends_text else None
        except ValueError as exc:  # pragma: no cover - the schema's xs:date already refuses these
            raise YktsRejected(f"YKTS answer has an impossible date: {exc}", status_code=200) from exc
        if ends is not None and ends < starts:
            raise YktsRejected(
                f"YKTS answer has an authority ending ({ends}) before it begins ({starts})", status_code=200
            )
        authorities.append(_Authority(kind=_text(yetki, "YetkiTuru"), starts=starts, ends=ends))

    name, email = _text(firma, "Unvan"), _text(firma, "KayitliEposta")
    # rule: A4 - only a direct representation valid today counts.
    if any(a.kind == DIRECT_REPRESENTATION and a.valid_on(today) for a in authorities):
        return AuthorityAnswer(firm_known=True, firm_name=name, firm_email=email, authorised=True)
    reason = "; ".join(dict.fromkeys(a.why_not(today, vkn) for a in authorities))
    return AuthorityAnswer(firm_known=True, firm_name=name, firm_email=email, authorised=False, reason=reason)
