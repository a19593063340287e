"""The schema of release ff58bfb: every table as that release created them.

The history starts at a real release, so that the next revision migrates databases that exist.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from alembic import op

from hub.store.migrations.releases import RELEASES

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_RELEASE = next(r for r in RELEASES if r.revision == revision)


def upgrade() -> None:
    _RELEASE.metadata().create_all(op.get_bind(), checkfirst=False)  # an empty store: no look before each


def downgrade() -> None:
    _RELEASE.metadata().drop_all(op.get_bind())
