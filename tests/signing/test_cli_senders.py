"""`hub senders`, as an operator rotates a sending system's key: keygen, list, retire; the registry it
writes is the one the hub verifies against, and it never leaves a sender without a valid key unasked."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from typer.testing import CliRunner, Result

from hub.contract.signing import SenderRegistry, SignatureRefused, SigningKey, sign
from hub.entrypoints.cli_senders import senders_app

BODY = b'{"type":"AcceptDeclaration","carnetNumber":"TR/2026/000123"}'
LAST_MONTH = (datetime.now(UTC) - timedelta(days=30)).isoformat(timespec="seconds")


def _hub(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(senders_app, list(args), env=env)


def _rows(registry: Path) -> list[list[str]]:
    listed = _hub("list", "--registry", str(registry))
    assert listed.exit_code == 0, listed.output
    return [line.split(maxsplit=4) for line in listed.stdout.splitlines()[1:]]


def test_keygen_list_retire_round_trip_on_a_registry_the_hub_verifies_against(tmp_path: Path) -> None:
    registry = tmp_path / "signing" / "senders.jwks.json"
    old = _hub("keygen", "frontend", "--kid", "frontend-old", "--registry", str(registry), "--not-before", LAST_MONTH)
    assert old.exit_code == 0, old.output
    new = _hub("keygen", "frontend", "--registry", str(registry))
    assert new.exit_code == 0, new.output
    old_key = SigningKey.load(tmp_path / "signing" / "keys" / "frontend-old.json")
    (new_file,) = (tmp_path / "signing" / "keys").glob("frontend-2*.json")  # default kid: frontend-<UTC timestamp>
    new_key = SigningKey.load(new_file)
    assert new_key.kid == new_file.stem and len(new_key.kid) == len("frontend-20260501090000")
    assert stat.S_IMODE(new_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(registry.stat().st_mode) == 0o644
    rows = _rows(registry)
    assert rows[0] == ["frontend", "frontend-old", LAST_MONTH.replace("+00:00", "Z"), "-", "valid"]
    assert rows[1][:2] == ["frontend", new_key.kid] and rows[1][3:] == ["-", "valid"]
    assert abs(datetime.fromisoformat(rows[1][2]) - datetime.now(UTC)) < timedelta(minutes=1)  # valid from now

    now = datetime.now(UTC)
    for key in (old_key, new_key):  # the overlap: either verifies
        assert SenderRegistry.load(registry).verify(BODY, sign(BODY, key), now) == "frontend"

    retire = _hub("retire", "frontend-old", "--registry", str(registry))
    assert retire.exit_code == 0, retire.output
    assert [row[4] for row in _rows(registry)] == ["retired", "valid"]
    after = SenderRegistry.load(registry)
    later = datetime.now(UTC) + timedelta(seconds=1)
    with pytest.raises(SignatureRefused, match="key 'frontend-old' of sender 'frontend' was retired at"):
        after.verify(BODY, sign(BODY, old_key), later)
    assert after.verify(BODY, sign(BODY, new_key), later) == "frontend"


def test_a_senders_last_valid_key_is_retired_only_with_force(tmp_path: Path) -> None:
    registry = tmp_path / "senders.jwks.json"
    assert _hub("keygen", "adapter-bilge", "--kid", "ab-1", "--registry", str(registry)).exit_code == 0
    before = registry.read_bytes()
    refused = _hub("retire", "ab-1", "--registry", str(registry))
    assert refused.exit_code == 1
    assert "ab-1 is adapter-bilge's last key valid at" in refused.stderr and "--force" in refused.stderr
    assert registry.read_bytes() == before
    forced = _hub("retire", "ab-1", "--registry", str(registry), "--force")
    assert forced.exit_code == 0, forced.output
    assert [row[4] for row in _rows(registry)] == ["retired"]
    again = _hub("retire", "ab-1", "--registry", str(registry), "--force", "--at", "2099-01-01T00:00:00Z")
    assert again.exit_code == 1 and "already retired" in again.stderr  # a retirement is never postponed


def test_a_retirement_that_leaves_a_gap_before_the_next_key_is_refused(tmp_path: Path) -> None:
    registry = tmp_path / "senders.jwks.json"
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert _hub("keygen", "bilge", "--kid", "bilge-1", "--registry", str(registry)).exit_code == 0
    assert (
        _hub("keygen", "bilge", "--kid", "bilge-2", "--registry", str(registry), "--not-before", tomorrow).exit_code
        == 0
    )
    assert [row[4] for row in _rows(registry)] == ["valid", "not yet valid"]
    assert _hub("retire", "bilge-1", "--registry", str(registry)).exit_code == 1
    assert _hub("retire", "bilge-1", "--registry", str(registry), "--at", tomorrow).exit_code == 0


def test_refusals_change_nothing(tmp_path: Path) -> None:
    registry = tmp_path / "senders.jwks.json"
    assert _hub("keygen", "frontend", "--kid", "fe-1", "--registry", str(registry)).exit_code == 0
    before = registry.read_bytes()
    twice = _hub(
        "keygen", "frontend", "--kid", "fe-1", "--registry", str(registry), "--key-out", str(tmp_path / "x.json")
    )
    assert twice.exit_code == 1 and "registered twice" in twice.stderr and not (tmp_path / "x.json").exists()
    bad_name = _hub("keygen", "Front End", "--registry", str(registry))
    assert bad_name.exit_code == 1 and "is not a-z" in bad_name.stderr
    local_time = _hub("keygen", "frontend", "--registry", str(registry), "--not-before", "2026-05-01T09:00:00")
    assert local_time.exit_code == 2 and "give an offset" in local_time.output
    overwrite = _hub("keygen", "frontend", "--kid", "fe-2", "--registry", str(registry), "--key-out", str(registry))
    assert overwrite.exit_code == 1 and "never overwritten" in overwrite.stderr
    unknown = _hub("retire", "fe-9", "--registry", str(registry))
    assert unknown.exit_code == 1 and "no key 'fe-9'" in unknown.stderr
    assert registry.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".senders.jwks.json.lock", "keys", "senders.jwks.json"]


def test_the_registry_is_hub_senders_file_unless_given(tmp_path: Path) -> None:
    registry = tmp_path / "elsewhere.jwks.json"
    made = _hub("keygen", "frontend", "--kid", "fe-1", env={"HUB_SENDERS_FILE": str(registry)})
    assert made.exit_code == 0, made.output
    assert SenderRegistry.load(registry).senders() == {"frontend"}
    missing = _hub("list", "--registry", str(tmp_path / "none.json"))
    assert missing.exit_code == 1 and "no registry at" in missing.stderr


def test_a_key_the_sender_made_itself_is_registered_from_its_public_key_alone(tmp_path: Path) -> None:
    """In production a sending system keeps its private key: the hub is given its public key only."""
    registry = tmp_path / "senders.jwks.json"
    own = SigningKey.generate("frontend", "frontend-own")
    pem = tmp_path / "frontend-own.pub.pem"
    pem.write_bytes(
        own.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    added = _hub("add", "frontend", "frontend-own", "--public-key", str(pem), "--registry", str(registry))
    assert added.exit_code == 0, added.output
    assert SenderRegistry.load(registry).verify(BODY, sign(BODY, own), datetime.now(UTC)) == "frontend"
    assert not (tmp_path / "keys").exists()  # no private key written here

    not_ed25519 = tmp_path / "rsa.pem"
    rsa_public = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    not_ed25519.write_bytes(
        rsa_public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    refused = _hub("add", "frontend", "frontend-rsa", "--public-key", str(not_ed25519), "--registry", str(registry))
    assert refused.exit_code != 0 and "not an Ed25519 key" in refused.output
    assert [key.kid for key in SenderRegistry.load(registry).keys()] == ["frontend-own"]
