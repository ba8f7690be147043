"""`storeflight admin audit verify|export`: prove the audit history untouched, or write it out as JSON lines."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from storeflight.audit.history import chain
from storeflight.audit.model import as_json, canonical
from storeflight.audit.verify import verify_store
from storeflight.cli.admin import app, open_store
from storeflight.cli.common import DatabaseUrl, DataDir, print_json

audit = typer.Typer(rich_markup_mode=None, help="The audit history: verify its hash chains, export it.")
app.add_typer(audit, name="audit")

TenantFilter = Annotated[str | None, typer.Option("--tenant-id", help="Only this tenant's chain.")]


@audit.command("verify")
def verify(
    data_dir: DataDir = Path("./data"), database_url: DatabaseUrl = None, tenant_id: TenantFilter = None
) -> None:
    """Check every record's hash and link. Exit 0 when untouched; exit 1 naming the first broken record."""
    store = open_store(data_dir, database_url, create=False)
    report = verify_store(store, tenant_id.lower() if tenant_id else None)
    body: dict[str, object] = {"tenants": report.tenants, "records": report.records, "intact": report.broken is None}
    if report.broken is not None:
        broken = report.broken
        body["firstBroken"] = {"tenantId": broken.tenant_id, "seq": broken.seq, "reason": broken.reason}
    print_json(body)
    if report.broken is not None:
        raise typer.Exit(1)


@audit.command("export")
def export(
    data_dir: DataDir = Path("./data"),
    database_url: DatabaseUrl = None,
    tenant_id: TenantFilter = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")] = None,
) -> None:
    """Every record (of one tenant, or of all, tenant by tenant), oldest first, one JSON object per line."""
    store = open_store(data_dir, database_url, create=False)
    with store.transaction(write=False) as tx:
        tenants = [t for t, _, _ in tx.audit_heads() if tenant_id is None or t == tenant_id.lower()]
    out = output.open("w", encoding="utf-8") if output is not None else sys.stdout
    try:
        for tenant in tenants:
            for record in chain(store, tenant):
                out.write(canonical(as_json(record)) + "\n")
    finally:
        if output is not None:
            out.close()
