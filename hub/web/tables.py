"""The two tables of a staff page's logins (hub/web/logins.py `AccountTables`), one shape for the
operator console's and the offices' page's, each in its own MetaData under its own names.

    operators = staff_accounts("console_operators", metadata, Column("role", String(8), nullable=False))
    sessions = staff_sessions("console_sessions", metadata, "operator", operators)

Passwords are kept as Argon2id hashes only, session tokens as SHA-256 digests only: a copy of the store
gives neither a password nor a usable session (nor, since the CSRF token is derived from the session
token, a CSRF token). The tables are in the store's migrations (hub/store/migrations): a change here is
a change of the schema, which needs a migration (tests/store/test_migrations.py compares them).
GET-APP's firm users and sessions are of another shape (user codes, no idle timeout) and stay apart.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table

from hub.store.tables import UtcDateTime


def staff_accounts(name: str, metadata: MetaData, *own: Column[Any], disabled: bool = False) -> Table:
    """Accounts: the login name (primary key), the page's `own` columns, the login's columns and, when
    `disabled`, ``disabled_at`` (set: may not log in, sessions ended; the account stays)."""
    return Table(
        name,
        metadata,
        Column("name", String(64), primary_key=True),  # the login name, recorded with what they do
        *own,
        Column("password_hash", String(200), nullable=False),  # $argon2id$...
        Column("failed_logins", Integer, nullable=False),  # in a row; reset by a success or at a lock
        Column("locked_until", UtcDateTime()),
        *([Column("disabled_at", UtcDateTime())] if disabled else []),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("password_changed_at", UtcDateTime(), nullable=False),
    )


def staff_sessions(name: str, metadata: MetaData, owner: str, accounts: Table) -> Table:
    """Sessions of `accounts`, whose name is in the column `owner` (indexed)."""
    return Table(
        name,
        metadata,
        Column("token_hash", String(64), primary_key=True),  # SHA-256 of the cookie's random token
        Column(owner, String(64), ForeignKey(f"{accounts.name}.name"), nullable=False, index=True),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("last_seen_at", UtcDateTime(), nullable=False),  # idle timeout, kept to the minute
        Column("expires_at", UtcDateTime(), nullable=False),  # absolute end, whatever the activity
    )
