"""The local certificate authority: created once per data folder, limited by name constraints to the
intercepted hosts, and the signer of the short-lived leaf certificate the TLS listener presents."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from storeflight.domain.dates import utcnow
from storeflight.intercept import INTERCEPTED_HOSTS

CA_FOLDER = "ca"
CA_CERT = "ca.pem"
CA_KEY = "ca-key.pem"
LEAF_CERT = "intercept.pem"
LEAF_KEY = "intercept-key.pem"
CA_DAYS = 3650
LEAF_DAYS = 30
_CLOCK_SKEW = timedelta(minutes=5)


class AuthorityError(ValueError):
    """The CA is missing, unreadable, or not one storeflight made."""


@dataclass(frozen=True)
class Authority:
    """A loaded CA: its certificate, its key, and the folder both live in."""

    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey
    folder: Path

    @property
    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def cert_path(self) -> Path:
        return self.folder / CA_CERT

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the DER certificate, as colon-separated hex (what certutil and browsers show)."""
        return self.cert.fingerprint(hashes.SHA256()).hex(":").upper()

    @property
    def permitted_hosts(self) -> list[str]:
        constraints = self.cert.extensions.get_extension_for_class(x509.NameConstraints).value
        return [str(name.value) for name in constraints.permitted_subtrees or ()]

    def issue_leaf(self, hosts: Sequence[str] = INTERCEPTED_HOSTS, days: int = LEAF_DAYS) -> tuple[bytes, bytes]:
        """A server certificate (PEM, followed by the CA certificate) and its key for `hosts`."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = utcnow()
        public = key.public_key()
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
            .issuer_name(self.cert.subject)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _CLOCK_SKEW)
            .not_valid_after(min(now + timedelta(days=days), self.cert.not_valid_after_utc))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in hosts]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(signer=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        return cert.public_bytes(serialization.Encoding.PEM) + self.cert_pem, _key_pem(key)

    def write_leaf(self, hosts: Sequence[str] = INTERCEPTED_HOSTS) -> tuple[Path, Path]:
        """Issue a fresh leaf and write it next to the CA: (certificate chain path, key path)."""
        cert, key = self.issue_leaf(hosts)
        cert_path, key_path = self.folder / LEAF_CERT, self.folder / LEAF_KEY
        _write_private(key_path, key)
        cert_path.write_bytes(cert)
        return cert_path, key_path


def folder_of(data_dir: Path) -> Path:
    return data_dir / CA_FOLDER


def create(folder: Path, hosts: Sequence[str] = INTERCEPTED_HOSTS, days: int = CA_DAYS) -> Authority:
    """A new CA in `folder` (mode 0700; key 0600), replacing any CA there."""
    key = ec.generate_private_key(ec.SECP384R1())
    now = utcnow()
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "storeflight"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"storeflight interception CA {now:%Y-%m-%d %H:%M:%S}"),
        ]
    )
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _CLOCK_SKEW)
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(signer=True), critical=True)
        .add_extension(_name_constraints(hosts), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA384())
    )
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    _write_private(folder / CA_KEY, _key_pem(key))
    (folder / CA_CERT).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return Authority(cert, key, folder)


def load(folder: Path) -> Authority:
    """The CA in `folder`, or AuthorityError saying what is wrong and how to make one."""
    try:
        cert = x509.load_pem_x509_certificate((folder / CA_CERT).read_bytes())
        key = serialization.load_pem_private_key((folder / CA_KEY).read_bytes(), password=None)
    except FileNotFoundError:
        raise AuthorityError(f"No CA in {folder}: run `storeflight ca init` first.") from None
    except ValueError as error:
        raise AuthorityError(f"The CA in {folder} cannot be read ({error}); `storeflight ca init --force`.") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.public_key() != cert.public_key():
        raise AuthorityError(f"The CA key in {folder} does not belong to its certificate.")
    try:
        cert.extensions.get_extension_for_class(x509.NameConstraints)
    except x509.ExtensionNotFound:
        raise AuthorityError(f"The CA in {folder} has no name constraints: not one storeflight made.") from None
    return Authority(cert, key, folder)


def load_or_create(folder: Path) -> tuple[Authority, bool]:
    """The CA in `folder`, made first if there is none; True when it was just made."""
    if not (folder / CA_CERT).exists() and not (folder / CA_KEY).exists():
        return create(folder), True
    return load(folder), False


def _name_constraints(hosts: Sequence[str]) -> x509.NameConstraints:
    """Only these DNS names (and their subdomains); no IP address at all."""
    return x509.NameConstraints(
        permitted_subtrees=[x509.DNSName(h) for h in hosts],
        excluded_subtrees=[
            x509.IPAddress(ipaddress.ip_network("0.0.0.0/0")),
            x509.IPAddress(ipaddress.ip_network("::/0")),
        ],
    )


def _key_usage(*, signer: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not signer,
        key_cert_sign=signer,
        crl_sign=signer,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        encipher_only=False,
        decipher_only=False,
    )


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    encoding, private_format = serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8
    return key.private_bytes(encoding, private_format, serialization.NoEncryption())


def _write_private(path: Path, data: bytes) -> None:
    """Write a key readable by its owner only, from the first byte (never briefly world-readable)."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
