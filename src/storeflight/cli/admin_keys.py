"""`storeflight admin rotate-keys`: new signing keys for tokens and URLs, picked up by running servers."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from storeflight.cli.admin import _in_write, app
from storeflight.cli.common import DatabaseUrl, DataDir, print_json
from storeflight.domain import dates
from storeflight.signing import keys
from storeflight.signing.live import REFRESH_SECONDS

# Delivery answers' download URLs live until the hour after next; device package links for 15 minutes.
DOWNLOAD_URL_LIFETIME = timedelta(hours=2)

TokenLifetime = Annotated[
    int,
    typer.Option(
        envvar="STOREFLIGHT_TOKEN_LIFETIME", help="The servers' access token lifetime in seconds (serve's flag)."
    ),
]
UploadLifetime = Annotated[
    int,
    typer.Option(
        envvar="STOREFLIGHT_UPLOAD_URL_LIFETIME", help="The servers' fileUploadUrl lifetime in seconds (serve's flag)."
    ),
]
Force = Annotated[
    bool,
    typer.Option(
        "--force", help="Rotate even though the previous key may still have signed valid tokens or URLs (they stop)."
    ),
]


@app.command("rotate-keys")
def rotate_keys(
    token: Annotated[bool, typer.Option("--token", help="Rotate the access token signing key.")] = False,
    sas: Annotated[bool, typer.Option("--sas", help="Rotate the upload and download URL signing key.")] = False,
    force: Force = False,
    token_lifetime: TokenLifetime = 3600,
    upload_url_lifetime: UploadLifetime = 86400,
    data_dir: DataDir = Path("./data"),
    database_url: DatabaseUrl = None,
) -> None:
    """Sign new tokens and URLs with new keys (both without --token/--sas), in one transaction. What the
    current keys signed stays valid until it expires; running servers use the new keys within seconds.
    Refused while the key a previous rotation replaced may still have signed something valid (--force)."""
    keep = {
        keys.TOKEN: timedelta(seconds=token_lifetime),
        keys.SAS: max(timedelta(seconds=upload_url_lifetime), DOWNLOAD_URL_LIFETIME),
    }
    chosen = [kind for kind, wanted in ((keys.TOKEN, token), (keys.SAS, sas)) if wanted] or list(keys.KINDS)
    _rotate({kind: keep[kind] for kind in chosen}, force, data_dir, database_url)


@app.command("rotate-token-key")
def rotate_token_key(
    force: Force = False,
    token_lifetime: TokenLifetime = 3600,
    data_dir: DataDir = Path("./data"),
    database_url: DatabaseUrl = None,
) -> None:
    """The same as `rotate-keys --token`."""
    _rotate({keys.TOKEN: timedelta(seconds=token_lifetime)}, force, data_dir, database_url)


def _rotate(plan: dict[keys.Kind, timedelta], force: bool, data_dir: Path, database_url: str | None) -> None:
    now = dates.utcnow()
    _in_write(data_dir, database_url, lambda tx: keys.rotate_all(tx, plan, now=now, force=force))
    print_json(
        {
            "rotated": [kind.name for kind in plan],
            "rotateAgainFrom": {kind.name: dates.render(now + keep) for kind, keep in plan.items()},
            "runningServersWithinSeconds": REFRESH_SECONDS,
        }
    )
