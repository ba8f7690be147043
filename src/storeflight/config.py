"""Server settings. The CLI fills them from options, each of which also reads a STOREFLIGHT_* variable."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from storeflight.domain.quotas import Quotas
from storeflight.roughedges.profile import RoughProfile
from storeflight.storage.engine import sqlite_url


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("./data")
    database_url: str | None = None
    public_url: str | None = None
    token_lifetime: timedelta = timedelta(minutes=60)
    upload_lifetime: timedelta = timedelta(hours=24)
    allow_any_token: str | None = None
    max_body_bytes: int = 8 * 1024 * 1024
    blob_backend: str = "local"  # "local" (files in data_dir/blobs) or "azure"
    azure_connection_string: str | None = None
    azure_container: str = "ingestion"
    max_upload_bytes: int = 25 * 2**30
    rough: RoughProfile | None = None  # the opt-in rough-edges profile (docs/rough-edges.md)
    header_timeout: float = 10.0  # seconds from a request's first byte to the end of its headers
    body_timeout: float = 30.0  # seconds a request body may stall before 408
    keep_alive_timeout: float = 120.0  # seconds an idle connection stays open between requests
    allowed_hosts: tuple[str, ...] = ()  # Host names answered besides the loopback names and --public-url's
    token_attempts_per_client: int = 60  # per minute; 0: no limit
    token_attempts_per_address: int = 600  # per minute; 0: no limit
    max_blob_blocks: int = 50_000  # blocks in one Put Block List (local blob store)
    max_staged_blocks: int = 50_000  # uncommitted blocks of one blob
    max_staged_bytes: int | None = None  # uncommitted bytes of one blob; None: max_upload_bytes
    min_free_bytes: int = 64 * 2**20  # writes that would leave less free in data_dir are refused (503)
    max_tenant_uploads: int = 8  # uploads of one tenant at once on the blob endpoint
    quotas: Quotas = field(default_factory=Quotas)
    commit_hold: timedelta = timedelta(0)  # how long CommitStarted lasts unless a rough-edges rule says (--stage-delay)
    audit: bool = True  # record changes in the audit history; off only as a benchmark/ops knob (docs/audit.md)
    warm_delivery: bool = False  # build every app's delivery snapshot at start (readiness waits for it)
    log_format: str = "text"  # "text" or "json" (ops/logs.py)
    metrics_port: int | None = None  # serve /metrics (Prometheus) on this port; None: no metrics at all
    metrics_host: str = "127.0.0.1"
    # Interception mode: requests for these hosts get URLs on them (https), whatever public_url says.
    intercept_hosts: tuple[str, ...] = ()

    @property
    def effective_database_url(self) -> str:
        return self.database_url or sqlite_url(self.data_dir)
