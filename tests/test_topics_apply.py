"""`hub topics apply` against the real broker: creates, is idempotent, reports drift."""

from __future__ import annotations

import dataclasses

import pytest

from hub.contract.topics import TopicCatalog, catalog
from hub.operations.kafka.admin import apply_topics

pytestmark = pytest.mark.kafka


async def test_apply_creates_missing_topics_then_is_idempotent_then_reports_drift(bootstrap: str) -> None:
    base = catalog().topic("ata.declaration.events")
    spec = dataclasses.replace(base, name="test.apply.events", partitions=2, retention_ms=86400000)
    first = await apply_topics(bootstrap, TopicCatalog([spec]))
    assert first.created == ["test.apply.events"] and not first.drift
    # One broker here: said once, naming the cluster's size, and not drift afterwards.
    assert first.notes == [
        "the cluster has 1 broker(s): replication factor and min.insync.replicas capped at 1 "
        "for 1 of 1 topics (topics.yaml wants replication factor 3)"
    ]

    second = await apply_topics(bootstrap, TopicCatalog([spec]))
    assert second.created == [] and second.unchanged == ["test.apply.events"] and not second.drift

    changed = dataclasses.replace(spec, partitions=4, retention_ms=3600000)
    drifted = await apply_topics(bootstrap, TopicCatalog([changed]))
    assert drifted.created == []
    assert "test.apply.events: 2 partitions, topics.yaml says 4" in drifted.drift
    assert "test.apply.events: retention.ms=86400000, topics.yaml says 3600000" in drifted.drift


async def test_every_topic_of_topics_yaml_exists_as_declared(bootstrap: str) -> None:
    report = await apply_topics(bootstrap, catalog())
    assert report.created == [] and not report.drift
    assert sorted(report.unchanged) == sorted(catalog().names)
    assert len(report.notes) == 1 and "the cluster has 1 broker(s)" in report.notes[0]  # once, not per topic
