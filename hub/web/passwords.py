"""Passwords: Argon2id hashes (argon2-cffi), initial passwords from `secrets`.

A password is never logged and never stored in clear: the store holds `$argon2id$...` hashes only, and
an initial password exists only while its mail is being sent (see mail.MailRelay).
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

# RFC 9106's second recommended option (t=3, 64 MiB) with 2 lanes for a 2-core server: about 0.1 s a
# hash there. HASHING_CONCURRENCY bounds the memory: at most 2 x 64 MiB hashing at once.
TIME_COST = 3
MEMORY_COST_KIB = 64 * 1024
PARALLELISM = 2
HASHING_CONCURRENCY = 2

INITIAL_PASSWORD_ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no l, I, O, 0, 1
INITIAL_PASSWORD_LENGTH = 16  # about 92 bits


def new_hasher() -> PasswordHasher:
    return PasswordHasher(
        time_cost=TIME_COST,
        memory_cost=MEMORY_COST_KIB,
        parallelism=PARALLELISM,
        hash_len=32,
        salt_len=16,
        type=Type.ID,
    )


def initial_password() -> str:
    return "".join(secrets.choice(INITIAL_PASSWORD_ALPHABET) for _ in range(INITIAL_PASSWORD_LENGTH))


@dataclass(frozen=True, repr=False)
class Verified:
    ok: bool
    new_hash: str | None = None  # set when the password matched a hash of older parameters: store it

    def __repr__(self) -> str:
        return f"Verified(ok={self.ok}, rehashed={self.new_hash is not None})"


class Passwords:
    """Hash and verify off the event loop, a bounded number at a time."""

    def __init__(self, hasher: PasswordHasher | None = None, concurrency: int = HASHING_CONCURRENCY) -> None:
        self._hasher = hasher or new_hasher()
        self._slots = asyncio.Semaphore(concurrency)
        self._dummy: str | None = None

    @property
    def hasher(self) -> PasswordHasher:
        return self._hasher

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, stored: str | None, password: str) -> Verified:
        """Does the password match? Without a stored hash (unknown user code) it still costs one
        verification, so that the time of an answer does not tell which user codes exist."""
        if stored is None:
            if self._dummy is None:
                self._dummy = await self.hash(secrets.token_urlsafe(16))
            await self._check(self._dummy, password)
            return Verified(ok=False)
        if not await self._check(stored, password):
            return Verified(ok=False)
        if self._hasher.check_needs_rehash(stored):
            return Verified(ok=True, new_hash=await self.hash(password))
        return Verified(ok=True)

    async def _check(self, stored: str, password: str) -> bool:
        async with self._slots:
            try:
                return await asyncio.to_thread(self._hasher.verify, stored, password)
            except (VerificationError, InvalidHashError):
                return False
