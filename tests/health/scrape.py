"""Reading a process's /metrics as Prometheus would."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families


async def metrics_of(base_url: str) -> list[tuple[str, dict[str, str], float]]:
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{base_url}/metrics")
    response.raise_for_status()
    return [
        (sample.name, dict(sample.labels), sample.value)
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    ]


async def value(base_url: str, name: str, **labels: str) -> float:
    """The sum of the samples named `name` whose labels include `labels` (0 when there are none)."""
    return sum(v for n, have, v in await metrics_of(base_url) if n == name and labels.items() <= have.items())
