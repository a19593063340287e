"""The registry of sending systems and their public keys: who may put commands on Kafka, and since when.

    registry = RegistryFile(hub.configuration.settings.senders_registry())    # reloads itself when the file changes
    sender = registry.verify(record.value, signature, at=received)   # "frontend", or SignatureRefused

The file is a JWK Set (RFC 7517) of Ed25519 public keys, one entry per key, several per sender:

    {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "<base64url>", "kid": "frontend-20260501090000",
               "alg": "EdDSA", "use": "sig", "sender": "frontend", "nbf": 1777626000, "exp": 1780304400}]}

`sender`, `nbf` and `exp` are the hub's own members (RFC 7517 §4 lets a JWK carry more): the sending
system the key speaks for, and the key's validity in Unix seconds, `nbf <= received < exp`; no `exp`
means not retired. A key rotates by adding the new key (`with_key`) and, once the sender signs with
it, retiring the old one (`retired`): during the overlap either verifies, as the sender's.

A registry that is wrong anywhere is refused whole, naming the kid (PyJWKSet would drop a key it
cannot use and carry on: a sender would then be refused for a reason nobody sees). Each key is parsed
once, into a PyJWK, when the registry loads. Verifying is `read_header`'s strict parse, a dict lookup
and one Ed25519 check with the cached key: about 150 µs, of which the check is 120. PyJWT's
`decode_complete` would parse the header again, some 60 µs more on every command, and would refuse
nothing that `read_header` lets by.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from jwt import PyJWK
from jwt.exceptions import PyJWTError
from jwt.utils import base64url_encode

from hub.contract.signing.jws import ALGORITHM, KID_PATTERN, SENDER_PATTERN, SignatureRefused, read_header, shown

log = logging.getLogger(__name__)

_STATE_VALID, _STATE_NOT_YET, _STATE_RETIRED = "valid", "not yet valid", "retired"


class RegistryError(ValueError):
    """A registry file, or a change to one, that the hub will not use: the message names the kid."""


@dataclass(frozen=True)
class RegisteredKey:
    sender: str
    kid: str
    not_before: datetime
    retired_at: datetime | None
    jwk: PyJWK = field(repr=False, compare=False)

    @property
    def public_key(self) -> Ed25519PublicKey:
        key: Ed25519PublicKey = self.jwk.key
        return key

    def valid_at(self, at: datetime) -> bool:
        return self.state_at(at) == _STATE_VALID

    def state_at(self, at: datetime) -> str:
        """'valid', 'not yet valid' or 'retired'."""
        if at < self.not_before:
            return _STATE_NOT_YET
        if self.retired_at is not None and at >= self.retired_at:
            return _STATE_RETIRED
        return _STATE_VALID


class SenderRegistry:
    """The keys of one registry file, by kid; immutable once built."""

    def __init__(self, keys: Iterable[RegisteredKey]) -> None:
        self._by_kid: dict[str, RegisteredKey] = {}
        for key in keys:
            if key.kid in self._by_kid:
                raise RegistryError(f"key {key.kid!r}: the kid is registered twice")
            self._by_kid[key.kid] = key

    @classmethod
    def load(cls, path: Path) -> SenderRegistry:
        return cls.from_json(path.read_text(encoding="utf-8"))

    @classmethod
    def from_json(cls, text: str) -> SenderRegistry:
        return cls.from_document(_parse_json(text))

    @classmethod
    def from_document(cls, document: Any) -> SenderRegistry:
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise RegistryError('the registry is not a JWK Set: no "keys" list')
        keys = [_registered(entry, position) for position, entry in enumerate(document["keys"], start=1)]
        owners: dict[bytes, RegisteredKey] = {}
        for key in keys:
            raw = key.public_key.public_bytes_raw()
            other = owners.setdefault(raw, key)
            if other.sender != key.sender:  # either could sign as the other by choosing the kid
                raise RegistryError(f"key {key.kid!r}: the same public key is {other.sender}'s, as {other.kid!r}")
        return cls(keys)

    def senders(self) -> set[str]:
        return {key.sender for key in self._by_kid.values()}

    def keys(self) -> list[RegisteredKey]:
        """Every key, by sender, then oldest first."""
        return sorted(self._by_kid.values(), key=lambda k: (k.sender, k.not_before, k.kid))

    def keys_of(self, sender: str) -> list[RegisteredKey]:
        return [key for key in self.keys() if key.sender == sender]

    def key(self, kid: str) -> RegisteredKey | None:
        return self._by_kid.get(kid)

    def verify(self, body: bytes, signature: str | bytes | None, at: datetime) -> str:
        """The sender whose key signed `body`, valid when the hub received it (`at`, aware); else
        SignatureRefused with the reason."""
        if at.tzinfo is None:
            raise ValueError("at must be timezone-aware: the hub's receipt time in UTC")
        parsed = read_header(signature)
        key = self._by_kid.get(parsed.kid)
        if key is None:
            raise SignatureRefused(f"unknown kid {shown(parsed.kid)}: no sending system has a key of that name")
        state, whose = key.state_at(at), f"key {key.kid!r} of sender {key.sender!r}"
        if state == _STATE_NOT_YET:
            raise SignatureRefused(f"{whose} is not valid before {_iso(key.not_before)}; received {_iso(at)}")
        if state == _STATE_RETIRED:
            raise SignatureRefused(f"{whose} was retired at {_iso(key.retired_at)}; received {_iso(at)}")
        try:  # RFC 7797 §3: the signing input is the header segment, ".", and the body's bytes as they are
            key.public_key.verify(parsed.signature, parsed.header_segment + b"." + body)
        except InvalidSignature:
            raise SignatureRefused(f"signature does not match the bytes: not made over this body by {whose}") from None
        return key.sender


def _registered(entry: Any, position: int) -> RegisteredKey:
    if not isinstance(entry, dict):
        raise RegistryError(f"entry {position} is not a JSON object")
    kid = entry.get("kid")
    if not isinstance(kid, str) or not KID_PATTERN.fullmatch(kid):
        raise RegistryError(f"entry {position}: kid {shown(kid)} is missing or not A-Z, a-z, 0-9, '.', '_', ':', '-'")

    def refuse(why: str) -> RegistryError:
        return RegistryError(f"key {kid!r}: {why}")

    if entry.get("kty") != "OKP" or entry.get("crv") != "Ed25519":
        raise refuse(f"kty {shown(entry.get('kty'))}, crv {shown(entry.get('crv'))}: only OKP Ed25519 keys sign")
    if "d" in entry:
        raise refuse("holds a private key (d): the registry is public; give the sender its key file instead")
    if entry.get("alg", ALGORITHM) != ALGORITHM or entry.get("use", "sig") != "sig":
        raise refuse(f'alg must be "{ALGORITHM}" and use "sig"')
    sender = entry.get("sender")
    if not isinstance(sender, str) or not SENDER_PATTERN.fullmatch(sender):
        raise refuse(f"sender {shown(sender)} is missing or not a-z, 0-9, '.', '_', '-'")
    nbf, exp = entry.get("nbf"), entry.get("exp")
    if type(nbf) is not int or (exp is not None and type(exp) is not int):
        raise refuse("nbf (required) and exp (optional) must be whole Unix seconds")
    try:
        jwk = PyJWK(entry, algorithm=ALGORITHM)
    except PyJWTError as exc:
        raise refuse(f"x is not an Ed25519 public key ({exc})") from None
    if not isinstance(jwk.key, Ed25519PublicKey):
        raise refuse("x is not an Ed25519 public key")
    retired_at = None if exp is None else datetime.fromtimestamp(exp, UTC)
    return RegisteredKey(sender, kid, datetime.fromtimestamp(nbf, UTC), retired_at, jwk)


def _parse_json(text: str) -> Any:
    def no_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        members = dict(pairs)
        if len(members) != len(pairs):
            raise RegistryError(f"a JSON object repeats a member: {sorted({k for k, _ in pairs})}")
        return members

    try:
        return json.loads(text, object_pairs_hook=no_repeats)
    except RegistryError:
        raise
    except ValueError as exc:
        raise RegistryError(f"the registry is not JSON: {exc}") from None


def _iso(moment: datetime | None) -> str:
    return "never" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---- changes to a registry document: pure, each checked by loading the result -------------------


def empty_document() -> dict[str, Any]:
    return {"keys": []}


def with_key(
    registry_json: dict[str, Any], sender: str, kid: str, public_key: Ed25519PublicKey, not_before: datetime
) -> dict[str, Any]:
    """The registry with `public_key` added as `sender`'s key `kid`, valid from `not_before`."""
    raw = public_key.public_bytes_raw()
    entry = {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": base64url_encode(raw).decode("ascii"),
        "kid": kid,
        "alg": ALGORITHM,
        "use": "sig",
        "sender": sender,
        "nbf": int(not_before.timestamp()),
    }
    changed = copy.deepcopy(registry_json)
    changed.setdefault("keys", []).append(entry)
    SenderRegistry.from_document(changed)
    return changed


def retired(registry_json: dict[str, Any], kid: str, at: datetime) -> dict[str, Any]:
    """The registry with key `kid` retired at `at`: refused from then on. A retirement is never
    postponed (that would revive a key someone meant dead): an earlier `exp` is a RegistryError."""
    changed = copy.deepcopy(registry_json)
    entries = [e for e in changed.get("keys", []) if isinstance(e, dict) and e.get("kid") == kid]
    if not entries:
        raise RegistryError(f"key {kid!r}: not in the registry")
    exp = int(at.timestamp())
    for entry in entries:
        if isinstance(entry.get("exp"), int) and entry["exp"] <= exp:
            raise RegistryError(f"key {kid!r}: already retired at {_iso(datetime.fromtimestamp(entry['exp'], UTC))}")
        entry["exp"] = exp
    SenderRegistry.from_document(changed)
    return changed


def read_document(path: Path) -> dict[str, Any]:
    """The registry file as JSON, checked; an empty registry if there is no file yet."""
    if not path.exists():
        return empty_document()
    document: dict[str, Any] = _parse_json(path.read_text(encoding="utf-8"))
    SenderRegistry.from_document(document)
    return document


def write_document(path: Path, registry_json: dict[str, Any]) -> None:
    """Replace the registry file whole (readers see the old file or the new one, never half), 0644:
    it holds public keys only, and every process of the hub reads it."""
    SenderRegistry.from_document(registry_json)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(json.dumps(registry_json, indent=2, ensure_ascii=False) + "\n")
            out.flush()
            os.fsync(out.fileno())
        os.chmod(name, 0o644)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


# ---- the file a running process checks against ----------------------------------------------------


_Stamp = tuple[int, int, int, int]  # device, inode, size, mtime in ns: os.replace changes the inode
_GONE: _Stamp = (-1, -1, -1, -1)


def _stamp(stat: os.stat_result) -> _Stamp:
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)


class RegistryFile:
    """The registry at `path`, read again when the file changes (looked at once a second at most), so
    a rotation needs no restart. A change that does not load (half written, invalid, gone) leaves the
    last good registry in use, with one warning per change. The first load must succeed."""

    def __init__(self, path: Path, *, check_every_s: float = 1.0, clock: Callable[[], float] = time.monotonic):
        self.path = path
        self._every = check_every_s
        self._clock = clock
        self._registry, self._loaded = self._read()
        self._refused: _Stamp | None = None
        self._checked = clock()

    def current(self) -> SenderRegistry:
        now = self._clock()
        if now - self._checked < self._every:
            return self._registry
        self._checked = now
        try:
            stamp = _stamp(os.stat(self.path))
        except OSError:
            stamp = _GONE
        if stamp in (self._loaded, self._refused):
            return self._registry
        try:
            self._registry, self._loaded = self._read()
            self._refused = None
            log.info("sender registry %s reloaded: %d keys", self.path, len(self._registry.keys()))
        except (OSError, ValueError) as exc:  # RegistryError, or bytes that are not UTF-8
            log.warning("sender registry %s not reloaded, the last good one stays in use: %s", self.path, exc)
            self._refused = stamp
        return self._registry

    def verify(self, body: bytes, signature: str | bytes | None, at: datetime) -> str:
        return self.current().verify(body, signature, at)

    def _read(self) -> tuple[SenderRegistry, _Stamp]:
        with self.path.open(encoding="utf-8") as source:  # the stamp of the very bytes read
            stamp = _stamp(os.fstat(source.fileno()))
            text = source.read()
        return SenderRegistry.from_json(text), stamp
