"""Tables of GET-APP firm accounts, in their own MetaData (SQLite and PostgreSQL, portable SQL only).

Passwords are stored as Argon2id hashes only; session tokens as SHA-256 digests only (a copy of the
store gives neither a password nor a usable session).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.store.tables import UtcDateTime

metadata = MetaData()

applications = Table(
    "getapp_applications",
    metadata,
    Column("id", String(36), primary_key=True),  # also the request id of the YKTS authority check
    Column("firm_vkn", String(10), nullable=False, index=True),
    Column("person_tckn", String(11), nullable=False),
    Column("person_name", String(200), nullable=False),
    Column("contact_email", String(254)),  # typed by the applicant: never used to deliver anything (A5)
    Column("status", String(16), nullable=False),  # pending | approved | refused
    Column("reason", Text, nullable=False),
    Column("user_code", String(10)),  # the code assigned on approval (mailed, never shown by the API)
    Column("created_at", UtcDateTime(), nullable=False),
    Column("decided_at", UtcDateTime()),
)

firms = Table(
    "getapp_firms",
    metadata,
    Column("vkn", String(10), primary_key=True),
    Column("name", String(300), nullable=False),  # as YKTS registers it
    Column("email", String(254), nullable=False),  # as YKTS registers it: user codes go there only (A5)
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    # Bumped by every change to the firm's users: the UPDATE takes the firm's lock (row lock on
    # PostgreSQL, the write lock on SQLite), so that two additions cannot both see 4 users (A6).
    Column("version", Integer, nullable=False),
)

users = Table(
    "getapp_users",
    metadata,
    Column("user_code", String(10), primary_key=True),
    Column("firm_vkn", String(10), ForeignKey("getapp_firms.vkn"), nullable=False, index=True),
    Column("person_name", String(200), nullable=False),
    Column("tckn", String(11), nullable=False),
    Column("is_owner", Boolean, nullable=False),
    Column("password_hash", String(200)),  # $argon2id$...; None until the credentials mail has been sent
    Column("must_change_password", Boolean, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("failed_logins", Integer, nullable=False),
    Column("locked_until", UtcDateTime()),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("cancelled_at", UtcDateTime()),
)

sessions = Table(
    "getapp_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),  # SHA-256 of the cookie's random token
    Column("user_code", String(10), ForeignKey("getapp_users.user_code"), nullable=False, index=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
)

mail_outbox = Table(
    "getapp_mail_outbox",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("recipient", String(254), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("body", Text, nullable=False),  # with a slot for the initial password, never the password
    Column("credentials_for", String(10)),  # user code whose initial password is made at sending
    Column("created_at", UtcDateTime(), nullable=False),
    Column("next_attempt_at", UtcDateTime(), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text),
    Column("sent_at", UtcDateTime()),
    Column("dropped_at", UtcDateTime()),  # not sent: its user was cancelled before it went
    Index("ix_getapp_mail_outbox_due", "sent_at", "dropped_at", "next_attempt_at"),
)

processed = Table(
    "getapp_processed",
    metadata,
    Column("message_id", String(36), primary_key=True),  # YKTS answers applied once
    Column("processed_at", UtcDateTime(), nullable=False),
)


async def create_schema(engine: AsyncEngine) -> None:
    """Every table of the hub's store, this module's among them, at the head revision of its migrations
    (one history for the whole store: hub/store/migrations). For tests and tools: processes only check."""
    from hub.store.schema import create_head_schema

    await create_head_schema(engine)
