"""Tables of the GET-APP tracking read model (Circular 2017/12, A1–A3, A8; C4 statistics).

They live in their own MetaData: the read model can sit in the core's database or in one of its
own, and can be dropped and rebuilt from the `ata.declaration.events` topic at any time.
Portable SQL only (SQLite and PostgreSQL), as in hub/store/tables.py.

There is no foreign key from stages to declarations: a stage may be recorded before its
declaration's lodgement is seen (order tolerance), and the declaration row is only a placeholder
(no regime, no lodged_at) until then.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Date, Float, Index, Integer, MetaData, String, Table, Text
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.store.claims import ProcessedLog
from hub.store.tables import UtcDateTime

tracking_metadata = MetaData()

# The carnets' data the statistics need (C4: issuing country) and the holder's VKN (A3).
getapp_carnets = Table(
    "getapp_carnets",
    tracking_metadata,
    Column("carnet_number", String(40), primary_key=True),
    Column("issuing_country", String(2), nullable=False),
    Column("holder_name", Text, nullable=False),
    Column("holder_vkn", String(10)),  # the holder's id when it is a VKN (10 digits); a TCKN is not a firm
    Column("recorded_at", UtcDateTime(), nullable=False),  # occurred_at of the last CarnetRecorded applied
)

# One row per declaration: where it stands now, and whose it is (A1, A3).
getapp_declarations = Table(
    "getapp_declarations",
    tracking_metadata,
    Column("declaration_number", String(40), primary_key=True),
    Column("carnet_number", String(40), nullable=False, index=True),
    # Null until the DeclarationLodged (or LegacyDeclarationImported) is seen: a placeholder row.
    Column("regime", String(16)),
    Column("customs_office", String(16)),
    Column("destination_office", String(16)),
    Column("legacy", Boolean, nullable=False, default=False),  # L1: registered in BİLGE, no e-ATA/TR stages
    Column("holder_name", Text),
    # A3: the firms registered as consignee/consignor. declarant_vkn is kept whatever the declarant acts as;
    # queries count it only when the declarant acts as the holder (a representative is neither).
    Column("declarant_vkn", String(10)),
    Column("declarant_acts_as", String(16)),
    Column("holder_vkn", String(10)),
    Column("lodged_at", UtcDateTime()),  # tescil (the payload's lodged_at; BİLGE's registered_at for L1)
    Column("closed_at", UtcDateTime()),  # kapanmış
    Column("time_to_close_s", Float),  # closed - lodged, seconds (C4)
    # Derived from the stages on every change (see projection._refresh): never set by one event alone.
    Column("current_stage", String(24)),
    Column("stage_since", UtcDateTime()),
    Column("location_office", String(16)),  # where the goods are (A1): office code
    Column("storage_code", String(40)),  # geçici depolama yeri declared on lodging (S3)
    Column("in_storage", Boolean, nullable=False, default=False),  # still there: not released (S4)
    Column("summary_closed", Boolean, nullable=False, default=False),  # BİLGE confirmed the release (S4)
    Column("discharge_deadline", Date),  # latest known re-export/re-import deadline (V1, G6)
    Column("deadline_passed_for", Date),  # latest deadline a DeadlinePassed was published for (V2)
    Column("overdue", Boolean, nullable=False, default=False),  # passed, not extended beyond, not closed
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ix_getapp_declarations_declarant", "declarant_vkn"),
    Index("ix_getapp_declarations_holder", "holder_vkn"),
    Index("ix_getapp_declarations_office_regime", "customs_office", "regime"),
)

# One row per stage a declaration reached, with how long it stayed there (A1).
getapp_stages = Table(
    "getapp_stages",
    tracking_metadata,
    Column("declaration_number", String(40), primary_key=True),
    Column("stage", String(24), primary_key=True),  # lodged | accepted | inspection_completed | closed | ...
    Column("rank", Integer, nullable=False),  # place in the lifecycle: orders the stages whatever their arrival
    Column("started_at", UtcDateTime(), nullable=False),  # the event's occurred_at
    Column("ended_at", UtcDateTime()),  # the next stage's started_at; null while current or terminal
    Column("duration_s", Float),  # ended_at - started_at in seconds
    Column("next_stage", String(24)),
    Column("actor_role", String(24)),  # the event's `by`, where it has one (C1 roles); never the officer's id
    Column("actor_office", String(16)),
    # The sending system whose signed command reached the stage (the envelope's sent_by): who vouches for it.
    Column("sent_by", String(64)),
    Column("message_id", String(36), nullable=False),  # the event that started the stage
)

# Message ids applied once (the tracking projections' own, apart from the core's processed_messages).
getapp_processed = Table(
    "getapp_tracking_processed",
    tracking_metadata,
    Column("message_id", String(36), primary_key=True),
    Column("message_type", String(64), nullable=False),
    Column("processed_at", UtcDateTime(), nullable=False),
)
# The claim of both projections (ATA events and TCGB events: their message ids never meet).
TRACKING_CLAIMS = ProcessedLog(getapp_processed)


# --- TCGBs lodged in BİLGE (A2): every import and export declaration, for its consignee and consignor ---

# One row per TCGB: its header (any of its events carries it) and where it stands now (A1, A3).
getapp_tcgbs = Table(
    "getapp_tcgbs",
    tracking_metadata,
    Column("tcgb_number", String(40), primary_key=True),
    Column("direction", String(8), nullable=False),  # import | export
    Column("regime", String(4), nullable=False),
    Column("customs_office", String(16), nullable=False),  # where it was registered
    Column("consignee_vkn", String(10)),  # alıcı (A3)
    Column("consignor_vkn", String(10)),  # gönderici (A3)
    # The registered stage's time; until that event is seen, the earliest stage known (order tolerance).
    Column("registered_at", UtcDateTime(), nullable=False),
    Column("month", String(7), nullable=False),  # YYYY-MM of registered_at in Türkiye: the averages' month
    # Derived from the stages on every change (hub/getapp/tracking/tcgb_timeline.py).
    Column("current_stage", String(24), nullable=False),
    Column("stage_since", UtcDateTime(), nullable=False),
    Column("channel", String(8)),  # kontrol kanalı, once assigned
    Column("location_office", String(16), nullable=False),  # where the goods are: the last office named
    Column("released", Boolean, nullable=False),  # serbest bırakıldı
    Column("exited", Boolean, nullable=False),  # an export's goods left Türkiye
    Column("finished", Boolean, nullable=False),  # an import released, an export exited
    Column("updated_at", UtcDateTime(), nullable=False),
    # A firm's list, newest first, keyset-paginated (A3): one index per role.
    Index("ix_getapp_tcgbs_consignee", "consignee_vkn", "registered_at", "tcgb_number"),
    Index("ix_getapp_tcgbs_consignor", "consignor_vkn", "registered_at", "tcgb_number"),
)

# One row per stage a TCGB reached, with how long it stayed there (A1). No foreign key: order tolerance.
getapp_tcgb_stages = Table(
    "getapp_tcgb_stages",
    tracking_metadata,
    Column("tcgb_number", String(40), primary_key=True),
    Column("stage", String(24), primary_key=True),  # registered | channel_assigned | examined | paid | ...
    Column("rank", Integer, nullable=False),
    Column("started_at", UtcDateTime(), nullable=False),  # BİLGE's reached_at
    Column("ended_at", UtcDateTime()),  # the next stage's started_at; null while current or last
    Column("duration_ms", BigInteger),  # ended_at - started_at, whole milliseconds
    Column("next_stage", String(24)),
    Column("office", String(16)),  # where the stage happened, when BİLGE names it (an exit)
    Column("channel", String(8)),  # on channel_assigned
    Column("message_id", String(36), nullable=False),  # the event that started the stage
    sqlite_with_rowid=False,  # SQLite: rows kept in key order, a TCGB's stages side by side
)

# A1 at national scale: the stages' durations per office, direction, month and stage, kept up to date in
# the projection's transaction. Durations fall into log-scale bins (tcgb_timeline.duration_bin); a bin
# keeps how many durations it holds and their exact sum (ms), so averages are exact and a median is the
# mean of the bin holding the middle rank (within one bin's width, 5 %).
getapp_tcgb_duration_bins = Table(
    "getapp_tcgb_duration_bins",
    tracking_metadata,
    Column("month", String(7), primary_key=True),  # first: every query names a month
    Column("customs_office", String(16), primary_key=True),
    Column("direction", String(8), primary_key=True),
    Column("stage", String(24), primary_key=True),
    Column("bin", Integer, primary_key=True),
    Column("count", BigInteger, nullable=False),
    Column("sum_ms", BigInteger, nullable=False),
    sqlite_with_rowid=False,  # SQLite: a month's bins read in key order from the table itself, not via an index
)


async def create_tracking_schema(engine: AsyncEngine) -> None:
    """Every table of the hub's store, this module's among them, at the head revision of its migrations
    (one history for the whole store: hub/store/migrations). For tests and tools: processes only check."""
    from hub.store.schema import create_head_schema

    await create_head_schema(engine)
