"""The office registry, loaded from hub/domain/offices.csv (package data): what the rules know of each
office, and a broken list refused with the line and the reason."""

from __future__ import annotations

import pytest

from hub.domain.model import OfficeKind
from hub.domain.offices import OFFICES, BrokenRegistry, Office, OfficeRegistry

HEADER = "code,name,kind,directorate,region\n"
KAPIKULE = "220100,Kapıkule Gümrük Müdürlüğü,border,Trakya GDTBM,Marmara\n"
ERENKOY = "342000,Erenköy Gümrük Müdürlüğü,inland,İstanbul GDTBM,Marmara\n"

# What hub/domain/offices.py held as Python before the list became a data file: every office, its kind,
# directorate and region. The rules' border/inland decisions are checked on these by tests/domain.
BEFORE_THE_DATA_FILE = [
    ("220100", "Kapıkule Gümrük Müdürlüğü", "border", "Trakya GDTBM", "Marmara"),
    ("220300", "İpsala Gümrük Müdürlüğü", "border", "Trakya GDTBM", "Marmara"),
    ("340900", "İstanbul Havalimanı Gümrük Müdürlüğü", "border", "İstanbul GDTBM", "Marmara"),
    ("342000", "Erenköy Gümrük Müdürlüğü", "inland", "İstanbul GDTBM", "Marmara"),
    ("343300", "Halkalı Gümrük Müdürlüğü", "inland", "İstanbul GDTBM", "Marmara"),
    ("160100", "Bursa Gümrük Müdürlüğü", "inland", "Uludağ GDTBM", "Marmara"),
    ("060100", "Ankara Gümrük Müdürlüğü", "inland", "Orta Anadolu GDTBM", "İç Anadolu"),
    ("350200", "İzmir Adnan Menderes Havalimanı Gümrük Müdürlüğü", "border", "Ege GDTBM", "Ege"),
    ("350100", "İzmir Gümrük Müdürlüğü", "inland", "Ege GDTBM", "Ege"),
    ("070100", "Antalya Gümrük Müdürlüğü", "border", "Batı Akdeniz GDTBM", "Akdeniz"),
    ("310100", "Cilvegözü Gümrük Müdürlüğü", "border", "Doğu Akdeniz GDTBM", "Akdeniz"),
    ("040100", "Gürbulak Gümrük Müdürlüğü", "border", "Doğu Anadolu GDTBM", "Doğu Anadolu"),
]


def refusal(text: str) -> str:
    with pytest.raises(BrokenRegistry) as refused:
        OfficeRegistry.from_csv(text, "offices.csv")
    return str(refused.value)


def test_the_shipped_list_is_every_office_with_the_kind_the_rules_used_before() -> None:
    shipped = [(o.code, o.name, o.kind.value, o.directorate, o.region) for o in OFFICES]
    assert shipped == BEFORE_THE_DATA_FILE
    assert OFFICES.get("220100") == Office(
        "220100", "Kapıkule Gümrük Müdürlüğü", OfficeKind.BORDER, "Trakya GDTBM", "Marmara"
    )
    assert OFFICES.get("999999") is None and OFFICES.get(None) is None


def test_the_registry_cannot_be_changed_once_loaded() -> None:
    office = OFFICES.get("342000")
    assert office is not None
    with pytest.raises(AttributeError):
        office.kind = OfficeKind.BORDER  # type: ignore[misc]
    with pytest.raises(TypeError):
        OFFICES._offices["342000"] = office  # type: ignore[index]


def test_a_code_listed_twice_is_refused_naming_both_lines() -> None:
    message = refusal(HEADER + KAPIKULE + ERENKOY + KAPIKULE.replace("Kapıkule", "Kapıkule (again)"))
    assert "offices.csv: the office list is broken" in message
    assert "line 4: office code 220100 twice (first on line 2)" in message


def test_an_unknown_kind_is_refused_naming_the_line_and_the_kinds() -> None:
    message = refusal(HEADER + KAPIKULE + ERENKOY.replace("inland", "dry-port"))
    assert "line 3: office 342000: kind 'dry-port' is none of border, inland" in message


def test_every_problem_of_a_broken_list_is_named_at_once() -> None:
    message = refusal(
        HEADER
        + "22010,Kapıkule Gümrük Müdürlüğü,border,Trakya GDTBM,Marmara\n"  # five digits
        + "342000, ,inland,İstanbul GDTBM,Marmara\n"  # no name
        + "343300,Halkalı Gümrük Müdürlüğü,inland,İstanbul GDTBM\n"  # a field short
        + "160100,Bursa Gümrük Müdürlüğü,inland,Uludağ GDTBM,Marmara,extra\n"  # a field too many
    )
    assert "line 2: office code '22010' is not six digits" in message
    assert "line 3: office 342000: no name" in message
    assert "line 4: fewer fields than the header's 5" in message
    assert "line 5: 6 fields, the header names 5" in message


def test_a_header_without_the_kind_column_or_an_empty_list_is_refused() -> None:
    assert "line 1: missing column(s) kind" in refusal("code,name,directorate,region\n")
    assert "line 1: unknown column(s) 'border'" in refusal("code,name,kind,directorate,region,border\n")
    assert "no office listed" in refusal(HEADER)


def test_a_list_saved_by_a_spreadsheet_is_read_the_same() -> None:
    registry = OfficeRegistry.from_csv("\ufeff" + HEADER.replace("\n", "\r\n") + KAPIKULE.replace("\n", "\r\n"))
    assert [o.code for o in registry] == ["220100"]
