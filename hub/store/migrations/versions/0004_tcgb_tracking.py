"""GET-APP for TCGBs (issue 14, A2): the TCGBs lodged in BİLGE, their stages, and the binned stage
durations the averages and medians are read from (A1).

New tables only: a store upgraded to it shows no TCGB until the projection reads `bilge.tcgb.events`
(retained 90 days) from the start.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hub.store.tables import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "getapp_tcgbs",
        sa.Column("tcgb_number", sa.String(40), primary_key=True),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("regime", sa.String(4), nullable=False),
        sa.Column("customs_office", sa.String(16), nullable=False),
        sa.Column("consignee_vkn", sa.String(10)),
        sa.Column("consignor_vkn", sa.String(10)),
        sa.Column("registered_at", UtcDateTime(), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("current_stage", sa.String(24), nullable=False),
        sa.Column("stage_since", UtcDateTime(), nullable=False),
        sa.Column("channel", sa.String(8)),
        sa.Column("location_office", sa.String(16), nullable=False),
        sa.Column("released", sa.Boolean(), nullable=False),
        sa.Column("exited", sa.Boolean(), nullable=False),
        sa.Column("finished", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_getapp_tcgbs_consignee", "getapp_tcgbs", ["consignee_vkn", "registered_at", "tcgb_number"])
    op.create_index("ix_getapp_tcgbs_consignor", "getapp_tcgbs", ["consignor_vkn", "registered_at", "tcgb_number"])
    op.create_table(
        "getapp_tcgb_stages",
        sa.Column("tcgb_number", sa.String(40), primary_key=True),
        sa.Column("stage", sa.String(24), primary_key=True),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("ended_at", UtcDateTime()),
        sa.Column("duration_ms", sa.BigInteger()),
        sa.Column("next_stage", sa.String(24)),
        sa.Column("office", sa.String(16)),
        sa.Column("channel", sa.String(8)),
        sa.Column("message_id", sa.String(36), nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "getapp_tcgb_duration_bins",
        sa.Column("month", sa.String(7), primary_key=True),
        sa.Column("customs_office", sa.String(16), primary_key=True),
        sa.Column("direction", sa.String(8), primary_key=True),
        sa.Column("stage", sa.String(24), primary_key=True),
        sa.Column("bin", sa.Integer(), primary_key=True),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("sum_ms", sa.BigInteger(), nullable=False),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("getapp_tcgb_duration_bins")
    op.drop_table("getapp_tcgb_stages")
    op.drop_index("ix_getapp_tcgbs_consignor", "getapp_tcgbs")
    op.drop_index("ix_getapp_tcgbs_consignee", "getapp_tcgbs")
    op.drop_table("getapp_tcgbs")
