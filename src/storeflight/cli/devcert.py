"""`storeflight dev-cert`: a self-signed certificate for 127.0.0.1 and localhost (MSAL needs HTTPS)."""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from storeflight.domain.dates import utcnow


def build_certificate(days: int) -> tuple[bytes, bytes]:
    """PEM certificate and key: EC P-256, SAN 127.0.0.1 and localhost, CA:TRUE (passes X509_STRICT)."""
    # Imported here: loading cryptography costs every other command start-up time.
    from cryptography import x509  # noqa: PLC0415
    from cryptography.hazmat.primitives import hashes, serialization  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415
    from cryptography.x509.oid import NameOID  # noqa: PLC0415

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "storeflight dev 127.0.0.1")])
    now = utcnow()
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def dev_cert(
    out_dir: Annotated[Path, typer.Option("--out-dir", help="Where to write cert.pem and key.pem.")] = Path("."),
    days: Annotated[int, typer.Option(help="Validity in days.")] = 30,
) -> None:
    """Write cert.pem and key.pem for serving HTTPS on 127.0.0.1 (use with --tls-cert/--tls-key)."""
    cert, key = build_certificate(days)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "cert.pem").write_bytes(cert)
    key_path = out_dir / "key.pem"
    key_path.write_bytes(key)
    key_path.chmod(0o600)
    typer.echo(f"wrote {out_dir / 'cert.pem'} and {key_path}")
