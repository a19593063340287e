"""What the tests of the three systems' clients share: a system's simulator on 127.0.0.1 for a test
module, cleared before each test; its faults and call log; a client with quick retries; a client
that gets one stub answer; an address nobody listens on."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import httpx
import pytest
from fastapi import FastAPI

from hub.runtime.edge import ExternalSystemClient
from hub.runtime.http_server import BackgroundServer

C = TypeVar("C", bound=ExternalSystemClient)
Server = Callable[..., Any]  # the fixtures pytest sees


def clear(server: BackgroundServer) -> None:
    """No faults planned, no calls seen."""
    httpx.delete(f"{server.base_url}/_sim/faults").raise_for_status()
    httpx.delete(f"{server.base_url}/_sim/requests").raise_for_status()


def reset(server: BackgroundServer) -> None:
    """Back to the fixtures, faults and call log included (BİLGE: records change)."""
    httpx.post(f"{server.base_url}/_sim/reset").raise_for_status()


def simulator_fixtures(
    name: str, build: Callable[[], FastAPI], *, before_each: Callable[[BackgroundServer], None] = clear
) -> tuple[Server, Server]:
    """A module-scoped fixture `name` running the app `build` makes, and an autouse fixture that runs
    `before_each` on it before every test: ``tobb, _clean_simulator = simulator_fixtures("tobb", ...)``."""

    @pytest.fixture(scope="module", name=name)
    def running() -> Iterator[BackgroundServer]:
        with BackgroundServer(build()) as server:
            yield server

    @pytest.fixture(autouse=True)
    def cleaned(request: pytest.FixtureRequest) -> None:
        before_each(request.getfixturevalue(name))

    return running, cleaned


def faults(server: BackgroundServer, **plan: Any) -> None:
    httpx.post(f"{server.base_url}/_sim/faults", json=plan).raise_for_status()


def requests_log(server: BackgroundServer) -> list[dict[str, Any]]:
    log: list[dict[str, Any]] = httpx.get(f"{server.base_url}/_sim/requests").json()["requests"]
    return log


def requests_seen(server: BackgroundServer) -> int:
    count: int = httpx.get(f"{server.base_url}/_sim/requests").json()["count"]
    return count


def quick_client(client: type[C], server: BackgroundServer, key: str, /, **overrides: Any) -> C:
    """A client of the simulator with `key` (or ``api_key=`` of `overrides`); short backoff keeps the
    retry tests fast (the retry logic is the same)."""
    options: dict[str, Any] = {"timeout_s": 2.0, "max_attempts": 5, "backoff_initial_s": 0.01, "backoff_max_s": 0.05}
    options.update(overrides)
    return client(server.base_url, options.pop("api_key", key), **options)


def stub_client(client: type[C], api_key: str, body: str, status: int = 200, **options: Any) -> C:
    """A client whose every call gets `body` with `status`: answers the simulator never gives."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body.encode(), headers={"Content-Type": "application/xml"})

    return client("http://stub.invalid", api_key, max_attempts=2, transport=httpx.MockTransport(handler), **options)


def unreachable_url() -> str:
    """An http:// address on 127.0.0.1 that nobody listens on (a port bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
