"""`hub senders ...`: the sending systems and their signing keys, in the registry the hub checks
every signed command against (hub/contract/signing).

    hub senders list                                   # sender, kid, valid from, retired at, state now
    hub senders keygen frontend                        # a new key pair: private key file, public key registered
    hub senders add frontend KID --public-key pub.pem  # a key the sender made itself (production)
    hub senders retire frontend-20260101090000         # refused from now on; never a sender's last key (--force)

A rotation: `keygen` the new key and hand the sending system its key file; once it signs with the new
key, `retire` the old one. During the overlap either verifies. A running hub sees the change within a
second (RegistryFile reloads the file): no restart.

The registry is `--registry`, else `$HUB_SENDERS_FILE`, else .data/signing/senders.jwks.json (the
development set's). A change is made under a lock (two operators at once lose neither change) and
written whole, a temporary file renamed over the old one, so the hub never reads half a registry.
Times are ISO 8601 with an offset (`2026-05-01T09:00:00+03:00`, `...Z`): a bare time would be read
in whichever zone the operator's machine is set to.
"""

from __future__ import annotations

import contextlib
import fcntl
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hub.configuration.dev_senders import DEV_SIGNING_DIR, REGISTRY_NAME
from hub.contract.signing.jws import SigningKey
from hub.contract.signing.registry import (
    RegistryError,
    SenderRegistry,
    read_document,
    retired,
    with_key,
    write_document,
)

SENDERS_FILE_ENV = "HUB_SENDERS_FILE"

senders_app = typer.Typer(
    help="Sending systems and their signing keys: the registry the hub checks signatures against.",
    no_args_is_help=True,
    add_completion=False,
)

RegistryOption = Annotated[
    Path | None,
    typer.Option(
        "--registry",
        help=f"The registry (JWK Set) file. Default: ${SENDERS_FILE_ENV}, else .data/signing/{REGISTRY_NAME}.",
        dir_okay=False,
    ),
]


def registry_path(given: Path | None = None) -> Path:
    if given is not None:
        return given
    from hub.configuration.settings import SigningSettings

    return SigningSettings.from_env().senders_file or DEV_SIGNING_DIR / REGISTRY_NAME


@senders_app.command("list")
def listed(registry: RegistryOption = None) -> None:
    """Every key of the registry: its sender, kid, validity, and whether it verifies now."""
    path = registry_path(registry)
    if not path.is_file():
        _fail(f"no registry at {path}")
    try:
        keys = SenderRegistry.load(path).keys()
    except (OSError, ValueError) as exc:
        _fail(f"{path}: {exc}")
    now = datetime.now(UTC)
    rows = [("SENDER", "KID", "VALID FROM", "RETIRED AT", "STATE NOW")]
    rows += [(k.sender, k.kid, _iso(k.not_before), _iso(k.retired_at), k.state_at(now)) for k in keys]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print("  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[4]]))


@senders_app.command("keygen")
def keygen(
    sender: Annotated[str, typer.Argument(help="The sending system: a-z, 0-9, '.', '_', '-' (e.g. frontend).")],
    kid: Annotated[str | None, typer.Option(help="The key's id. Default: SENDER-<UTC yyyymmddHHMMSS>.")] = None,
    key_out: Annotated[
        Path | None,
        typer.Option(
            "--key-out",
            help="The private key file, written 0600. Default: keys/KID.json by the registry.",
            dir_okay=False,
        ),
    ] = None,
    registry: RegistryOption = None,
    not_before: Annotated[
        str | None, typer.Option("--not-before", help="Valid from (ISO 8601 with offset). Default: now.")
    ] = None,
) -> None:
    """Make a key pair for SENDER: write the private key file and register the public key."""
    path = registry_path(registry)
    valid_from = _moment(not_before, "--not-before")
    kid = kid or f"{sender}-{datetime.now(UTC):%Y%m%d%H%M%S}"
    try:
        key = SigningKey.generate(sender, kid)
    except ValueError as exc:
        _fail(str(exc))
    out = key_out or path.parent / "keys" / f"{kid}.json"
    with _locked(path):
        try:
            changed = with_key(read_document(path), sender, kid, key.private_key.public_key(), valid_from)
            key.save(out)
        except FileExistsError:
            _fail(f"{out} exists already: a key file is never overwritten")
        except (OSError, ValueError) as exc:
            _fail(str(exc))
        try:
            write_document(path, changed)
        except BaseException:
            out.unlink(missing_ok=True)  # a key the registry does not hold signs nothing: leave none behind
            raise
    print(f"{sender}: key {kid} registered in {path}, valid from {_iso(valid_from)}")
    print(f"its private key is in {out} (0600): hand it to {sender} alone, then delete it here")


@senders_app.command("add")
def add(
    sender: Annotated[str, typer.Argument(help="The sending system (e.g. frontend).")],
    kid: Annotated[str, typer.Argument(help="The key's id, as the sender puts it in its signatures.")],
    public_key: Annotated[
        Path, typer.Option("--public-key", help="The sender's Ed25519 public key, PEM.", exists=True, dir_okay=False)
    ],
    registry: RegistryOption = None,
    not_before: Annotated[
        str | None, typer.Option("--not-before", help="Valid from (ISO 8601 with offset). Default: now.")
    ] = None,
) -> None:
    """Register a public key SENDER made itself (its private key never leaves it), e.g. with
    `openssl genpkey -algorithm ed25519 -out key.pem && openssl pkey -in key.pem -pubout -out pub.pem`."""
    path = registry_path(registry)
    valid_from = _moment(not_before, "--not-before")
    try:
        loaded = serialization.load_pem_public_key(public_key.read_bytes())
    except (OSError, ValueError) as exc:
        _fail(f"{public_key}: not a PEM public key ({exc})")
    if not isinstance(loaded, Ed25519PublicKey):
        _fail(f"{public_key}: not an Ed25519 key: the hub checks EdDSA signatures only")
    with _locked(path):
        try:
            write_document(path, with_key(read_document(path), sender, kid, loaded, valid_from))
        except (OSError, ValueError) as exc:
            _fail(str(exc))
    print(f"{sender}: key {kid} registered in {path}, valid from {_iso(valid_from)}")


@senders_app.command("retire")
def retire(
    kid: Annotated[str, typer.Argument(help="The key to retire.")],
    at: Annotated[str | None, typer.Option(help="Refused from (ISO 8601 with offset). Default: now.")] = None,
    registry: RegistryOption = None,
    force: Annotated[bool, typer.Option("--force", help="Retire it even if its sender keeps no valid key.")] = False,
) -> None:
    """Retire key KID: signatures by it are refused for messages the hub receives from then on."""
    path = registry_path(registry)
    moment = _moment(at, "--at")
    with _locked(path):
        try:
            document = read_document(path)
            key = SenderRegistry.from_document(document).key(kid)
            if key is None:
                raise RegistryError(f"no key {kid!r} in {path}")
            changed = retired(document, kid, moment)
        except (OSError, ValueError) as exc:
            _fail(str(exc))
        remaining = SenderRegistry.from_document(changed).keys_of(key.sender)
        if not force and not any(other.valid_at(moment) for other in remaining):
            _fail(
                f"{kid} is {key.sender}'s last key valid at {_iso(moment)}: everything {key.sender} signs would be "
                f"refused. Register its next key first (hub senders keygen {key.sender}), or give --force."
            )
        write_document(path, changed)
    print(f"{key.sender}: key {kid} retired at {_iso(moment)}; what it signs is refused from then on")


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Read, change and write the registry as one step among the processes of this machine."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.with_name(f".{path.name}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _moment(text: str | None, option: str) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not an ISO 8601 time", param_hint=option) from None
    if moment.tzinfo is None:
        raise typer.BadParameter("give an offset: 2026-05-01T09:00:00+03:00, or ...Z for UTC", param_hint=option)
    return moment.astimezone(UTC)


def _iso(moment: datetime | None) -> str:
    return "-" if moment is None else f"{moment.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"


def _fail(message: str) -> NoReturn:
    print(f"error: {message}", file=sys.stderr)
    raise typer.Exit(1)
