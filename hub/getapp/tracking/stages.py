"""The stages a declaration goes through, as GET-APP shows them (A1), and the calendar of the statistics."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum


class Stage(StrEnum):
    LODGED = "lodged"  # tescil
    ACCEPTED = "accepted"  # kabul
    INSPECTION_COMPLETED = "inspection_completed"  # muayene tamamlandı
    CLOSED = "closed"  # kapanmış
    REJECTED = "rejected"  # reddedildi
    CANCELLED = "cancelled"  # iptal

    @property
    def rank(self) -> int:
        """Place in the lifecycle. Stages are ordered by it, then by time, whatever order their events came in."""
        return _RANK[self]

    @property
    def label_tr(self) -> str:
        return _LABEL_TR[self]

    @property
    def is_terminal(self) -> bool:
        return self in (Stage.CLOSED, Stage.REJECTED, Stage.CANCELLED)


_RANK = {
    Stage.LODGED: 0,
    Stage.ACCEPTED: 1,
    Stage.INSPECTION_COMPLETED: 2,
    Stage.CLOSED: 3,
    Stage.REJECTED: 3,
    Stage.CANCELLED: 3,
}

_LABEL_TR = {
    Stage.LODGED: "Tescil edildi",
    Stage.ACCEPTED: "Kabul edildi",
    Stage.INSPECTION_COMPLETED: "Muayene tamamlandı",
    Stage.CLOSED: "Kapanmış",
    Stage.REJECTED: "Reddedildi",
    Stage.CANCELLED: "İptal edildi",
}

# Stages whose duration is a processing time customs is answerable for (A1 averages): the terminal
# stages have no end, and a lodgement the declarant withdrew (cancelled) measures the declarant, not customs.
TIMED_STAGES = (Stage.LODGED, Stage.ACCEPTED, Stage.INSPECTION_COMPLETED)

OPEN_STAGES = (Stage.LODGED, Stage.ACCEPTED, Stage.INSPECTION_COMPLETED)

# Stages in which customs is still processing the declaration (its next act is an officer's): the
# current one of them is "running". Inspection completed ends customs' processing: the declaration
# stays open, waiting for the goods' re-export, re-import or exit (the holder's act), so it is the
# current stage "since" a time, not a step under way.
PROCESSING_STAGES = (Stage.LODGED, Stage.ACCEPTED)

# Türkiye time: UTC+03:00 all year since 2016 (no daylight saving), so a fixed offset needs no tz database.
TURKEY = timezone(timedelta(hours=3), "TRT")

_MONTH = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")


def month_of(at: datetime) -> str:
    """The calendar month (YYYY-MM) in Türkiye of an instant: statistics follow the Turkish calendar."""
    return at.astimezone(TURKEY).strftime("%Y-%m")


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """[start, end) of a YYYY-MM month in Türkiye, as UTC instants; ValueError when malformed."""
    if _MONTH.fullmatch(month) is None:
        raise ValueError(f"month {month!r} is not YYYY-MM")
    start = datetime(int(month[:4]), int(month[5:]), 1, tzinfo=TURKEY)
    end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
    return start.astimezone(UTC), end.astimezone(UTC)
