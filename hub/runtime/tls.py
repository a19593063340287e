"""Mutual TLS for an HTTP endpoint a partner system calls (the BİLGE intake): stdlib `ssl` and
uvicorn's own TLS, nothing home-made.

The server requires a client certificate that chains to the configured CA (a certificate from any
other CA, or none, fails the handshake: no request reaches the app), and hands the app the
certificate's subject as the ASGI TLS extension names it (`scope["extensions"]["tls"]
["client_cert_name"]`, RFC 4514), so every document can be logged with who sent it.

Paths are PEM files, named by the settings of whoever configures the endpoint; the files
themselves (keys above all) are never in the repository.
"""

from __future__ import annotations

import ssl
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from cryptography import x509
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["ClientTls", "PeerCertH11Protocol", "ServerTls", "client_cert_name", "tls_of"]

Scope = MutableMapping[str, Any]
T = TypeVar("T", "ServerTls", "ClientTls")
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]


@dataclass(frozen=True)
class ServerTls:
    """The server's certificate chain and key, and the CA its callers' certificates must chain to."""

    cert_file: Path
    key_file: Path
    client_ca_file: Path

    def files(self) -> tuple[Path, ...]:
        return self.cert_file, self.key_file

    def context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(self.client_ca_file))
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(str(self.cert_file), str(self.key_file))
        ctx.verify_mode = ssl.CERT_REQUIRED  # no certificate, no connection
        return ctx


@dataclass(frozen=True)
class ClientTls:
    """What a caller presents (its certificate and key) and the CA it checks the server against."""

    cert_file: Path
    key_file: Path
    server_ca_file: Path

    def files(self) -> tuple[Path, ...]:
        return self.cert_file, self.key_file

    def context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(self.server_ca_file))
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(str(self.cert_file), str(self.key_file))
        return ctx


def tls_of(kind: type[T], files: tuple[str | Path | None, ...], names: tuple[str, ...]) -> T | None:
    """`kind` from the three PEM files (certificate, key, CA) settings hold, named by their variables;
    None when none is set. One or two set is a mistake, said at start rather than served without TLS."""
    if not any(files):
        return None
    missing = [name for name, value in zip(names, files, strict=True) if not value]
    if missing:
        raise ValueError(f"TLS configuration incomplete: set {', '.join(missing)} too")
    return kind(*(Path(str(v)) for v in files))


def client_cert_name(scope: Scope) -> str | None:
    """The verified caller's certificate subject (RFC 4514), or None on a connection without one."""
    tls = scope.get("extensions", {}).get("tls") or {}
    name = tls.get("client_cert_name")
    return str(name) if name else None


class PeerCertH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, adding the ASGI TLS extension to every request's scope. uvicorn
    0.54 gives the app no access to the peer certificate; the handshake is over (and the chain
    verified) by the time asyncio calls `connection_made`, so it is read once per connection."""

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        der = None
        ssl_object = transport.get_extra_info("ssl_object")
        if ssl_object is not None:
            der = ssl_object.getpeercert(binary_form=True)
        extension = _tls_extension(der)
        inner: ASGIApp = self.app

        async def with_peer(scope: Scope, receive: Any, send: Any) -> None:
            scope.setdefault("extensions", {})["tls"] = extension
            await inner(scope, receive, send)

        self.app = with_peer


def _tls_extension(der: bytes | None) -> dict[str, Any]:
    if der is None:
        return {"client_cert_name": None, "client_cert_chain": []}
    cert = x509.load_der_x509_certificate(der)
    return {"client_cert_name": cert.subject.rfc4514_string(), "client_cert_chain": [ssl.DER_cert_to_PEM_cert(der)]}
