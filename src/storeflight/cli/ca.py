"""`storeflight ca`: the local CA of interception mode (init, export, show)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from storeflight.cli.common import DataDir, print_json
from storeflight.intercept import ca

app = typer.Typer(help="The local certificate authority that interception mode signs its certificates with.",
                  no_args_is_help=True)


def _load(data_dir: Path) -> ca.Authority:
    try:
        return ca.load(ca.folder_of(data_dir))
    except ca.AuthorityError as error:
        typer.secho(str(error), fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None


@app.command("init")
def init(
    data_dir: DataDir = Path("./data"),
    force: Annotated[bool, typer.Option("--force", help="Replace an existing CA (clients must trust the new one).")]
    = False,
) -> None:
    """Create the CA in --data-dir/ca (key readable by its owner only); keep an existing one unless --force."""
    folder = ca.folder_of(data_dir)
    if (folder / ca.CA_CERT).exists() and not force:
        authority = _load(data_dir)
        typer.echo(f"A CA already exists: {authority.cert_path} (SHA-256 {authority.fingerprint}); "
                   "--force replaces it.")
        return
    authority = ca.create(folder)
    typer.echo(f"created {authority.cert_path} (SHA-256 {authority.fingerprint})")
    typer.echo("Trust it where clients run; see `storeflight ca export` and docs/interception.md.")


@app.command("export")
def export(
    data_dir: DataDir = Path("./data"),
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write here instead of to standard output.")] = None,
    der: Annotated[bool, typer.Option("--der", help="DER (.cer) instead of PEM.")] = False,
) -> None:
    """Print (or write) the CA certificate, never its key: what clients add to their trust store."""
    authority = _load(data_dir)
    if der:
        from cryptography.hazmat.primitives.serialization import Encoding  # noqa: PLC0415

        data = authority.cert.public_bytes(Encoding.DER)
    else:
        data = authority.cert_pem
    if out is None:
        if der:
            raise typer.BadParameter("DER is binary: give --out FILE.")
        typer.echo(data.decode(), nl=False)
        return
    out.write_bytes(data)
    typer.echo(f"wrote {out}", err=True)


@app.command("show")
def show(data_dir: DataDir = Path("./data")) -> None:
    """The CA's subject, fingerprint, validity, the hosts it may sign for, and where its files are."""
    authority = _load(data_dir)
    cert = authority.cert
    print_json(
        {
            "subject": cert.subject.rfc4514_string(),
            "sha256": authority.fingerprint,
            "notBefore": cert.not_valid_before_utc.isoformat(),
            "notAfter": cert.not_valid_after_utc.isoformat(),
            "permittedHosts": authority.permitted_hosts,
            "certificate": str(authority.cert_path),
            "key": str(authority.folder / ca.CA_KEY),
        }
    )
