"""A development PKI for the BİLGE intake's mutual TLS: made once under `.data/pki`, never for production.

    pki = ensure_dev_pki()                     # .data/pki: made on first use, reused after
    pki.intake_tls()                           # what the intake serves with (hub/runtime/tls.py ServerTls)
    pki.sender_tls()                           # what the BİLGE simulator presents (ClientTls)

It holds a CA, a server certificate for 127.0.0.1, ::1 and localhost (plus the names in
`$HUB_DEV_PKI_SERVER_NAMES`, comma-separated, read when the PKI is made: `bilge-adapter` in
docker-compose), and a client certificate for the BİLGE simulator. Keys are ECDSA P-256, written
0600. Real certificates are configured instead (README, "BİLGE intake certificates"); the CA's key
stays here only so a developer can issue more with `openssl`.

Several processes may start at once on a fresh clone (`make run`, the test suite, docker-compose's
containers on one volume): the PKI is made in a directory of its own and renamed into place, so
every process uses one complete PKI, whoever made it. An expired one is made anew.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from hub.configuration.settings import DATA_DIR
from hub.devtools.settings import DevelopmentSettings
from hub.runtime.tls import ClientTls, ServerTls

DEV_PKI_DIR = DATA_DIR / "pki"
SIMULATOR_SUBJECT = "CN=BİLGE simulator,OU=development,O=e-ATA/TR hub"
_VALID_DAYS = 3 * 365
_RENEW_BEFORE = dt.timedelta(days=7)


@dataclass(frozen=True)
class DevPki:
    directory: Path

    @property
    def ca_cert(self) -> Path:
        return self.directory / "ca.pem"

    def intake_tls(self) -> ServerTls:
        d = self.directory
        return ServerTls(cert_file=d / "server.pem", key_file=d / "server-key.pem", client_ca_file=self.ca_cert)

    def sender_tls(self) -> ClientTls:
        d = self.directory
        return ClientTls(cert_file=d / "client.pem", key_file=d / "client-key.pem", server_ca_file=self.ca_cert)


def ensure_dev_pki(directory: Path = DEV_PKI_DIR, *, common_name: str = "e-ATA/TR hub development CA") -> DevPki:
    """The PKI in `directory`, made there first if it is missing, incomplete or about to expire."""
    pki = DevPki(directory)
    if _usable(pki):
        return pki
    directory.parent.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
    _issue(fresh, common_name)
    if directory.exists() and not _usable(pki):
        # Incomplete or expired: set it aside (another process may be doing the same; either wins).
        shutil.rmtree(directory, ignore_errors=True)
    try:
        fresh.rename(directory)
    except OSError:
        shutil.rmtree(fresh, ignore_errors=True)  # another process put its PKI in place first: use that
    if not _usable(pki):
        raise RuntimeError(f"no usable development PKI in {directory}")
    return pki


def _usable(pki: DevPki) -> bool:
    files = [pki.ca_cert, *pki.intake_tls().files(), *pki.sender_tls().files()]
    if not all(f.is_file() for f in files):
        return False
    certificates = [x509.load_pem_x509_certificate(f.read_bytes()) for f in files if "key" not in f.name]
    expiry = min(c.not_valid_after_utc for c in certificates)
    return expiry - _RENEW_BEFORE > dt.datetime.now(dt.UTC)


def _issue(directory: Path, common_name: str) -> None:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    ca = (
        _builder(ca_name, ca_name, ca_key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )  # keyCertSign, cRLSign
        .sign(ca_key, hashes.SHA256())
    )
    _write(directory, "ca", ca, ca_key)
    names: list[x509.GeneralName] = [
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("::1")),
    ]
    names += [x509.DNSName(n) for n in DevelopmentSettings.from_env().dev_pki_server_names]
    server_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "BİLGE intake (development)")])
    _write(directory, "server", *_leaf(ca, ca_key, server_name, ExtendedKeyUsageOID.SERVER_AUTH, names))
    client_name = x509.Name.from_rfc4514_string(SIMULATOR_SUBJECT)
    _write(directory, "client", *_leaf(ca, ca_key, client_name, ExtendedKeyUsageOID.CLIENT_AUTH, []))


def _builder(subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePublicKey) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))  # clocks of two processes may differ a little
        .not_valid_after(now + dt.timedelta(days=_VALID_DAYS))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key), critical=False)
    )


def _leaf(
    ca: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    subject: x509.Name,
    usage: x509.ObjectIdentifier,
    names: list[x509.GeneralName],
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        _builder(subject, ca.subject, key.public_key())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
    )
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(ca_key, hashes.SHA256()), key


def _write(directory: Path, stem: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> None:
    (directory / f"{stem}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file = directory / f"{stem}-key.pem"
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
