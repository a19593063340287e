"""getapp_stages.sent_by: the sending system whose signed command reached the stage (release 3653a8d).

Stages recorded before it keep no sender (null), as the read model shows them already.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("getapp_stages") as batch:
        batch.add_column(sa.Column("sent_by", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("getapp_stages") as batch:
        batch.drop_column("sent_by")
