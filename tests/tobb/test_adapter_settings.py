"""The TOBB adapter process reaches TOBB with every setting it is given: pointing it at the real
system is a matter of configuration alone."""

from __future__ import annotations

import pytest

from adapters.tobb import simulator as tobb_sim
from adapters.tobb.client import TobbRejected, TobbSettings
from hub.configuration.settings import Settings
from hub.entrypoints.processes.tobb import TobbAdapterProcess
from hub.runtime.http_server import BackgroundServer


async def test_g3_the_adapter_sends_its_api_key_in_the_header_tobb_names(settings: Settings) -> None:
    # rule: G3 - the carnet is fetched from TOBB; TOBB here wants its key in X-TOBB-Anahtar
    app = tobb_sim.create_app(api_key="anahtar-1", api_key_header="X-TOBB-Anahtar")
    with BackgroundServer(app) as tobb:
        env = {"TOBB_BASE_URL": tobb.base_url, "TOBB_API_KEY": "anahtar-1", "TOBB_API_KEY_HEADER": "X-TOBB-Anahtar"}
        adapter = TobbAdapterProcess(settings, TobbSettings.from_env(env))
        try:
            carnet = await adapter.client.fetch_carnet("TR/2026/000123")
        finally:
            await adapter.client.aclose()
        assert carnet is not None and carnet.carnet_number == "TR/2026/000123"

        wrong = TobbAdapterProcess(settings, TobbSettings.from_env({**env, "TOBB_API_KEY_HEADER": "X-Api-Key"}))
        try:
            with pytest.raises(TobbRejected) as refused:
                await wrong.client.fetch_carnet("TR/2026/000123")
        finally:
            await wrong.client.aclose()
        assert refused.value.status_code == 401
