"""The account tests' store, hasher and world (a service with a clock, its YKTS requests and mails)."""

from tests.getapp_accounts.conftest import engine, passwords, world

__all__ = ["engine", "passwords", "world"]
