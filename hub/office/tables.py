"""Tables of the officers of the offices' page and their sessions, in their own MetaData (SQLite and
PostgreSQL, portable SQL only), beside the core's tables in the same store.

As for the console's operators: passwords are kept as Argon2id hashes only, session tokens as SHA-256
digests only. An officer is never deleted (their id stays on what they did): `disabled_at` ends their
access.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table

from hub.store.tables import UtcDateTime

metadata = MetaData()

officers = Table(
    "office_officers",
    metadata,
    Column("name", String(64), primary_key=True),  # the login name: the officer's staff id (sicil no)
    Column("full_name", String(200), nullable=False),
    Column("office", String(16), nullable=False),  # the customs office code (hub/domain/offices.csv)
    Column("role", String(24), nullable=False),  # C1: liaison | inspection_officer | director
    Column("password_hash", String(200), nullable=False),  # $argon2id$...
    Column("failed_logins", Integer, nullable=False),  # in a row; reset by a success or at a lock
    Column("locked_until", UtcDateTime()),
    Column("disabled_at", UtcDateTime()),  # set: may not log in, sessions ended
    Column("created_at", UtcDateTime(), nullable=False),
    Column("password_changed_at", UtcDateTime(), nullable=False),
)

officer_sessions = Table(
    "office_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),  # SHA-256 of the cookie's random token
    Column("officer", String(64), ForeignKey("office_officers.name"), nullable=False, index=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("last_seen_at", UtcDateTime(), nullable=False),  # idle timeout, kept to the minute
    Column("expires_at", UtcDateTime(), nullable=False),  # absolute end, whatever the activity
)
