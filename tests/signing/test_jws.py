"""The signature a sending system puts beside its bytes: standard (RFC 7797, readable by any JOSE
library), its key file, and the strict parse of whatever arrives as a signature."""

from __future__ import annotations

import base64
import json
import re
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt import PyJWK
from jwt.api_jws import PyJWS
from jwt.exceptions import InvalidSignatureError

from hub.contract.signing import SignatureRefused, SigningKey, sign
from hub.contract.signing.jws import MAX_SIGNATURE_BYTES, read_header

BODY = b'{"type":"LodgeDeclaration","carnetNumber":"TR/2026/000123"}'


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _token(header: object, signature: bytes = bytes(64), middle: str = "") -> str:
    return f"{_b64(json.dumps(header).encode())}.{middle}.{_b64(signature)}"


def _raw(header: bytes) -> str:
    return f"{_b64(header)}..{_b64(bytes(64))}"


GOOD_HEADER = {"alg": "EdDSA", "b64": False, "crit": ["b64"], "kid": "frontend-1"}


def test_a_signature_is_a_detached_unencoded_eddsa_jws_naming_its_kid() -> None:
    key = SigningKey.generate("frontend", "frontend-1")
    header_segment, payload_segment, signature_segment = sign(BODY, key).split(".")
    header = json.loads(base64.urlsafe_b64decode(header_segment + "=" * (-len(header_segment) % 4)))
    assert header == {"alg": "EdDSA", "b64": False, "crit": ["b64"], "kid": "frontend-1"}  # no "typ": "JWT"
    assert payload_segment == ""
    signature = base64.urlsafe_b64decode(signature_segment + "==")
    key.private_key.public_key().verify(signature, header_segment.encode() + b"." + BODY)  # RFC 7797 §3


def test_another_jose_library_verifies_it_and_refuses_other_bytes() -> None:
    key = SigningKey.generate("frontend", "frontend-1")
    public = PyJWK({"kty": "OKP", "crv": "Ed25519", "x": _b64(key.public_bytes())}, algorithm="EdDSA")
    token = sign(BODY, key)
    decoded = PyJWS().decode_complete(token, public, algorithms=["EdDSA"], detached_payload=BODY)
    assert decoded["header"]["kid"] == "frontend-1"
    with pytest.raises(InvalidSignatureError):
        PyJWS().decode_complete(token, public, algorithms=["EdDSA"], detached_payload=BODY + b" ")


def test_a_key_file_loads_back_whole_and_only_its_owner_reads_it(tmp_path: Path) -> None:
    key = SigningKey.generate("bilge-reconciliation", "bilge-reconciliation-20260501090000")
    path = tmp_path / "keys" / "rec.json"
    key.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    loaded = SigningKey.load(path)
    assert (loaded.sender, loaded.kid, loaded.public_bytes()) == (key.sender, key.kid, key.public_bytes())
    assert "PRIVATE" not in repr(loaded)
    pem = json.loads(path.read_text())["private_key_pem"].encode()  # plain PKCS#8: openssl reads it too
    from_pem = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(from_pem, Ed25519PrivateKey) and from_pem.public_key().public_bytes_raw() == key.public_bytes()
    assert list(path.parent.iterdir()) == [path]  # no scratch file left


def test_a_key_file_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    first = SigningKey.generate("frontend", "frontend-1")
    first.save(path)
    with pytest.raises(FileExistsError):
        SigningKey.generate("frontend", "frontend-2").save(path)
    assert SigningKey.load(path).public_bytes() == first.public_bytes()


def test_a_file_that_is_no_ed25519_key_file_is_refused_by_name(tmp_path: Path) -> None:
    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    for name, text in {
        "garbage.json": "not json",
        "no-pem.json": json.dumps({"sender": "frontend", "kid": "k1"}),
        "ec.json": json.dumps({"sender": "frontend", "kid": "k1", "private_key_pem": ec_pem.decode()}),
    }.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(ValueError, match=name):
            SigningKey.load(tmp_path / name)


@pytest.mark.parametrize(
    ("sender", "kid"), [("Frontend", "k1"), ("front end", "k1"), ("", "k1"), ("frontend", "k 1"), ("frontend", "")]
)
def test_names_that_could_not_travel_in_a_header_or_a_file_name_are_refused(sender: str, kid: str) -> None:
    with pytest.raises(ValueError, match="is not"):
        SigningKey.generate(sender, kid)


@pytest.mark.parametrize(
    ("signature", "reason"),
    [
        (None, "unsigned: no 'signature' header"),
        ("", "unsigned: no 'signature' header"),
        (b"", "unsigned: no 'signature' header"),
        ("a" * (MAX_SIGNATURE_BYTES + 1), "longer than 2048"),
        ("eyJ..ş" + "A" * 85, "not ASCII"),
        (b"eyJ..\xff\xfe", "not ASCII"),
        ("eyJhbGciOiJFZERTQSJ9.sig", "2 dot-separated parts"),
        ("a.b.c.d", "4 dot-separated parts"),
        (_token(GOOD_HEADER, middle="e30"), "it must be detached"),
        (_token(GOOD_HEADER).replace("eyJ", "ey=J", 1), "not unpadded base64url"),
        ("!!!!" + _token(GOOD_HEADER), "not unpadded base64url"),
        (f"{_b64(b'not json')}..{_b64(bytes(64))}", "not a JSON object"),
        (_token([1, 2]), "not a JSON object"),
        (_raw(b'{"alg":"EdDSA","alg":"none","b64":false,"crit":["b64"],"kid":"k"}'), "repeated members"),
        (_raw(b"[" * 1500 + b"]" * 1500), "longer than 2048"),
        (_raw(b"[" * 1400), "not a JSON object"),  # deeper than Python's recursion limit: still a refusal
        (_token({**GOOD_HEADER, "alg": "none"}, b""), "alg 'none' refused"),
        (_token({**GOOD_HEADER, "alg": "HS256"}), "alg 'HS256' refused"),
        (_token({**GOOD_HEADER, "alg": "ES256"}), "alg 'ES256' refused"),
        (_token({k: v for k, v in GOOD_HEADER.items() if k != "alg"}), "alg None refused"),
        (_token({**GOOD_HEADER, "b64": True}), 'lacks "b64": false'),
        (_token({k: v for k, v in GOOD_HEADER.items() if k != "crit"}), 'lacks "b64": false'),
        (_token({**GOOD_HEADER, "crit": ["b64", "exp"]}), 'lacks "b64": false'),
        (_token({k: v for k, v in GOOD_HEADER.items() if k != "kid"}), "names no kid"),
        (_token({**GOOD_HEADER, "kid": 7}), "names no kid"),
        (_token(GOOD_HEADER, bytes(63)), "63 bytes: an Ed25519 signature is 64"),
        (_token(GOOD_HEADER) + "==", "not unpadded base64url"),
        (_token(GOOD_HEADER) + "AAA", "not unpadded base64url"),  # a length no base64 has
        (_token(GOOD_HEADER) + "A", "65 bytes: an Ed25519 signature is 64"),
        (_token(GOOD_HEADER)[:-1] + "B", "not canonical base64url"),  # the same 64 bytes, spelt a second way
    ],
)
def test_anything_but_a_well_formed_detached_eddsa_jws_is_refused_with_its_reason(
    signature: str | bytes | None, reason: str
) -> None:
    with pytest.raises(SignatureRefused, match=re.escape(reason)) as refused:
        read_header(signature)
    assert len(refused.value.reason) <= 300


def test_a_well_formed_one_is_parsed_not_yet_trusted() -> None:
    parsed = read_header(_token(GOOD_HEADER).encode())
    assert (parsed.kid, parsed.signature) == ("frontend-1", bytes(64))
