"""The HTTP server that shares the hub's event loop leaves the process's signals to the process."""

from __future__ import annotations

import signal

import httpx
from fastapi import FastAPI

from hub.runtime.http_server import LoopServer


async def test_a_loop_server_leaves_sigint_and_sigterm_to_the_process() -> None:
    # uvicorn on the main thread would take SIGTERM, stop itself and re-raise it later: `hub run`
    # then tore down out of order and hung at exit with its simulators still running.
    app = FastAPI()

    @app.get("/ping")
    async def ping() -> dict[str, str]:
        return {"pong": "yes"}

    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    server = await LoopServer(app).start()
    try:
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            assert (await http.get("/ping")).json() == {"pong": "yes"}
        assert {sig: signal.getsignal(sig) for sig in before} == before
    finally:
        await server.stop()
