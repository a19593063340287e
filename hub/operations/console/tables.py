"""Tables of the console's operators and their sessions, in their own MetaData (SQLite and PostgreSQL,
portable SQL only), beside the core's tables in the same store.

The shape of every staff page's logins (hub/web/tables.py), the offices' page's too: passwords are kept as
Argon2id hashes only and session tokens as SHA-256 digests only.
"""

from __future__ import annotations

from sqlalchemy import Column, MetaData, String
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.web.tables import staff_accounts, staff_sessions

metadata = MetaData()

# The login name is recorded with every decision.
operators = staff_accounts("console_operators", metadata, Column("role", String(8), nullable=False))  # watch | act
sessions = staff_sessions("console_sessions", metadata, "operator", operators)


async def create_console_schema(engine: AsyncEngine) -> None:
    """Every table of the hub's store, this module's among them, at the head revision of its migrations
    (one history for the whole store: hub/store/migrations). For tests and tools: processes only check."""
    from hub.store.schema import create_head_schema

    await create_head_schema(engine)
