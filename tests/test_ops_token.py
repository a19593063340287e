"""The operations token (hub/configuration/settings.py): from the environment, a secret file, or made once per
machine."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

import hub.configuration.settings
from hub.configuration.settings import ops_token


def test_the_token_comes_from_the_environment_first(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret = tmp_path / "token"
    secret.write_text("from-the-file\n")
    monkeypatch.setenv("HUB_OPS_TOKEN_FILE", str(secret))
    assert ops_token() == "from-the-file"
    monkeypatch.setenv("HUB_OPS_TOKEN", "from-the-environment")
    assert ops_token() == "from-the-environment"


def test_a_named_file_that_is_missing_or_empty_is_an_error_not_a_new_token(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("HUB_OPS_TOKEN", raising=False)
    monkeypatch.setenv("HUB_OPS_TOKEN_FILE", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError):
        ops_token()
    (tmp_path / "empty").write_text("\n")
    monkeypatch.setenv("HUB_OPS_TOKEN_FILE", str(tmp_path / "empty"))
    with pytest.raises(ValueError, match="empty"):
        ops_token()


def test_without_either_one_token_is_made_readable_by_its_owner_only_and_kept(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("HUB_OPS_TOKEN", raising=False)
    monkeypatch.delenv("HUB_OPS_TOKEN_FILE", raising=False)
    monkeypatch.setattr(hub.configuration.settings, "OPS_TOKEN_FILE", tmp_path / "data" / "ops-token")
    first = ops_token()
    assert len(first) >= 40 and ops_token() == first  # the processes of one machine agree
    assert stat.S_IMODE((tmp_path / "data" / "ops-token").stat().st_mode) == 0o600
    assert [p.name for p in (tmp_path / "data").iterdir()] == ["ops-token"]  # no draft left behind


def test_the_folder_made_for_the_token_stays_passable_by_others(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """.data/ holds PostgreSQL's home too, which the postgres user must enter: only the file is private."""
    monkeypatch.delenv("HUB_OPS_TOKEN", raising=False)
    monkeypatch.delenv("HUB_OPS_TOKEN_FILE", raising=False)
    monkeypatch.setattr(hub.configuration.settings, "OPS_TOKEN_FILE", tmp_path / "data" / "ops-token")
    before = os.umask(0o022)
    try:
        ops_token()
    finally:
        os.umask(before)
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o755
