"""The life of import and export TCGBs as BİLGE would record it: a deterministic generator of their
stages, and the ``<TcgbDurumBildirimi>`` documents (``schemas/bilge/tcgb-durum.xsd``) BİLGE delivers
them in. The BİLGE simulator pushes these to the hub's intake (``POST /_sim/push-tcgb-life``), the demo
of ``hub run`` does too, and benchmarks and tests may use the generator alone (A1, A2).

    tcgb_stage_events(count, *, seed=0, start=DEFAULT_START, span=timedelta(days=1), firms=None,
                      until=None, first_sequence=1) -> list[TcgbStageReached]

is a pure function: the same arguments give the same stages, in the order BİLGE records them
(by ``reached_at``). :func:`tcgb_lives` gives the same TCGBs one at a time, each its stages in
order, without holding them all (a million TCGBs are about 4.4 million stages).
:func:`plain_tcgb_lives` gives the same whole lives as plain values (:class:`TcgbLife`), with no
model built: what :func:`tcgb_lives` wraps, fast enough for a benchmark's million TCGBs
(bench/tcgb_store.py).

What a TCGB's life looks like here (realistic shares and times, not BİLGE's statistics):

- **Direction and regime.** 55% imports (4000 serbest dolaşıma giriş 70%, 4071 antrepodan serbest
  dolaşıma 10%, 5100 dahilde işleme 10%, 7100 antrepo 10%), 45% exports (1000 kesin ihracat 85%,
  2100 hariçte işleme 5%, 3151 yeniden ihracat 10%). Never an ATA regime code (L2).
- **Offices.** Registered at any office of ``hub/domain/offices.csv``; an export registered at an
  inland office exits at a border office (the exit's ``office``), hours to days later; one
  registered at a border office exits there (``office`` None: its own office).
- **Firms.** An import's consignee and an export's consignor are Turkish firms (a VKN of ``firms``;
  the first firms of the list are the busiest, as in trade); the other side is abroad (no VKN), but
  for 5% of TCGBs (goods from or to a free zone), where both are Turkish firms.
- **Channel.** Green 60%, yellow 25%, red 10%, blue 5%, assigned minutes after registration.
  Green and blue have no examination (blue: released at once, checked after release); yellow's
  document check takes about 45 minutes, red's physical examination about 4 hours (up to days).
- **Stages.** registered → channel_assigned → examined (yellow, red) → paid (imports: duties paid
  or secured; exports pay none) → released → exited (exports only).
- **Cut at ``until``.** Stages after it are not reached yet: a stream ending "now" has TCGBs in
  every stage, as BİLGE has at any moment.

Numbers are BİLGE's: ``{yy}{office}{IM|EX}{sequence:06d}``, sequences per office, year and direction
from ``first_sequence`` (tests and runs that share a broker keep apart by it); a series past 999,999
is refused (ValueError) rather than given a seventh digit. A million TCGBs over a year at the twelve
offices are about 46,000 per series.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from heapq import merge
from itertools import accumulate
from math import log
from pathlib import Path
from typing import Any, Final, NamedTuple

from lxml import etree

from hub.domain.bilge import TcgbChannel, TcgbDirection, TcgbStage, TcgbStageReached
from hub.domain.model import OfficeKind
from hub.domain.offices import Office, OfficeRegistry
from hub.runtime.xmlsafe import load_schema, serialize_validated

__all__ = [
    "CHANNEL_SHARES",
    "DEFAULT_START",
    "MAX_RECORDS_PER_DOCUMENT",
    "TcgbLife",
    "default_firms",
    "plain_tcgb_lives",
    "status_document",
    "status_documents",
    "tcgb_lives",
    "tcgb_stage_events",
]

TURKIYE_TIME: Final = timezone(timedelta(hours=3))
DEFAULT_START: Final = datetime(2026, 11, 21, 8, 0, tzinfo=TURKIYE_TIME)
CHANNEL_SHARES: Final = {TcgbChannel.GREEN: 60, TcgbChannel.YELLOW: 25, TcgbChannel.RED: 10, TcgbChannel.BLUE: 5}
IMPORT_SHARE: Final = 0.55
TURKISH_BOTH_SIDES: Final = 0.05  # free-zone trade: consignee and consignor are both firms in Türkiye
_IMPORT_REGIMES: Final = {"4000": 70, "4071": 10, "5100": 10, "7100": 10}
_EXPORT_REGIMES: Final = {"1000": 85, "2100": 5, "3151": 10}
MAX_RECORDS_PER_DOCUMENT: Final = 5000  # tcgb-durum.xsd's maxOccurs
_LAST_SEQUENCE: Final = 999_999  # six digits

# Minutes, as (median, spread): log-normal, so most are near the median and a few take much longer.
_TO_CHANNEL: Final = (2.0, 0.8)
_EXAMINATION: Final = {TcgbChannel.YELLOW: (45.0, 0.7), TcgbChannel.RED: (240.0, 0.8)}
_TO_PAYMENT: Final = (20.0, 0.9)
_TO_RELEASE: Final = (15.0, 0.8)
_TO_EXIT_FROM_BORDER: Final = (90.0, 0.7)
_TO_EXIT_FROM_INLAND: Final = (14 * 60.0, 0.6)
_LONGEST_STEP: Final = timedelta(days=5)

_SCHEMA: Final = Path(__file__).resolve().parents[2] / "schemas" / "bilge" / "tcgb-durum.xsd"
_NS: Final = "urn:gtb:bilge:tcgb-durum:1"
# BİLGE's words for what the hub calls them (the adapter has its own table: a mistake here is not mirrored).
_DURUM: Final = {
    TcgbStage.REGISTERED: "TESCIL_EDILDI",
    TcgbStage.CHANNEL_ASSIGNED: "KANAL_BELIRLENDI",
    TcgbStage.EXAMINED: "MUAYENE_TAMAMLANDI",
    TcgbStage.PAID: "ODEME_YAPILDI",
    TcgbStage.RELEASED: "SERBEST_BIRAKILDI",
    TcgbStage.EXITED: "CIKIS_YAPILDI",
}
_KANAL: Final = {
    TcgbChannel.GREEN: "YESIL",
    TcgbChannel.YELLOW: "SARI",
    TcgbChannel.RED: "KIRMIZI",
    TcgbChannel.BLUE: "MAVI",
}
_YON: Final = {TcgbDirection.IMPORT: "ITHALAT", TcgbDirection.EXPORT: "IHRACAT"}


def default_firms(seed: int = 0, count: int = 50) -> list[str]:
    """``count`` VKNs (10 digits) of Turkish firms, the same for the same seed."""
    rng = random.Random(f"firms-{seed}")
    return [f"{rng.randrange(1, 10)}{rng.randrange(10**9):09d}" for _ in range(count)]


class TcgbLife(NamedTuple):
    """A TCGB's whole life as plain values: its header and every stage it reaches, in order."""

    number: str
    direction: TcgbDirection
    regime: str
    office: str  # where it was registered
    consignee: str | None
    consignor: str | None
    channel: TcgbChannel
    stages: tuple[tuple[TcgbStage, datetime, str | None], ...]  # (stage, reached at, office when not its own)


class _Shares(NamedTuple):
    """What to draw from and its cumulative weights: drawn as ``rng.choices(weights=...)`` draws, without
    summing the weights again at every draw (5,000 firms for each of a million TCGBs)."""

    population: tuple[Any, ...]
    cum_weights: tuple[float, ...]

    @classmethod
    def of(cls, population: Sequence[Any], weights: Sequence[float]) -> _Shares:
        return cls(tuple(population), tuple(accumulate(weights)))

    def draw(self, rng: random.Random) -> Any:
        return rng.choices(self.population, cum_weights=self.cum_weights)[0]


_REGIMES: Final = {
    TcgbDirection.IMPORT: _Shares.of(list(_IMPORT_REGIMES), list(_IMPORT_REGIMES.values())),
    TcgbDirection.EXPORT: _Shares.of(list(_EXPORT_REGIMES), list(_EXPORT_REGIMES.values())),
}
_CHANNELS: Final = _Shares.of(list(CHANNEL_SHARES), list(CHANNEL_SHARES.values()))


@dataclass(frozen=True)
class _World:
    offices: tuple[Office, ...]
    borders: tuple[Office, ...]
    firms: _Shares


def _world(firms: Sequence[str] | None, seed: int) -> _World:
    offices = tuple(OfficeRegistry.shipped())
    chosen = tuple(firms) if firms else tuple(default_firms(seed))
    return _World(
        offices=offices,
        borders=tuple(o for o in offices if o.kind is OfficeKind.BORDER),
        firms=_Shares.of(chosen, [1 / (rank + 1) for rank in range(len(chosen))]),  # Zipf: few firms trade most
    )


def _minutes(rng: random.Random, median_spread: tuple[float, float]) -> timedelta:
    median, spread = median_spread
    step = timedelta(minutes=rng.lognormvariate(log(median), spread))
    return min(max(step, timedelta(seconds=30)), _LONGEST_STEP)


def tcgb_lives(
    count: int,
    *,
    seed: int = 0,
    start: datetime = DEFAULT_START,
    span: timedelta = timedelta(days=1),
    firms: Sequence[str] | None = None,
    until: datetime | None = None,
    first_sequence: int = 1,
) -> Iterator[tuple[TcgbStageReached, ...]]:
    """``count`` TCGBs registered over ``[start, start + span)``, one at a time in registration order,
    each as the stages it reached by ``until`` (all of them without ``until``), in order. Pure and
    deterministic: the same arguments give the same TCGBs. ``firms``: the VKNs of the Turkish firms
    that trade (busiest first); by default :func:`default_firms` of the seed."""
    lives = plain_tcgb_lives(count, seed=seed, start=start, span=span, firms=firms, first_sequence=first_sequence)
    for life in lives:
        yield _reached(life, until)


def plain_tcgb_lives(
    count: int,
    *,
    seed: int = 0,
    start: datetime = DEFAULT_START,
    span: timedelta = timedelta(days=1),
    firms: Sequence[str] | None = None,
    first_sequence: int = 1,
) -> Iterator[TcgbLife]:
    """The TCGBs of :func:`tcgb_lives` for the same arguments, whole, as plain values."""
    if count < 0:
        raise ValueError("count must not be negative")
    rng = random.Random(seed)
    world = _world(firms, seed)
    registered = sorted(rng.random() for _ in range(count))  # where in the span, in order
    sequences: dict[str, int] = {}
    for offset in registered:
        yield _life(rng, world, start + span * offset, sequences, first_sequence)


def _life(rng: random.Random, world: _World, at: datetime, sequences: dict[str, int], first: int) -> TcgbLife:
    direction = TcgbDirection.IMPORT if rng.random() < IMPORT_SHARE else TcgbDirection.EXPORT
    regime = _REGIMES[direction].draw(rng)
    office = rng.choice(world.offices)
    channel = _CHANNELS.draw(rng)
    ours = world.firms.draw(rng)
    other = world.firms.draw(rng) if rng.random() < TURKISH_BOTH_SIDES else None
    consignee, consignor = (ours, other) if direction is TcgbDirection.IMPORT else (other, ours)
    letters = "IM" if direction is TcgbDirection.IMPORT else "EX"
    series = f"{at:%y}{office.code}{letters}"
    sequence = sequences[series] = sequences.get(series, first - 1) + 1
    if sequence > _LAST_SEQUENCE:
        raise ValueError(f"series {series} is full: more than {_LAST_SEQUENCE:,} TCGBs in a year at one office")
    stages: list[tuple[TcgbStage, datetime, str | None]] = [(TcgbStage.REGISTERED, at, None)]

    def reach(stage: TcgbStage, after: timedelta, office: str | None = None) -> None:
        stages.append((stage, stages[-1][1] + after, office))

    reach(TcgbStage.CHANNEL_ASSIGNED, _minutes(rng, _TO_CHANNEL))
    if channel in _EXAMINATION:
        reach(TcgbStage.EXAMINED, _minutes(rng, _EXAMINATION[channel]))
    if direction is TcgbDirection.IMPORT:
        reach(TcgbStage.PAID, _minutes(rng, _TO_PAYMENT))
    reach(TcgbStage.RELEASED, _minutes(rng, _TO_RELEASE))
    if direction is TcgbDirection.EXPORT:
        if office.kind is OfficeKind.BORDER:
            reach(TcgbStage.EXITED, _minutes(rng, _TO_EXIT_FROM_BORDER))
        else:
            reach(TcgbStage.EXITED, _minutes(rng, _TO_EXIT_FROM_INLAND), rng.choice(world.borders).code)
    number = f"{series}{sequence:06d}"
    return TcgbLife(number, direction, regime, office.code, consignee, consignor, channel, tuple(stages))


def _reached(life: TcgbLife, until: datetime | None) -> tuple[TcgbStageReached, ...]:
    """The stages of ``life`` reached by ``until``, as the events BİLGE's records make."""
    registration = TcgbStageReached(
        tcgb_number=life.number,
        direction=life.direction,
        regime=life.regime,
        customs_office=life.office,
        consignee_vkn=life.consignee,
        consignor_vkn=life.consignor,
        stage=TcgbStage.REGISTERED,
        reached_at=life.stages[0][1],
    )
    reached = [registration]
    for stage, at, office in life.stages[1:]:
        if until is not None and at > until:
            break  # stages are in time order: the rest are not reached either
        # The header again, validated once above: a copy is all a further stage needs.
        update: dict[str, Any] = {"stage": stage, "reached_at": at}
        if stage is TcgbStage.CHANNEL_ASSIGNED:
            update["channel"] = life.channel
        if office is not None:
            update["office"] = office
        reached.append(registration.model_copy(update=update))
    return tuple(reached) if until is None or registration.reached_at <= until else ()


def tcgb_stage_events(
    count: int,
    *,
    seed: int = 0,
    start: datetime = DEFAULT_START,
    span: timedelta = timedelta(days=1),
    firms: Sequence[str] | None = None,
    until: datetime | None = None,
    first_sequence: int = 1,
) -> list[TcgbStageReached]:
    """Every stage ``count`` TCGBs reached (by ``until``), in the order BİLGE records them (by time):
    the stream BİLGE delivers. Pure and deterministic; arguments as :func:`tcgb_lives`."""
    lives = tcgb_lives(
        count, seed=seed, start=start, span=span, firms=firms, until=until, first_sequence=first_sequence
    )
    return list(merge(*(iter(life) for life in lives), key=lambda stage: stage.reached_at))


def status_document(stages: Sequence[TcgbStageReached], *, transaction_id: str, sent_at: datetime) -> bytes:
    """The ``<TcgbDurumBildirimi>`` carrying ``stages`` (1 to 5,000), validated against tcgb-durum.xsd."""
    q = f"{{{_NS}}}"
    root = etree.Element(f"{q}TcgbDurumBildirimi", nsmap={None: _NS}, surum="1.0")
    etree.SubElement(root, f"{q}IslemNo").text = transaction_id
    etree.SubElement(root, f"{q}IslemZamani").text = sent_at.astimezone(TURKIYE_TIME).isoformat()
    records = etree.SubElement(root, f"{q}DurumKayitlari")
    for stage in stages:
        record = etree.SubElement(records, f"{q}DurumKaydi")
        fields = (
            ("BeyannameNo", stage.tcgb_number),
            ("Yon", _YON[stage.direction]),
            ("Rejim", stage.regime),
            ("GumrukIdaresi", stage.customs_office),
            ("AliciVergiNo", stage.consignee_vkn),
            ("GondericiVergiNo", stage.consignor_vkn),
            ("Durum", _DURUM[stage.stage]),
            ("DurumZamani", stage.reached_at.astimezone(TURKIYE_TIME).isoformat()),
            ("DurumIdaresi", stage.office),
            ("Kanal", _KANAL[stage.channel] if stage.channel is not None else None),
        )
        for tag, value in fields:
            if value is not None:
                etree.SubElement(record, f"{q}{tag}").text = value
    return serialize_validated(root, load_schema(_SCHEMA))


def status_documents(
    stages: Sequence[TcgbStageReached], *, prefix: str, batch_size: int = 1000
) -> Iterator[tuple[str, bytes]]:
    """``stages`` as BİLGE delivers them: documents of ``batch_size`` records each, in order, as
    ``(transaction id, document)``; each sent at its last record's time. The transaction ids are
    ``{prefix}-{n}`` (``prefix``: letters, digits and hyphens), the document's X-Belge-No."""
    if not 1 <= batch_size <= MAX_RECORDS_PER_DOCUMENT:
        raise ValueError(f"batch_size must be 1 to {MAX_RECORDS_PER_DOCUMENT}")
    for n, first in enumerate(range(0, len(stages), batch_size), start=1):
        batch = stages[first : first + batch_size]
        transaction_id = f"{prefix}-{n}"
        yield transaction_id, status_document(batch, transaction_id=transaction_id, sent_at=batch[-1].reached_at)
