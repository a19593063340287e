"""The offices' page (issue 14): officers' accounts and sessions, and an index on the outbox by carnet,
which the page reads a declaration's timeline from (who acted when).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hub.store.tables import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "office_officers",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("full_name", sa.String(200), nullable=False),
        sa.Column("office", sa.String(16), nullable=False),
        sa.Column("role", sa.String(24), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("failed_logins", sa.Integer, nullable=False),
        sa.Column("locked_until", UtcDateTime()),
        sa.Column("disabled_at", UtcDateTime()),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("password_changed_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "office_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("officer", sa.String(64), sa.ForeignKey("office_officers.name"), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("last_seen_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_office_sessions_officer", "office_sessions", ["officer"])
    op.create_index("ix_outbox_carnet", "outbox", ["message_key", "topic", "id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_carnet", table_name="outbox")
    op.drop_index("ix_office_sessions_officer", table_name="office_sessions")
    op.drop_table("office_sessions")
    op.drop_table("office_officers")
