"""The migration history of every table of the hub (Alembic): the core's, reconciliation runs
included, GET-APP's tracking read model and accounts, the console's and the offices' page's. One history for one store,
since every process shares one database URL.

- env.py: what Alembic runs; it takes the connection `hub.store.schema` hands it (no alembic.ini,
  no URL of its own), so that the upgrade runs inside the lock hub.store.schema holds.
- versions/: the revisions, numbered 0001, 0002, ... Revision 0001 is the schema of release ff58bfb.
- releases.py: the schemas of the releases made before migrations, to recognise their databases.

A change to a table is a change to its module (hub/store/tables.py, ...) AND a new revision here:
tests/store/test_migrations.py fails while the two differ. `hub db revision MESSAGE` writes the
revision's first draft from that difference.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import MetaData

SCRIPT_LOCATION = Path(__file__).parent


def target_metadata() -> list[MetaData]:
    """Every MetaData of the hub: what the head revision must equal."""
    from hub.getapp.accounts.tables import metadata as accounts
    from hub.getapp.tracking.tables import tracking_metadata
    from hub.office.tables import metadata as office
    from hub.operations.console.tables import metadata as console
    from hub.store.tables import metadata as core

    return [core, tracking_metadata, accounts, console, office]
