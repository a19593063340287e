"""Signed commands: each sending system signs the exact bytes it sends (a detached EdDSA JWS), and
the hub checks the signature against its registry of sending systems before it reads the body.

hub.contract.signing depends on nothing of the hub (hub.configuration.settings imports it): where the
registry and the keys live is hub.configuration.settings's to say (`senders_registry`, `signing_key`)."""

from hub.contract.signing.jws import (
    HTTP_SIGNATURE_HEADER,
    SIGNATURE_HEADER,
    SignatureRefused,
    SigningKey,
    sign,
)
from hub.contract.signing.registry import (
    RegisteredKey,
    RegistryError,
    RegistryFile,
    SenderRegistry,
    retired,
    with_key,
)

__all__ = [
    "HTTP_SIGNATURE_HEADER",
    "SIGNATURE_HEADER",
    "RegisteredKey",
    "RegistryError",
    "RegistryFile",
    "SenderRegistry",
    "SignatureRefused",
    "SigningKey",
    "retired",
    "sign",
    "with_key",
]
