"""Run an ASGI app with uvicorn in a background thread, on a free local port.

For tests and demos that need a *real* HTTP server (the TOBB simulator now, BİLGE and YKTS
simulators later): the client under test goes through sockets, timeouts and connection handling
exactly as it would against the partner, which an in-process ASGI transport would skip.

    with BackgroundServer(create_app()) as server:
        httpx.get(f"{server.base_url}/karne/...")

    async with BackgroundServer(create_app()) as server:   # does not block the event loop
        ...
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Callable, Generator
from types import TracebackType
from typing import Any, Self

import uvicorn

from hub.runtime.tls import PeerCertH11Protocol, ServerTls

__all__ = ["BackgroundServer"]


class BackgroundServer:
    """A uvicorn server on ``host`` in a daemon thread; ``port=0`` picks a free port.

    The listening socket is bound here, before the thread starts, so the port is known at once
    and no other process can take it between "find a free port" and "listen".
    """

    def __init__(
        self,
        app: Callable[..., Any],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        startup_timeout_s: float = 10.0,
        shutdown_timeout_s: float = 5.0,
        graceful_shutdown_s: int = 1,
        log_level: str = "warning",
        tls: ServerTls | None = None,
    ) -> None:
        self._app = app
        self._host = host
        self._tls = tls
        self._requested_port = port
        self._startup_timeout_s = startup_timeout_s
        self._shutdown_timeout_s = shutdown_timeout_s
        self._config = uvicorn.Config(
            app,
            log_level=log_level,
            # Leave the process's logging configuration alone (uvicorn's default replaces it).
            log_config=None,
            access_log=False,
            lifespan="auto",
            # Requests still sleeping in a simulator delay must not hold up stop() for long.
            timeout_graceful_shutdown=graceful_shutdown_s,
            **_tls_options(tls),
        )
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._port: int | None = None
        self._failure: BaseException | None = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("server not started")
        return self._port

    @property
    def base_url(self) -> str:
        """``http://host:port`` (``https://`` with TLS), without a trailing slash."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"{'https' if self._tls else 'http'}://{host}:{self.port}"

    def start(self) -> Self:
        """Start serving; return once the server accepts connections (or raise)."""
        if self._thread is not None:
            raise RuntimeError("server already started")
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        # As uvicorn itself does: a server stopped and started again can take its port back at once.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self._host, self._requested_port))
        except OSError:
            sock.close()
            raise
        self._socket = sock
        self._port = int(sock.getsockname()[1])
        self._server = uvicorn.Server(self._config)
        self._thread = threading.Thread(target=self._run, name=f"http-server-{self._port}", daemon=True)
        self._thread.start()

        server, thread = self._server, self._thread
        deadline = time.monotonic() + self._startup_timeout_s
        while not server.started:
            if not thread.is_alive():
                self._cleanup_socket()
                self._server = self._thread = None
                raise RuntimeError(f"server on port {self._port} failed to start") from self._failure
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"server on port {self._port} not up after {self._startup_timeout_s}s")
            time.sleep(0.01)
        return self

    def _run(self) -> None:
        assert self._server is not None and self._socket is not None
        try:
            self._server.run(sockets=[self._socket])
        except BaseException as exc:  # SystemExit on startup failure included
            self._failure = exc

    def stop(self) -> None:
        """Stop serving and wait for the thread; idempotent."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.should_exit = True
        thread.join(self._shutdown_timeout_s)
        if thread.is_alive():
            server.force_exit = True
            thread.join(self._shutdown_timeout_s)
        self._cleanup_socket()
        self._server = None
        self._thread = None
        if thread.is_alive():
            raise TimeoutError(f"server on port {self._port} did not stop")

    def _cleanup_socket(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        # start()/stop() wait on a thread: keep that off the caller's event loop.
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)


def _tls_options(tls: ServerTls | None) -> dict[str, Any]:
    """uvicorn's TLS options for mutual TLS (hub/runtime/tls.py): our context, and the protocol that tells
    the app who the caller is. None: plain HTTP, as the simulators and the ops endpoints serve."""
    if tls is None:
        return {}
    return {
        "ssl_certfile": str(tls.cert_file),
        "ssl_keyfile": str(tls.key_file),
        "ssl_context_factory": lambda _config, _default: tls.context(),
        "http": PeerCertH11Protocol,
    }


class _QuietServer(uvicorn.Server):
    """A uvicorn server that leaves SIGINT and SIGTERM to its host process. On the main thread uvicorn
    would take them over, stop on its own and raise the signal again afterwards, so the process
    would tear down out of order (simulators left running, an exit that hangs)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


class LoopServer:
    """A uvicorn server as a task of the running event loop, for an app that shares that loop's
    clients (a Kafka producer, an async database engine): they cannot cross to another thread's loop.
    The process that runs it decides when it stops (`stop`)."""

    def __init__(
        self, app: Callable[..., Any], *, host: str = "127.0.0.1", port: int = 0, proxy_headers: bool = True
    ) -> None:
        """`proxy_headers=False`: the app handles X-Forwarded-* itself (uvicorn's default believes 127.0.0.1)."""
        self._server = _QuietServer(
            uvicorn.Config(
                app,
                log_level="warning",
                log_config=None,
                access_log=False,
                lifespan="on",
                proxy_headers=proxy_headers,
            )
        )
        self._host, self._requested_port = host, port
        self._task: asyncio.Task[None] | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self.port}"

    async def start(self) -> LoopServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self._host, self._requested_port))
        self.port = sock.getsockname()[1]
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]), name="http")
        while not self._server.started:
            if self._task.done():
                self._task.result()  # raises what stopped it
            await asyncio.sleep(0.02)
        return self

    async def stop(self) -> None:
        self._server.should_exit = True
        if self._task is not None:
            await self._task
