"""Alembic's environment: runs the revisions on the connection hub.store.schema gives it.

That connection is already in the transaction that holds the upgrade's lock (a PostgreSQL advisory
lock, SQLite's write lock), so Alembic neither connects nor commits by itself here. Run migrations
with `hub db upgrade`, not with the `alembic` command (there is no alembic.ini).
"""

from __future__ import annotations

from alembic import context

from hub.store.migrations import target_metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("the hub's migrations run through `hub db upgrade` (hub.store.schema), on its connection")

context.configure(
    connection=connection,
    target_metadata=target_metadata(),
    # SQLite alters little in place: batch operations copy a table into its new shape instead.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
