"""Customs offices (gümrük idareleri) the hub knows: whether each is a border or inland office,
and the regional directorate (Gümrük ve Dış Ticaret Bölge Müdürlüğü) and region it belongs to.

The path rules (E1, E2, I1–I3, T1–T3, R1–R3, X1–X2) depend on the kind of office; the statistics
(C4) on the directorate and region; an office not listed is refused (G1, G5). docs/offices.md
shows the list with the rules each kind decides.

The list is data, not code: `offices.csv` beside this module, shipped in the package (a sample of
real offices; codes are the hub's own). It is read once, when this module is first imported, and
checked strictly: a broken file stops the process at start, naming the line and what is wrong,
rather than letting a rule decide on a half-read list. The rules never read anything: they are
given an `OfficeRegistry` (`Context.offices`), immutable like the offices in it. The Ministry's
full office list plugs in as another registry (`OfficeRegistry.from_csv` on its text), handed to
the core by whoever builds it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Any, Final

from hub.domain.model import OfficeKind

SHIPPED_FILE: Final = "offices.csv"
COLUMNS: Final = ("code", "name", "kind", "directorate", "region")
_CODE: Final = re.compile(r"^\d{6}$")  # the office's part of a declaration number (26 220100 ...)


@dataclass(frozen=True)
class Office:
    code: str
    name: str
    kind: OfficeKind
    directorate: str
    region: str


class BrokenRegistry(ValueError):
    """An office list the hub refuses to run on: every problem found, each with its line."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: the office list is broken:\n" + "\n".join(f"  {p}" for p in problems))


class OfficeRegistry:
    """The offices by code; no code twice."""

    def __init__(self, offices: Iterable[Office]) -> None:
        by_code: dict[str, Office] = {}
        for office in offices:
            if office.code in by_code:
                raise ValueError(f"office code {office.code} twice: {by_code[office.code].name}, {office.name}")
            by_code[office.code] = office
        self._offices: Mapping[str, Office] = MappingProxyType(by_code)

    def get(self, code: str | None) -> Office | None:
        return self._offices.get(code or "")

    def __iter__(self) -> Iterator[Office]:
        return iter(self._offices.values())

    def __len__(self) -> int:
        return len(self._offices)

    @classmethod
    def from_csv(cls, text: str, source: str = SHIPPED_FILE) -> OfficeRegistry:
        """The offices of a CSV text with the columns of `COLUMNS` (a header line first, UTF-8; a
        spreadsheet's byte-order mark is tolerated). Refuses the whole list, with every problem and
        its line, when a column is missing or unknown, a code is not six digits or appears twice, a
        kind is neither border nor inland, or a name, directorate or region is empty."""
        reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=""), strict=True)
        try:
            header = reader.fieldnames or []
            rows = [(reader.line_num, row) for row in reader]
        except csv.Error as exc:
            raise BrokenRegistry(source, [f"line {reader.line_num}: not CSV ({exc})"]) from None
        problems = _header_problems(header)
        if problems:
            raise BrokenRegistry(source, problems)
        offices: list[Office] = []
        first_line: dict[str, int] = {}
        for line, row in rows:
            office, row_problems = _office(row)
            problems += [f"line {line}: {p}" for p in row_problems]
            if office is None:
                continue
            if office.code in first_line:
                problems.append(
                    f"line {line}: office code {office.code} twice (first on line {first_line[office.code]})"
                )
                continue
            first_line[office.code] = line
            offices.append(office)
        if not problems and not offices:
            problems.append("no office listed")
        if problems:
            raise BrokenRegistry(source, problems)
        return cls(offices)

    @classmethod
    def shipped(cls) -> OfficeRegistry:
        """The list shipped with the hub (`hub/domain/offices.csv`, package data)."""
        text = resources.files("hub.domain").joinpath(SHIPPED_FILE).read_text(encoding="utf-8")
        return cls.from_csv(text, f"hub/domain/{SHIPPED_FILE}")


def _header_problems(header: Sequence[str]) -> list[str]:
    problems = []
    if missing := [c for c in COLUMNS if c not in header]:
        problems.append(f"line 1: missing column(s) {', '.join(missing)} (the header is {','.join(COLUMNS)})")
    if unknown := [c for c in header if c not in COLUMNS]:
        problems.append(f"line 1: unknown column(s) {', '.join(repr(c) for c in unknown)}")
    if len(set(header)) != len(header):
        problems.append("line 1: a column is named twice")
    return problems


def _office(row: Mapping[str | None, Any]) -> tuple[Office | None, list[str]]:
    if None in row:
        return None, [f"{len(COLUMNS) + len(row[None] or [])} fields, the header names {len(COLUMNS)}"]
    values = {column: str(row.get(column) or "").strip() for column in COLUMNS}
    if any(row.get(column) is None for column in COLUMNS):
        return None, [f"fewer fields than the header's {len(COLUMNS)}"]
    problems = []
    if not _CODE.match(values["code"]):
        problems.append(f"office code {values['code']!r} is not six digits")
    kinds = [k.value for k in OfficeKind]
    if values["kind"] not in kinds:
        problems.append(f"office {values['code']}: kind {values['kind']!r} is none of {', '.join(kinds)}")
    problems += [f"office {values['code']}: no {c}" for c in ("name", "directorate", "region") if not values[c]]
    if problems:
        return None, problems
    return Office(
        values["code"], values["name"], OfficeKind(values["kind"]), values["directorate"], values["region"]
    ), []


OFFICES = OfficeRegistry.shipped()
