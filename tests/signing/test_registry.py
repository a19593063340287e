"""The registry of sending systems, as a security reviewer would probe it: who a signature proves,
what it never proves (other bytes, another sender, `none`, HMAC with a public key, a retired key),
rotation without a restart, and the development set made once for processes starting together."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import multiprocessing
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from jwt.algorithms import ECAlgorithm, OKPAlgorithm

from hub.configuration.dev_senders import DEV_SENDERS, ensure_dev_senders
from hub.contract.signing import (
    RegistryError,
    RegistryFile,
    SenderRegistry,
    SignatureRefused,
    SigningKey,
    retired,
    sign,
    with_key,
)
from hub.contract.signing.registry import empty_document, write_document

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
BODY = b'{"type":"LodgeDeclaration","carnetNumber":"TR/2026/000123","actor":"ayse.demir"}'
FRONTEND = SigningKey.generate("frontend", "frontend-1")
ADAPTER = SigningKey.generate("adapter-bilge", "adapter-bilge-1")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _document(*keys: SigningKey, not_before: datetime = T0 - timedelta(days=30)) -> dict[str, Any]:
    document = empty_document()
    for key in keys:
        document = with_key(document, key.sender, key.kid, key.private_key.public_key(), not_before)
    return document


REGISTRY = SenderRegistry.from_document(_document(FRONTEND, ADAPTER))


def _refused(registry: SenderRegistry, body: bytes, signature: str | bytes | None, at: datetime = T0) -> str:
    with pytest.raises(SignatureRefused) as refused:
        registry.verify(body, signature, at)
    return refused.value.reason


def test_a_signed_body_verifies_to_its_sender_and_no_other() -> None:
    assert REGISTRY.verify(BODY, sign(BODY, FRONTEND), T0) == "frontend"
    assert REGISTRY.verify(BODY, sign(BODY, ADAPTER).encode("ascii"), T0) == "adapter-bilge"  # a Kafka header
    assert REGISTRY.senders() == {"frontend", "adapter-bilge"}


@pytest.mark.parametrize("position", [0, 1, len(BODY) // 2, len(BODY) - 1])
def test_one_altered_byte_is_refused(position: int) -> None:
    altered = bytearray(BODY)
    altered[position] ^= 0x01
    reason = _refused(REGISTRY, bytes(altered), sign(BODY, FRONTEND))
    assert (
        reason == "signature does not match the bytes: not made over this body by key 'frontend-1' of sender 'frontend'"
    )


@pytest.mark.parametrize("body", [BODY + b" ", BODY[:-1], b"", BODY + BODY])
def test_bytes_added_or_cut_are_refused(body: bytes) -> None:
    assert "does not match the bytes" in _refused(REGISTRY, body, sign(BODY, FRONTEND))


def test_another_senders_key_under_this_kid_is_refused() -> None:
    posing = SigningKey("adapter-bilge", "frontend-1", ADAPTER.private_key)  # the adapter claims the front end's kid
    assert "does not match the bytes" in _refused(REGISTRY, BODY, sign(BODY, posing))


def test_alg_none_is_refused_in_either_form() -> None:
    detached = _b64(json.dumps({"alg": "none", "b64": False, "crit": ["b64"], "kid": "frontend-1"}).encode())
    assert _refused(REGISTRY, BODY, f"{detached}..") == "alg 'none' refused: only EdDSA (Ed25519) is accepted"
    classic_header = _b64(json.dumps({"alg": "none", "kid": "frontend-1"}).encode())
    classic = f"{classic_header}.{_b64(BODY)}."  # an unsecured JWS with its payload inline
    assert _refused(REGISTRY, BODY, classic).startswith("signature carries a payload: it must be detached")


@pytest.mark.parametrize("secret_of", ["raw", "pem", "jwk x", "jwk"])
def test_hmac_keyed_with_the_public_key_is_refused(secret_of: str) -> None:
    """The classic confusion: a verifier that lets the header choose HS256 checks an HMAC keyed with
    the public key, which everybody has."""
    public = FRONTEND.private_key.public_key()
    secret = {
        "raw": public.public_bytes_raw(),
        "pem": public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
        "jwk x": _b64(public.public_bytes_raw()).encode(),
        "jwk": OKPAlgorithm.to_jwk(public).encode(),
    }[secret_of]
    for alg, digest in [("HS256", hashlib.sha256), ("HS512", hashlib.sha512)]:
        header = _b64(json.dumps({"alg": alg, "b64": False, "crit": ["b64"], "kid": "frontend-1"}).encode())
        mac = hmac.new(secret, header.encode() + b"." + BODY, digest).digest()
        assert (
            _refused(REGISTRY, BODY, f"{header}..{_b64(mac)}")
            == f"alg '{alg}' refused: only EdDSA (Ed25519) is accepted"
        )


def test_an_unknown_kid_is_refused_without_echoing_it_at_length() -> None:
    stranger = SigningKey.generate("frontend", "frontend-9")
    assert _refused(REGISTRY, BODY, sign(BODY, stranger)) == (
        "unknown kid 'frontend-9': no sending system has a key of that name"
    )
    long_kid = {"alg": "EdDSA", "b64": False, "crit": ["b64"], "kid": "\u202e" + "A" * 1000}
    header = _b64(json.dumps(long_kid, ensure_ascii=False).encode())
    reason = _refused(REGISTRY, BODY, f"{header}..{_b64(bytes(64))}")
    assert reason.startswith("unknown kid '\\u202eAAA") and len(reason) < 120 and "A" * 40 not in reason
    assert "\u202e" not in reason and reason.isprintable()  # escaped: no bidi override reaches a log line


def test_a_key_verifies_from_nbf_until_exp_and_names_kid_sender_and_dates_outside() -> None:
    document = retired(_document(FRONTEND, not_before=T0), "frontend-1", T0 + timedelta(days=10))
    registry = SenderRegistry.from_document(document)
    signature = sign(BODY, FRONTEND)
    assert _refused(registry, BODY, signature, T0 - timedelta(seconds=1)) == (
        "key 'frontend-1' of sender 'frontend' is not valid before 2026-05-01T09:00:00Z; received 2026-05-01T08:59:59Z"
    )
    assert registry.verify(BODY, signature, T0) == "frontend"
    assert registry.verify(BODY, signature, T0 + timedelta(days=10, seconds=-1)) == "frontend"
    assert _refused(registry, BODY, signature, T0 + timedelta(days=10)) == (
        "key 'frontend-1' of sender 'frontend' was retired at 2026-05-11T09:00:00Z; received 2026-05-11T09:00:00Z"
    )


def test_the_receipt_time_must_be_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware") as error:
        REGISTRY.verify(BODY, sign(BODY, FRONTEND), datetime(2026, 5, 1, 9, 0))
    assert not isinstance(error.value, SignatureRefused)  # a bug of the caller, not a dead letter


def test_rotation_both_keys_verify_during_the_overlap_and_only_the_new_one_after_retire() -> None:
    new = SigningKey.generate("frontend", "frontend-2")
    before = _document(FRONTEND)
    overlap = with_key(before, "frontend", "frontend-2", new.private_key.public_key(), T0)
    assert before == _document(FRONTEND)  # pure: the document given is left as it was
    registry = SenderRegistry.from_document(overlap)
    old_signature, new_signature = sign(BODY, FRONTEND), sign(BODY, new)
    assert [k.kid for k in registry.keys_of("frontend")] == ["frontend-1", "frontend-2"]
    assert registry.verify(BODY, old_signature, T0 + timedelta(hours=1)) == "frontend"
    assert registry.verify(BODY, new_signature, T0 + timedelta(hours=1)) == "frontend"
    assert "not valid before" in _refused(registry, BODY, new_signature, T0 - timedelta(hours=1))

    after = SenderRegistry.from_document(retired(overlap, "frontend-1", T0 + timedelta(days=1)))
    assert after.verify(BODY, old_signature, T0 + timedelta(hours=23)) == "frontend"  # received before retirement
    assert "was retired at" in _refused(after, BODY, old_signature, T0 + timedelta(days=2))
    assert after.verify(BODY, new_signature, T0 + timedelta(days=2)) == "frontend"


def test_a_retirement_is_never_postponed_and_an_unknown_kid_is_not_retired() -> None:
    document = retired(_document(FRONTEND), "frontend-1", T0)
    with pytest.raises(RegistryError, match="already retired at 2026-05-01T09:00:00Z"):
        retired(document, "frontend-1", T0 + timedelta(days=1))
    assert SenderRegistry.from_document(retired(document, "frontend-1", T0 - timedelta(days=1))).keys()[0].retired_at
    with pytest.raises(RegistryError, match="'frontend-7': not in the registry"):
        retired(document, "frontend-7", T0)
    with pytest.raises(RegistryError, match="registered twice"):
        with_key(document, "frontend", "frontend-1", ADAPTER.private_key.public_key(), T0)


def _entry(**changes: Any) -> dict[str, Any]:
    entry = _document(FRONTEND)["keys"][0] | {"kid": "bad-1"}
    return {k: v for k, v in (entry | changes).items() if v is not ...}


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([_entry(), _entry()], "key 'bad-1': the kid is registered twice"),
        (
            [_entry(**ECAlgorithm.to_jwk(ec.generate_private_key(ec.SECP256R1()).public_key(), as_dict=True))],
            "key 'bad-1': kty 'EC', crv 'P-256'",
        ),
        (
            [_entry(crv="Ed448", x=_b64(ed448.Ed448PrivateKey.generate().public_key().public_bytes_raw()))],
            "key 'bad-1': kty 'OKP', crv 'Ed448'",
        ),
        ([_entry(kty="oct", crv=..., k=_b64(b"public"))], "key 'bad-1': kty 'oct'"),
        ([_entry(sender=...)], "key 'bad-1': sender None is missing"),
        ([_entry(sender="Front End")], "key 'bad-1': sender 'Front End'"),
        ([_entry(d=_b64(bytes(32)))], "key 'bad-1': holds a private key"),
        ([_entry(alg="HS256")], "key 'bad-1': alg must be"),
        ([_entry(nbf=...)], "key 'bad-1': nbf (required)"),
        ([_entry(nbf="2026-05-01")], "key 'bad-1': nbf (required)"),
        ([_entry(exp=True)], "key 'bad-1': nbf (required) and exp"),
        ([_entry(x=_b64(bytes(31)))], "key 'bad-1': x is not an Ed25519 public key"),
        ([_entry(kid="frontend-1"), _entry(sender="adapter-bilge")], "key 'bad-1': the same public key is frontend's"),
        ([_entry(kid=...)], "entry 1: kid None is missing"),
        (["frontend"], "entry 1 is not a JSON object"),
    ],
)
def test_a_registry_wrong_anywhere_is_refused_whole_naming_the_key(entries: list[Any], message: str) -> None:
    with pytest.raises(RegistryError, match=message.replace("(", r"\(").replace(")", r"\)")):
        SenderRegistry.from_json(json.dumps({"keys": entries}))


@pytest.mark.parametrize(
    "text", ["", "[]", '{"keys": {}}', '{"keys": [], "keys": []}', '{"keys": [{"kid": "a", "kid": "b"}]}']
)
def test_a_file_that_is_not_a_jwk_set_is_refused(text: str) -> None:
    with pytest.raises(RegistryError):
        SenderRegistry.from_json(text)


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_registry_file_picks_up_a_rotation_written_to_disk_without_a_restart(tmp_path: Path) -> None:
    path, clock = tmp_path / "senders.jwks.json", _Clock()
    write_document(path, _document(FRONTEND))
    senders = RegistryFile(path, clock=clock)
    new = SigningKey.generate("frontend", "frontend-2")
    rotated = with_key(
        _document(FRONTEND), "frontend", "frontend-2", new.private_key.public_key(), T0 - timedelta(days=1)
    )
    write_document(path, retired(rotated, "frontend-1", T0 - timedelta(hours=1)))

    assert senders.verify(BODY, sign(BODY, FRONTEND), T0) == "frontend"  # looked at once a second at most
    clock.now += 1.0
    assert senders.verify(BODY, sign(BODY, new), T0) == "frontend"
    assert "was retired at" in _refused(senders.current(), BODY, sign(BODY, FRONTEND))


def test_a_registry_file_keeps_the_last_good_registry_and_warns_once_per_bad_change(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path, clock = tmp_path / "senders.jwks.json", _Clock()
    write_document(path, _document(FRONTEND))
    senders = RegistryFile(path, clock=clock)
    caplog.set_level(logging.WARNING, logger="hub.contract.signing.registry")

    def after_a_second() -> str:
        clock.now += 1.0
        return senders.verify(BODY, sign(BODY, FRONTEND), T0)

    path.write_text('{"keys": [{"kty": "OKP", "crv": "Ed2')  # half written, in place
    assert after_a_second() == "frontend"
    assert after_a_second() == "frontend"
    path.write_bytes(b"\xff\xfe garbage")
    assert after_a_second() == "frontend"
    path.unlink()
    assert after_a_second() == "frontend"
    assert after_a_second() == "frontend"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 3 and all("the last good one stays in use" in w for w in warnings)

    write_document(path, _document(ADAPTER))  # a good file again: taken up
    clock.now += 1.0
    assert senders.current().senders() == {"adapter-bilge"}


def test_a_registry_file_must_load_the_first_time(tmp_path: Path) -> None:
    path = tmp_path / "senders.jwks.json"
    path.write_text("{}")
    with pytest.raises(RegistryError, match='no "keys" list'):
        RegistryFile(path)


# ---- 10,000 hostile signatures: each refused, for a reason fit for a dead letter ----------------------

_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=4,
)


@st.composite
def _near(draw: st.DrawFn, good: Any, *bad: Any) -> Any:
    # The good value most of the time, so that many examples get as far as the key and the Ed25519 check.
    roll = draw(st.integers(0, 9))
    return good if roll < 7 else draw(st.sampled_from(bad)) if roll < 9 else draw(_json)


_header = st.fixed_dictionaries(
    {
        "alg": _near("EdDSA", "none", "HS256", "RS256", "ES256", "EdDSA ", "Ed25519"),
        "b64": _near(False, True, 0, "false", None),
        "crit": _near(["b64"], [], ["b64", "b64"], "b64", ["b64", "x"]),
        "kid": _near("frontend-1", "adapter-bilge-1", "", "frontend-1\x00", "frontend-2") | st.text(max_size=300),
    },
    optional={"typ": _json, "jku": st.just("https://attacker.example/keys"), "jwk": _json},
)
_structured = st.builds(
    lambda header, middle, signature: f"{_b64(json.dumps(header).encode())}.{middle}.{_b64(signature)}",
    _header,
    _near("", "e30", ".", "..", "AAAA") | st.text(alphabet=_B64, max_size=12),
    st.just(bytes(64)) | st.binary(min_size=64, max_size=64) | st.binary(max_size=70),
)
_VALID = sign(BODY, FRONTEND)
_mutated = st.builds(
    lambda edits: _apply(_VALID, edits),
    st.lists(
        st.tuples(
            st.integers(0, len(_VALID)),
            st.sampled_from(["delete", "insert", "replace"]),
            st.sampled_from(_B64 + ".=") | st.characters(),
        ),
        min_size=1,
        max_size=4,
    ),
)


def _apply(token: str, edits: list[tuple[int, str, str]]) -> str:
    for position, edit, character in edits:
        at = min(position, len(token))
        token = token[:at] + ("" if edit == "delete" else character) + token[at + (edit != "insert") :]
    return token


@settings(max_examples=10_000, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(signature=st.one_of(st.text(max_size=2100), st.binary(max_size=2100), _structured, _mutated))
def test_hostile_signatures_are_only_ever_refused_with_a_short_printable_reason(signature: str | bytes) -> None:
    assume(signature != _VALID)
    with pytest.raises(SignatureRefused) as refused:  # anything else (KeyError, UnicodeError, ...) fails the test
        REGISTRY.verify(BODY, signature, T0)
    reason = refused.value.reason
    assert 0 < len(reason) <= 300 and reason.isprintable()


# ---- the development set ---------------------------------------------------------------------------


def _ensure_at_once(directory: str, ready: Any, results: Any) -> None:
    ready.wait(timeout=60)
    try:
        senders = ensure_dev_senders(Path(directory))
        results.put((senders.registry_path.read_text(), {s: _b64(senders.key(s).public_bytes()) for s in DEV_SENDERS}))
    except Exception as exc:  # reported, not a silent worker death the test would wait out
        results.put(("failed", repr(exc)))


def test_development_senders_made_by_four_processes_at_once_are_one_set(tmp_path: Path) -> None:
    data = tmp_path / ".data"
    data.mkdir(mode=0o755)
    directory = data / "signing"
    context = multiprocessing.get_context("spawn")
    ready, results = context.Barrier(4), context.Queue()
    workers = [context.Process(target=_ensure_at_once, args=(str(directory), ready, results)) for _ in range(4)]
    for worker in workers:
        worker.start()
    seen = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert [one for one in seen if one[0] == "failed"] == []
    assert all(one == seen[0] for one in seen)  # the same registry and the same keys, whoever made them

    senders = ensure_dev_senders(directory)
    registry = SenderRegistry.load(senders.registry_path)
    assert registry.senders() == set(DEV_SENDERS)
    for sender in DEV_SENDERS:
        assert registry.verify(BODY, sign(BODY, senders.key(sender)), datetime.now(UTC)) == sender
    assert sorted(p.name for p in data.iterdir()) == ["signing"]  # no half-made set left beside it
    assert stat.S_IMODE(data.stat().st_mode) == 0o755  # .data/ stays passable (PostgreSQL's home is in it)
    assert stat.S_IMODE(directory.stat().st_mode) == 0o755
    assert stat.S_IMODE(senders.registry_path.stat().st_mode) == 0o644
    assert stat.S_IMODE((directory / "keys").stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in (directory / "keys").iterdir()} == {0o600}


def test_a_development_folder_holding_something_else_is_reported_not_deleted(tmp_path: Path) -> None:
    directory = tmp_path / "signing"
    write_document(directory / "senders.jwks.json", _document(FRONTEND))
    with pytest.raises(RuntimeError, match="holds no development set of senders"):
        ensure_dev_senders(directory)
    assert SenderRegistry.load(directory / "senders.jwks.json").senders() == {"frontend"}
    with pytest.raises(KeyError, match="no development sender"):
        ensure_dev_senders(tmp_path / "fresh").key("getapp")
