"""Detached JWS over the exact bytes a sending system puts on Kafka (or POSTs to the BİLGE intake).

    signature = sign(record_value, key)        # b'{"messageId": ...}' -> "eyJhbGciOiJFZERTQSIs...<empty>..sig"
    headers = [(SIGNATURE_HEADER, signature.encode("ascii"))]

The signature is a compact JWS (RFC 7515) with an unencoded, detached payload (RFC 7797): the
protected header is `{"alg":"EdDSA","b64":false,"crit":["b64"],"kid":...}`, the payload segment is
empty, and the signing input is `header-segment "." body`. It signs the bytes as they travel, not a
re-serialisation of them, so no JSON canonicalisation has to agree between the sender and the hub,
and the hub checks it before it parses anything of the body.

`read_header` is the strict, bounded parse of an untrusted signature that `SenderRegistry.verify`
uses to choose the key: every way it refuses is a `SignatureRefused` whose message may be written
as a dead letter's reason as it is (short, English, never more than a few dozen characters of what
the sender sent).

A sending system's private key is one JSON file, written 0600, that loads back whole:
`{"sender": "frontend", "kid": "frontend-20260501090000", "private_key_pem": "-----BEGIN PRIVATE KEY-----..."}`;
the PEM is PKCS#8, so `jq -r .private_key_pem KEYFILE | openssl pkey -pubout` shows the public key.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.api_jws import PyJWS

SIGNATURE_HEADER = "signature"  # the Kafka record header carrying the JWS
HTTP_SIGNATURE_HEADER = "X-Signature"  # the same JWS on an HTTP request (BİLGE to the intake)
ALGORITHM = "EdDSA"  # Ed25519 only: never `none`, never HS* (whose secret would be a public key)
MAX_SIGNATURE_BYTES = 2048  # a real one is about 200; longer is refused before it is parsed
MAX_REASON_CHARS = 300

# Names a registry and a key file may hold; a kid also travels in every signature's header.
SENDER_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
KID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")

_SIGNER = PyJWS(algorithms=[ALGORITHM])
_BASE64URL = re.compile(rb"[A-Za-z0-9_-]*")
_SHOWN_CHARS = 40


class SignatureRefused(ValueError):
    """Why a record's (or request's) signature is not accepted: a dead letter's reason, as it is."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason[:MAX_REASON_CHARS])

    @property
    def reason(self) -> str:
        return str(self.args[0])


def shown(value: object) -> str:
    """Untrusted text as it may appear in a reason or a log line: quoted, escaped, cut short."""
    text = repr(value)
    return text if len(text) <= _SHOWN_CHARS + 2 else text[:_SHOWN_CHARS] + "…'"


@dataclass(frozen=True)
class SigningKey:
    """A sending system's private key and the kid under which the hub's registry holds its public key."""

    sender: str
    kid: str
    private_key: Ed25519PrivateKey = field(repr=False)

    def __post_init__(self) -> None:
        if not SENDER_PATTERN.fullmatch(self.sender):
            raise ValueError(f"sender {shown(self.sender)} is not a-z, 0-9, '.', '_', '-' (at most 64)")
        if not KID_PATTERN.fullmatch(self.kid):
            raise ValueError(f"kid {shown(self.kid)} is not A-Z, a-z, 0-9, '.', '_', ':', '-' (at most 128)")

    @classmethod
    def generate(cls, sender: str, kid: str) -> SigningKey:
        return cls(sender, kid, Ed25519PrivateKey.generate())

    @classmethod
    def load(cls, path: Path) -> SigningKey:
        """The key file `save` wrote; ValueError naming the file if it is not one."""
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            key = serialization.load_pem_private_key(document["private_key_pem"].encode("ascii"), password=None)
            if not isinstance(key, Ed25519PrivateKey):
                raise ValueError(f"a {type(key).__name__}, not an Ed25519 key")
            return cls(str(document["sender"]), str(document["kid"]), key)
        except (ValueError, KeyError, TypeError, AttributeError, UnicodeError) as exc:
            raise ValueError(f"{path} is not a signing key file: {exc}") from None

    def save(self, path: Path) -> None:
        """Write the key file, 0600, whole or not at all; never over an existing file (FileExistsError).
        A folder made for it is its owner's alone; folders above it keep their modes."""
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        scratch = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(json.dumps(self._document(), indent=2) + "\n")
                out.flush()
                os.fsync(out.fileno())
            os.link(scratch, path)
        finally:
            scratch.unlink(missing_ok=True)

    def public_bytes(self) -> bytes:
        """The raw 32-byte Ed25519 public key: a JWK's `x`, base64url-encoded."""
        return self.private_key.public_key().public_bytes_raw()

    def _document(self) -> dict[str, str]:
        pem = self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return {"sender": self.sender, "kid": self.kid, "private_key_pem": pem.decode("ascii")}


def sign(body: bytes, key: SigningKey) -> str:
    """`header..signature`: the detached JWS of `body`, to travel beside it as SIGNATURE_HEADER."""
    # typ=None drops PyJWT's default "typ": "JWT" (this is no JWT); is_payload_detached adds b64/crit.
    return _SIGNER.encode(
        body, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid, "typ": None}, is_payload_detached=True
    )


@dataclass(frozen=True)
class ParsedSignature:
    """An untrusted signature after `read_header`: well formed, EdDSA, detached; not yet verified."""

    kid: str
    header_segment: bytes
    signature: bytes


def read_header(signature: str | bytes | None) -> ParsedSignature:
    """The parts of a detached EdDSA JWS, or SignatureRefused saying what it is not."""
    if signature is None or len(signature) == 0:
        raise SignatureRefused(f"unsigned: no {SIGNATURE_HEADER!r} header")
    if len(signature) > MAX_SIGNATURE_BYTES:
        raise SignatureRefused(f"signature of {len(signature)} characters: longer than {MAX_SIGNATURE_BYTES}")
    try:
        token = signature.encode("ascii") if isinstance(signature, str) else bytes(signature)
        token.decode("ascii")
    except (UnicodeError, TypeError):
        raise SignatureRefused("signature is not ASCII text: not a compact JWS") from None
    parts = token.split(b".")
    if len(parts) != 3:
        raise SignatureRefused(f"signature has {len(parts)} dot-separated parts: not a compact JWS (header..signature)")
    header_segment, payload_segment, signature_segment = parts
    if payload_segment:
        raise SignatureRefused("signature carries a payload: it must be detached (header..signature, RFC 7797)")
    header = _header(header_segment)
    alg = header.get("alg")
    if alg != ALGORITHM:
        raise SignatureRefused(f"alg {shown(alg)} refused: only EdDSA (Ed25519) is accepted")
    if header.get("b64") is not False or header.get("crit") != ["b64"]:
        raise SignatureRefused('header lacks "b64": false with "crit": ["b64"]: not an unencoded detached JWS')
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise SignatureRefused("header names no kid: the key that signed cannot be known")
    raw = _base64url(signature_segment, "signature")
    if len(raw) != 64:
        raise SignatureRefused(f"signature is {len(raw)} bytes: an Ed25519 signature is 64")
    return ParsedSignature(kid, header_segment, raw)


def _header(segment: bytes) -> dict[str, Any]:
    decoded = _base64url(segment, "header")
    try:
        header = json.loads(decoded, object_pairs_hook=_no_repeats)
    except (ValueError, RecursionError):
        raise SignatureRefused("header is not a JSON object without repeated members") from None
    if not isinstance(header, dict):
        raise SignatureRefused("header is not a JSON object")
    return header


def _no_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Two "alg" (or "kid") members would let a sender's and the hub's parser disagree: refuse both.
    members = dict(pairs)
    if len(members) != len(pairs):
        raise ValueError("repeated member")
    return members


def _base64url(segment: bytes, part: str) -> bytes:
    # Unpadded and canonical (RFC 7515 §2): one encoding per value, nothing else decodes.
    if not _BASE64URL.fullmatch(segment) or len(segment) % 4 == 1:
        raise SignatureRefused(f"{part} is not unpadded base64url")
    try:
        decoded = base64.urlsafe_b64decode(segment + b"=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        raise SignatureRefused(f"{part} is not unpadded base64url") from None
    if base64.urlsafe_b64encode(decoded).rstrip(b"=") != segment:
        raise SignatureRefused(f"{part} is not canonical base64url")
    return decoded
