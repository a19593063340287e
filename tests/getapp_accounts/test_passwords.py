"""Argon2id hashes and initial passwords."""

from __future__ import annotations

from argon2 import PasswordHasher, Type

from hub.getapp.accounts.rules import MIN_PASSWORD_LENGTH
from hub.web import passwords as pw
from hub.web.passwords import Passwords


async def test_hashes_are_argon2id_with_the_parameters_for_a_2_core_server(passwords: Passwords) -> None:
    stored = await passwords.hash("Yeni-Sifre-2026!")
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=2$")
    assert "Yeni-Sifre-2026!" not in stored
    assert (await passwords.verify(stored, "Yeni-Sifre-2026!")).ok
    assert not (await passwords.verify(stored, "yeni-sifre-2026!")).ok
    assert not (await passwords.verify("not a hash", "Yeni-Sifre-2026!")).ok


async def test_a_hash_of_older_parameters_is_replaced_on_a_successful_check(passwords: Passwords) -> None:
    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1, type=Type.ID).hash("Eski-Sifre-2019")
    verified = await passwords.verify(old, "Eski-Sifre-2019")
    assert verified.ok and verified.new_hash is not None
    assert verified.new_hash.startswith("$argon2id$v=19$m=65536,t=3,p=2$")
    assert "Eski-Sifre-2019" not in repr(verified)
    current = await passwords.hash("Eski-Sifre-2019")
    assert (await passwords.verify(current, "Eski-Sifre-2019")).new_hash is None
    assert (await passwords.verify(old, "wrong-password")).new_hash is None


async def test_an_unknown_user_costs_a_check_and_never_matches(passwords: Passwords) -> None:
    verified = await passwords.verify(None, "")
    assert not verified.ok and verified.new_hash is None


def test_initial_passwords_are_long_random_and_unambiguous() -> None:
    made = {pw.initial_password() for _ in range(200)}
    assert len(made) == 200
    assert all(len(p) == pw.INITIAL_PASSWORD_LENGTH >= MIN_PASSWORD_LENGTH for p in made)
    assert all(set(p) <= set(pw.INITIAL_PASSWORD_ALPHABET) for p in made)
    assert not set("lIO01") & set(pw.INITIAL_PASSWORD_ALPHABET)
