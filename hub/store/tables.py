"""Tables of the core's state, its processed-message log and its outbox.

Portable SQL only (SQLite and PostgreSQL): no JSON operators, no dialect types.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)

metadata = MetaData()


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (which keeps no zone) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: the store keeps aware times only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value if value.tzinfo else value.replace(tzinfo=UTC)


carnets = Table(
    "carnets",
    metadata,
    Column("carnet_number", String(40), primary_key=True),
    Column("source", String(16), nullable=False),
    # The aggregate as JSON: loaded and saved whole, since the carnet is the unit of consistency.
    Column("state", Text, nullable=False),
    Column("version", Integer, nullable=False),  # optimistic lock: one writer per carnet at a time
)

# Projection of the declarations for queries across carnets (visibility, deadlines, references).
declarations = Table(
    "declarations",
    metadata,
    Column("declaration_number", String(40), primary_key=True),
    Column("carnet_number", String(40), ForeignKey("carnets.carnet_number"), nullable=False, index=True),
    Column("regime", String(16), nullable=False),
    Column("customs_office", String(16), nullable=False),
    Column("office_kind", String(8), nullable=False),
    Column("destination_office", String(16)),
    Column("status", String(24), nullable=False),
    Column("previous_declaration", String(40)),
    Column("declarant_kind", String(8), nullable=False),
    Column("declarant_id", String(20), nullable=False),
    Column("lodged_at", UtcDateTime(), nullable=False),
    Column("discharge_deadline", Date),
    Column("deadline_warned", Boolean, nullable=False),
    Column("deadline_passed", Boolean, nullable=False),
    Column("closed_by", String(8)),
    # The özet beyan part it opened (S2 counts what hub declarations hold open of it).
    Column("summary_number", String(40)),
    Column("transport_document", String(40)),
    Column("transport_line", Integer),
    Column("summary_packages", Integer),
    Column("summary_closed", Boolean, nullable=False, default=False),
    Index("ix_declarations_office_status", "customs_office", "status"),
    Index("ix_declarations_summary", "summary_number", "transport_document"),
    Index("ix_declarations_deadline", "status", "discharge_deadline"),
)

declaration_lines = Table(
    "declaration_lines",
    metadata,
    Column("declaration_number", String(40), ForeignKey("declarations.declaration_number"), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("quantity", Integer, nullable=False),
    Column("discharged", Integer, nullable=False),
)

processed_messages = Table(
    "processed_messages",
    metadata,
    Column("consumer", String(64), primary_key=True),
    Column("message_id", String(36), primary_key=True),
    Column("processed_at", UtcDateTime(), nullable=False),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("topic", String(100), nullable=False),
    Column("message_key", String(100), nullable=False),
    Column("message_id", String(36), nullable=False, unique=True),
    Column("message_type", String(64), nullable=False),
    Column("headers", Text, nullable=False),  # JSON object of str -> str
    Column("body", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("sent_at", UtcDateTime()),
    Index("ix_outbox_unsent", "sent_at", "id"),
    # A carnet's events in the order published: the offices' timeline of a declaration (who acted when).
    Index("ix_outbox_carnet", "message_key", "topic", "id"),
)

pending_lookups = Table(
    "pending_lookups",
    metadata,
    Column("request_id", String(36), primary_key=True),  # the lodging command's message id
    Column("carnet_number", String(40), nullable=False),
    Column("command", Text, nullable=False),  # the command's whole envelope, to finish it later
    Column("answers", Text, nullable=False),  # JSON of what earlier look-ups answered (legacy, summary)
    Column("created_at", UtcDateTime(), nullable=False),
)

# What operators decided about records of hub.deadletter (`hub dlq`), keyed by the record's place there.
# A record without a row is waiting. Replay is recorded only once the broker has the replayed copy.
dead_letter_decisions = Table(
    "dead_letter_decisions",
    metadata,
    Column("dlq_partition", Integer, primary_key=True),
    Column("dlq_offset", BigInteger, primary_key=True),
    Column("action", String(16), nullable=False),  # 'replayed' | 'discarded'
    Column("reason", Text),  # required for a discard
    Column("decided_by", String(100), nullable=False),
    Column("decided_at", UtcDateTime(), nullable=False),
    Column("replayed_to_topic", String(100)),
    Column("replayed_to_partition", Integer),
    Column("replayed_to_offset", BigInteger),
)

# Runs of `hub reconcile bilge`, newest shown by the operator console: when, against what, how much
# was found, and where the reports were written. Written by the command, never by the core.
reconciliation_runs = Table(
    "reconciliation_runs",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("finished_at", UtcDateTime(), nullable=False),
    Column("source", Text, nullable=False),  # the export file or the export endpoint's URL (no credentials)
    Column("records_read", BigInteger, nullable=False),
    Column("findings", Integer, nullable=False),
    Column("corrections", Integer, nullable=False),
    Column("counts", Text, nullable=False),  # JSON object: finding kind -> number
    Column("summary", Text, nullable=False),  # the summary printed and written to summary.txt
    Column("reports", Text, nullable=False),  # JSON array of the paths written
    Index("ix_reconciliation_runs_finished", "finished_at", "id"),
)
