"""Tables of the officers of the offices' page and their sessions, in their own MetaData (SQLite and
PostgreSQL, portable SQL only), beside the core's tables in the same store.

The shape of every staff page's logins (hub/web/tables.py), the console's too: passwords are kept as
Argon2id hashes only, session tokens as SHA-256 digests only. An officer is never deleted (their id stays
on what they did): `disabled_at` ends their access.
"""

from __future__ import annotations

from sqlalchemy import Column, MetaData, String

from hub.web.tables import staff_accounts, staff_sessions

metadata = MetaData()

# The login name is the officer's staff id (sicil no).
officers = staff_accounts(
    "office_officers",
    metadata,
    Column("full_name", String(200), nullable=False),
    Column("office", String(16), nullable=False),  # the customs office code (hub/domain/offices.csv)
    Column("role", String(24), nullable=False),  # C1: liaison | inspection_officer | director
    disabled=True,
)
officer_sessions = staff_sessions("office_sessions", metadata, "officer", officers)
