"""The office list as shipped and documented: docs/offices.md generated from it, drift caught by
`hub schemas check`; the list installed with the package, so that an installed hub finds it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hub.contract.topics import PROJECT_ROOT
from hub.domain.offices import OfficeRegistry
from hub.entrypoints import checked_in
from tests.domain.test_offices import BEFORE_THE_DATA_FILE, HEADER


def test_docs_offices_md_shows_each_office_and_its_drift_is_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked_in.write(tmp_path)
    page = (tmp_path / "docs" / "offices.md").read_text(encoding="utf-8")
    assert "| 342000 | Erenköy Gümrük Müdürlüğü | inland | İstanbul GDTBM | Marmara | E1, E2, E4, I2" in page
    assert "| 220100 | Kapıkule Gümrük Müdürlüğü | border | Trakya GDTBM | Marmara | E1, E2, E3, I1, I3" in page
    assert "- **T3** A 5800 lodged at an inland office must reference a GİRİŞ transit" in page
    assert checked_in.drift(tmp_path) == []

    # Erenköy made a border office in offices.csv, docs/offices.md not written again: drift.
    text = "".join([HEADER, *(f"{','.join(row)}\n" for row in BEFORE_THE_DATA_FILE)])
    edited = OfficeRegistry.from_csv(text.replace("Erenköy Gümrük Müdürlüğü,inland", "Erenköy Gümrük Müdürlüğü,border"))
    monkeypatch.setattr("hub.contract.office_table.OFFICES", edited)
    assert checked_in.drift(tmp_path) == ["docs/offices.md"]


def test_an_installed_hub_finds_its_office_list(tmp_path: Path) -> None:
    """setuptools' build_py lays out the package as a wheel holds it: the hub imported from there (not
    from the source tree) loads every office."""
    build, egg = tmp_path / "build", tmp_path / "egg"
    egg.mkdir()
    setup = [sys.executable, "-c", "from setuptools import setup; setup()", "-q"]
    subprocess.run(
        [*setup, "egg_info", "--egg-base", str(egg), "build_py", "--build-lib", str(build)],
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
    )
    assert (build / "hub" / "domain" / "offices.csv").is_file()
    loaded = subprocess.run(
        [sys.executable, "-c", "import hub.domain.offices as o; print(o.__file__, len(o.OFFICES))"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(build)},
        check=True,
        capture_output=True,
        text=True,
    )
    where, count = loaded.stdout.split()
    assert Path(where).is_relative_to(build) and int(count) == len(BEFORE_THE_DATA_FILE)
