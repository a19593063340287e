"""GET-APP tracking (Circular 2017/12): where a firm's goods are, each declaration's stage, processing
times (A1, A2), only the firm's own declarations (A3), every answer informational (A8); and the
C4 statistics of carnets by country, region and regional directorate.

- tables.py: the read model's tables, in their own MetaData (create_tracking_schema).
- projection.py: TrackingProjection, fed by the events of `ata.declaration.events`.
- queries.py: TrackingQueries, what GET-APP answers.
- api.py: tracking_router, the JSON HTTP API.
- consumer.py: subscribe_tracking and subscribe_tcgbs, the Kafka wiring.
- tcgb_timeline.py, tcgb_projection.py, bulk.py, tcgb_queries.py: every import and export TCGB of
  BİLGE (A2), fed by `bilge.tcgb.events` a poll at a time, for its consignee and consignor.
"""

from hub.getapp.tracking.api import NOTICE, tracking_router
from hub.getapp.tracking.projection import TrackingProjection
from hub.getapp.tracking.queries import TrackingQueries
from hub.getapp.tracking.tables import create_tracking_schema, tracking_metadata

__all__ = [
    "NOTICE",
    "TrackingProjection",
    "TrackingQueries",
    "create_tracking_schema",
    "tracking_metadata",
    "tracking_router",
]
