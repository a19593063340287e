"""Tables of the console's operators and their sessions, in their own MetaData (SQLite and PostgreSQL,
portable SQL only), beside the core's tables in the same store.

As for GET-APP's firms: passwords are kept as Argon2id hashes only and session tokens as SHA-256 digests
only, so a copy of the store gives neither a password nor a usable session (nor, since the CSRF token is
derived from the session token, a CSRF token).
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.store.tables import UtcDateTime

metadata = MetaData()

operators = Table(
    "console_operators",
    metadata,
    Column("name", String(64), primary_key=True),  # the login name, recorded with every decision
    Column("role", String(8), nullable=False),  # watch | act
    Column("password_hash", String(200), nullable=False),  # $argon2id$...
    Column("failed_logins", Integer, nullable=False),  # in a row; reset by a success or at a lock
    Column("locked_until", UtcDateTime()),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("password_changed_at", UtcDateTime(), nullable=False),
)

sessions = Table(
    "console_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),  # SHA-256 of the cookie's random token
    Column("operator", String(64), ForeignKey("console_operators.name"), nullable=False, index=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("last_seen_at", UtcDateTime(), nullable=False),  # idle timeout, kept to the minute
    Column("expires_at", UtcDateTime(), nullable=False),  # absolute end, whatever the activity
)


async def create_console_schema(engine: AsyncEngine) -> None:
    """Every table of the hub's store, this module's among them, at the head revision of its migrations
    (one history for the whole store: hub/store/migrations). For tests and tools: processes only check."""
    from hub.store.schema import create_head_schema

    await create_head_schema(engine)
