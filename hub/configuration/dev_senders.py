"""The development sending systems: one Ed25519 key each and the registry that trusts them, made once
under `.data/signing`, never for production.

    senders = ensure_dev_senders()             # .data/signing: made on first use, reused after
    senders.registry_path                      # what the core checks signatures against
    sign(body, senders.key("frontend"))        # what the demo, the tests and the simulators send

    .data/signing/                  0755: the registry is public, and every process reads it
        senders.jwks.json           0644, the JWK Set of hub/contract/signing/registry.py
        keys/                       0700: the private keys, the machine's owner's alone
            frontend.json ...       0600, SigningKey files

In production each sending system makes its own key (`hub senders keygen` on its machine, or any
Ed25519 tool) and gives the hub only the public key; these keys sign for every sender at once, and
whoever reads .data/ may speak as any of them.

Several processes may start at once on a fresh clone (`make run`, the test suite, docker-compose's
containers on one volume): the set is made in a folder of its own and renamed into place, so every
process uses one complete set, whoever made it. A folder that holds something else is left alone
and reported (it may hold keys someone added with `hub senders keygen`): nothing here deletes keys.
Only `signing/` and `keys/` are made with a mode of their own: `.data/` keeps the default, since
PostgreSQL's home is in it and the postgres user must pass through.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hub.configuration.settings import DATA_DIR
from hub.contract.signing.jws import SigningKey
from hub.contract.signing.registry import SenderRegistry, empty_document, with_key, write_document

DEV_SIGNING_DIR = DATA_DIR / "signing"
# bilge is BİLGE itself, signing the documents it sends the intake; the others put commands on Kafka.
DEV_SENDERS = ("frontend", "bilge-reconciliation", "adapter-bilge", "bilge")
REGISTRY_NAME = "senders.jwks.json"
_SKEW = timedelta(minutes=5)  # clocks of two processes (or containers) may differ a little


@dataclass(frozen=True)
class DevSenders:
    directory: Path

    @property
    def registry_path(self) -> Path:
        return self.directory / REGISTRY_NAME

    def key_path(self, sender: str) -> Path:
        return self.directory / "keys" / f"{sender}.json"

    def key(self, sender: str) -> SigningKey:
        """The development key of `sender`, one of DEV_SENDERS."""
        if sender not in DEV_SENDERS:
            raise KeyError(f"{sender!r} is no development sender: one of {', '.join(DEV_SENDERS)}")
        return SigningKey.load(self.key_path(sender))


def ensure_dev_senders(directory: Path = DEV_SIGNING_DIR) -> DevSenders:
    """The development senders in `directory`, made there first if the folder is missing or empty."""
    senders = DevSenders(directory)
    if _missing_or_empty(directory):
        _make_in_place(directory)
    if problem := _problem(senders):
        raise RuntimeError(f"{directory} holds no development set of senders ({problem}): remove it to have one made")
    return senders


def _missing_or_empty(directory: Path) -> bool:
    try:
        return not any(directory.iterdir())
    except FileNotFoundError:
        return True


def _make_in_place(directory: Path) -> None:
    directory.parent.mkdir(parents=True, exist_ok=True)  # default mode: see the module's docstring
    fresh = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))  # 0700
    try:
        _make(fresh)
        fresh.chmod(0o755)
        try:
            fresh.rename(directory)  # atomic; over a missing or empty folder only
        except OSError:
            pass  # another process put its set in place first: use that
    finally:
        shutil.rmtree(fresh, ignore_errors=True)  # gone already if it was renamed


def _make(directory: Path) -> None:
    made = DevSenders(directory)
    (directory / "keys").mkdir(mode=0o700)
    os.chmod(directory / "keys", 0o700)  # whatever the umask
    registry = empty_document()
    now = datetime.now(UTC)
    for sender in DEV_SENDERS:
        key = SigningKey.generate(sender, f"{sender}-dev-{now:%Y%m%d%H%M%S}")
        key.save(made.key_path(sender))
        registry = with_key(registry, sender, key.kid, key.private_key.public_key(), now - _SKEW)
    write_document(made.registry_path, registry)


def _problem(senders: DevSenders) -> str | None:
    """What keeps the folder from being a development set, or None; keys added since are welcome."""
    try:
        registry = SenderRegistry.load(senders.registry_path)
        for sender in DEV_SENDERS:
            key = senders.key(sender)
            registered = registry.key(key.kid)
            if key.sender != sender or registered is None or registered.sender != sender:
                return f"the key of {sender} is not in the registry as {sender}'s"
            if registered.public_key.public_bytes_raw() != key.public_bytes():
                return f"the registry holds another public key as {key.kid!r}"
    except (OSError, ValueError) as exc:
        return str(exc)
    return None
