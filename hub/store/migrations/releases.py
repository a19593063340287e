"""The schemas of the releases made before migrations, frozen: never edit them.

Until release 3653a8d every process created its own tables with `create_all` and nothing recorded
which schema a database had. These definitions are those releases' tables as they were (the test
fixtures in tests/store/fixtures are the DDL generated from the released commits themselves, and a
test holds these copies to them), for two uses:

- revision 0001 creates the schema of release ff58bfb from them, so that the migration history
  starts at a real release and its next revision really migrates something;
- `hub db upgrade` recognises a database one of those releases made (it has tables but no
  alembic_version): its tables must be among the release's, each with exactly the release's columns.
  Such a database may hold only some tables: each process created its own (a core without GET-APP,
  as docker-compose ran it, made no getapp_* tables). The missing ones are created as that release
  would have, then the database is stamped at the release's revision and upgraded like any other.

Plain SQLAlchemy types only (the DDL of `UtcDateTime` is `DateTime(timezone=True)`): the models of
today may change, these may not.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    inspect,
)

_ID = BigInteger().with_variant(Integer, "sqlite")  # SQLite numbers rows only through INTEGER PRIMARY KEY


@dataclass(frozen=True)
class Release:
    """A release made before migrations, and the revision whose schema is exactly its own."""

    commit: str
    revision: str

    def metadata(self) -> MetaData:
        return _metadata(self.commit)


# Oldest first. Releases from now on record their revision in the database: none is added here.
RELEASES = (Release("ff58bfb", "0001"), Release("3653a8d", "0002"))


class UnknownStore(RuntimeError):
    """A database with tables and no migration history that no release before migrations made."""


def recognise(conn: Connection) -> Release:
    """The newest release whose tables and columns the database's tables all are (see the module's
    docstring); raises `UnknownStore`, naming what does not fit, when there is none."""
    inspector = inspect(conn)
    names = set(inspector.get_table_names()) - {"alembic_version"}  # present, empty, after a downgrade to base
    found = {name: {c["name"] for c in inspector.get_columns(name)} for name in names}
    misfits: list[str] = []
    for release in reversed(RELEASES):
        expected = {t.name: {c.name for c in t.columns} for t in release.metadata().tables.values()}
        misfits = sorted(_misfits(found, expected))
        if not misfits:
            return release
    newest = RELEASES[-1].commit
    raise UnknownStore(f"its tables are not those of a release of the hub (against {newest}: {'; '.join(misfits)})")


def _misfits(found: dict[str, set[str]], expected: dict[str, set[str]]) -> list[str]:
    out = []
    for name, columns in found.items():
        if name not in expected:
            out.append(f"table {name} is not the hub's")
        elif columns != expected[name]:
            extra, missing = sorted(columns - expected[name]), sorted(expected[name] - columns)
            out.append(f"table {name} has {', '.join(extra) or 'nothing'} more, {', '.join(missing) or 'nothing'} less")
    return out


@cache
def _metadata(commit: str) -> MetaData:
    if commit not in {r.commit for r in RELEASES}:
        raise KeyError(commit)
    metadata = MetaData()
    _core(metadata)
    _tracking(metadata, stage_sender=commit != "ff58bfb")
    _accounts(metadata)
    _console(metadata)
    return metadata


def _core(m: MetaData) -> None:
    """hub/store/tables.py (reconciliation runs included)."""
    Table(
        "carnets", m,
        Column("carnet_number", String(40), primary_key=True),
        Column("source", String(16), nullable=False),
        Column("state", Text, nullable=False),
        Column("version", Integer, nullable=False),
    )  # fmt: skip
    Table(
        "declarations", m,
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
        Column("lodged_at", DateTime(timezone=True), nullable=False),
        Column("discharge_deadline", Date),
        Column("deadline_warned", Boolean, nullable=False),
        Column("deadline_passed", Boolean, nullable=False),
        Column("closed_by", String(8)),
        Column("summary_number", String(40)),
        Column("transport_document", String(40)),
        Column("transport_line", Integer),
        Column("summary_packages", Integer),
        Column("summary_closed", Boolean, nullable=False),
        Index("ix_declarations_office_status", "customs_office", "status"),
        Index("ix_declarations_summary", "summary_number", "transport_document"),
        Index("ix_declarations_deadline", "status", "discharge_deadline"),
    )  # fmt: skip
    Table(
        "declaration_lines", m,
        Column("declaration_number", String(40), ForeignKey("declarations.declaration_number"), primary_key=True),
        Column("line_no", Integer, primary_key=True),
        Column("quantity", Integer, nullable=False),
        Column("discharged", Integer, nullable=False),
    )  # fmt: skip
    Table(
        "processed_messages", m,
        Column("consumer", String(64), primary_key=True),
        Column("message_id", String(36), primary_key=True),
        Column("processed_at", DateTime(timezone=True), nullable=False),
    )  # fmt: skip
    Table(
        "outbox", m,
        Column("id", _ID, primary_key=True, autoincrement=True),
        Column("topic", String(100), nullable=False),
        Column("message_key", String(100), nullable=False),
        Column("message_id", String(36), nullable=False, unique=True),
        Column("message_type", String(64), nullable=False),
        Column("headers", Text, nullable=False),
        Column("body", Text, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("sent_at", DateTime(timezone=True)),
        Index("ix_outbox_unsent", "sent_at", "id"),
    )  # fmt: skip
    Table(
        "pending_lookups", m,
        Column("request_id", String(36), primary_key=True),
        Column("carnet_number", String(40), nullable=False),
        Column("command", Text, nullable=False),
        Column("answers", Text, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
    )  # fmt: skip
    Table(
        "dead_letter_decisions", m,
        Column("dlq_partition", Integer, primary_key=True),
        Column("dlq_offset", BigInteger, primary_key=True),
        Column("action", String(16), nullable=False),
        Column("reason", Text),
        Column("decided_by", String(100), nullable=False),
        Column("decided_at", DateTime(timezone=True), nullable=False),
        Column("replayed_to_topic", String(100)),
        Column("replayed_to_partition", Integer),
        Column("replayed_to_offset", BigInteger),
    )  # fmt: skip
    Table(
        "reconciliation_runs", m,
        Column("id", _ID, primary_key=True, autoincrement=True),
        Column("finished_at", DateTime(timezone=True), nullable=False),
        Column("source", Text, nullable=False),
        Column("records_read", BigInteger, nullable=False),
        Column("findings", Integer, nullable=False),
        Column("corrections", Integer, nullable=False),
        Column("counts", Text, nullable=False),
        Column("summary", Text, nullable=False),
        Column("reports", Text, nullable=False),
        Index("ix_reconciliation_runs_finished", "finished_at", "id"),
    )  # fmt: skip


def _tracking(m: MetaData, *, stage_sender: bool) -> None:
    """hub/getapp/tracking/tables.py; `stage_sender`: getapp_stages.sent_by (release 3653a8d)."""
    Table(
        "getapp_carnets", m,
        Column("carnet_number", String(40), primary_key=True),
        Column("issuing_country", String(2), nullable=False),
        Column("holder_name", Text, nullable=False),
        Column("holder_vkn", String(10)),
        Column("recorded_at", DateTime(timezone=True), nullable=False),
    )  # fmt: skip
    Table(
        "getapp_declarations", m,
        Column("declaration_number", String(40), primary_key=True),
        Column("carnet_number", String(40), nullable=False, index=True),
        Column("regime", String(16)),
        Column("customs_office", String(16)),
        Column("destination_office", String(16)),
        Column("legacy", Boolean, nullable=False),
        Column("holder_name", Text),
        Column("declarant_vkn", String(10)),
        Column("declarant_acts_as", String(16)),
        Column("holder_vkn", String(10)),
        Column("lodged_at", DateTime(timezone=True)),
        Column("closed_at", DateTime(timezone=True)),
        Column("time_to_close_s", Float),
        Column("current_stage", String(24)),
        Column("stage_since", DateTime(timezone=True)),
        Column("location_office", String(16)),
        Column("storage_code", String(40)),
        Column("in_storage", Boolean, nullable=False),
        Column("summary_closed", Boolean, nullable=False),
        Column("discharge_deadline", Date),
        Column("deadline_passed_for", Date),
        Column("overdue", Boolean, nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
        Index("ix_getapp_declarations_declarant", "declarant_vkn"),
        Index("ix_getapp_declarations_holder", "holder_vkn"),
        Index("ix_getapp_declarations_office_regime", "customs_office", "regime"),
    )  # fmt: skip
    Table(
        "getapp_stages", m,
        Column("declaration_number", String(40), primary_key=True),
        Column("stage", String(24), primary_key=True),
        Column("rank", Integer, nullable=False),
        Column("started_at", DateTime(timezone=True), nullable=False),
        Column("ended_at", DateTime(timezone=True)),
        Column("duration_s", Float),
        Column("next_stage", String(24)),
        Column("actor_role", String(24)),
        Column("actor_office", String(16)),
        *([Column("sent_by", String(64))] if stage_sender else []),
        Column("message_id", String(36), nullable=False),
    )  # fmt: skip
    Table(
        "getapp_tracking_processed", m,
        Column("message_id", String(36), primary_key=True),
        Column("message_type", String(64), nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False),
    )  # fmt: skip


def _accounts(m: MetaData) -> None:
    """hub/getapp/accounts/tables.py."""
    Table(
        "getapp_applications", m,
        Column("id", String(36), primary_key=True),
        Column("firm_vkn", String(10), nullable=False, index=True),
        Column("person_tckn", String(11), nullable=False),
        Column("person_name", String(200), nullable=False),
        Column("contact_email", String(254)),
        Column("status", String(16), nullable=False),
        Column("reason", Text, nullable=False),
        Column("user_code", String(10)),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("decided_at", DateTime(timezone=True)),
    )  # fmt: skip
    Table(
        "getapp_firms", m,
        Column("vkn", String(10), primary_key=True),
        Column("name", String(300), nullable=False),
        Column("email", String(254), nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
        Column("version", Integer, nullable=False),
    )  # fmt: skip
    Table(
        "getapp_users", m,
        Column("user_code", String(10), primary_key=True),
        Column("firm_vkn", String(10), ForeignKey("getapp_firms.vkn"), nullable=False, index=True),
        Column("person_name", String(200), nullable=False),
        Column("tckn", String(11), nullable=False),
        Column("is_owner", Boolean, nullable=False),
        Column("password_hash", String(200)),
        Column("must_change_password", Boolean, nullable=False),
        Column("active", Boolean, nullable=False),
        Column("failed_logins", Integer, nullable=False),
        Column("locked_until", DateTime(timezone=True)),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("cancelled_at", DateTime(timezone=True)),
    )  # fmt: skip
    Table(
        "getapp_sessions", m,
        Column("token_hash", String(64), primary_key=True),
        Column("user_code", String(10), ForeignKey("getapp_users.user_code"), nullable=False, index=True),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("expires_at", DateTime(timezone=True), nullable=False),
    )  # fmt: skip
    Table(
        "getapp_mail_outbox", m,
        Column("id", _ID, primary_key=True, autoincrement=True),
        Column("recipient", String(254), nullable=False),
        Column("subject", String(200), nullable=False),
        Column("body", Text, nullable=False),
        Column("credentials_for", String(10)),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("next_attempt_at", DateTime(timezone=True), nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("last_error", Text),
        Column("sent_at", DateTime(timezone=True)),
        Column("dropped_at", DateTime(timezone=True)),
        Index("ix_getapp_mail_outbox_due", "sent_at", "dropped_at", "next_attempt_at"),
    )  # fmt: skip
    Table(
        "getapp_processed", m,
        Column("message_id", String(36), primary_key=True),
        Column("processed_at", DateTime(timezone=True), nullable=False),
    )  # fmt: skip


def _console(m: MetaData) -> None:
    """hub/operations/console/tables.py."""
    Table(
        "console_operators", m,
        Column("name", String(64), primary_key=True),
        Column("role", String(8), nullable=False),
        Column("password_hash", String(200), nullable=False),
        Column("failed_logins", Integer, nullable=False),
        Column("locked_until", DateTime(timezone=True)),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("password_changed_at", DateTime(timezone=True), nullable=False),
    )  # fmt: skip
    Table(
        "console_sessions", m,
        Column("token_hash", String(64), primary_key=True),
        Column("operator", String(64), ForeignKey("console_operators.name"), nullable=False, index=True),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("last_seen_at", DateTime(timezone=True), nullable=False),
        Column("expires_at", DateTime(timezone=True), nullable=False),
    )  # fmt: skip
