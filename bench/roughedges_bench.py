"""Overhead of the rough-edges profile: API requests per second with no profile, with a profile that turns
every edge off, and with throttling on at a rate no request reaches (each request checks two buckets).

The three ASGI applications are built in one process on one SQLite database and called directly (no
sockets: the figure is the server's own CPU cost per request, which is what the profile adds to). The
request is an authenticated GET of a flight submission (one read transaction). Calls alternate between
the three apps in short slices, so all see the same machine conditions; each slice gives a ratio to the
no-profile app, and the summary is the median over slices.

    .venv/bin/python bench/roughedges_bench.py --slices 30 --requests 200
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp

from storeflight.auth import tokens
from storeflight.config import Settings
from storeflight.domain import dates
from storeflight.http.app import build_state, create_app
from storeflight.roughedges.profile import parse
from storeflight.services import admin, flights
from storeflight.services.context import Caller, Context
from storeflight.storage.engine import make_engine, sqlite_url
from storeflight.storage.migrate import migrate
from storeflight.storage.sql import SqlStore

PROFILES: dict[str, dict[str, Any] | None] = {
    "no profile": None,
    "profile, every edge off": {"seed": 1},
    "throttle on, never reached": {
        "seed": 1,
        "throttle": {"requests_per_minute": 1e6, "read": {"requests_per_minute": 1e6}},
    },
}


def seed(store: SqlStore, key: str) -> tuple[str, str]:
    """A client's token and the path of a pending flight submission of its tenant."""
    now = dates.utcnow()
    with store.transaction(write=True) as tx:
        client, _ = admin.create_client(tx, tenant_id=None, name="bench", now=now)
        tenant = client.tenant_id
        app = admin.create_app(tx, tenant_id=tenant, name="Bench", identity_name="B.App", publisher="CN=B", now=now)
        group = admin.create_group(tx, tenant_id=tenant, name="g", members=["a@b.example"], now=now)
        ctx = Context(caller=Caller(tenant, client.client_id))
        view = flights.create(tx, ctx, app.id, flights.NewFlight("bench", [group.id], None))
    assert view.pending is not None
    path = f"/v1.0/my/applications/{app.id}/flights/{view.flight.id}/submissions/{view.pending.id}"
    issued = tokens.issue(
        key, tenant_id=tenant, client_id=client.client_id, issuer="bench", now=now, lifetime=timedelta(hours=1)
    )
    return issued.token, path


async def call(app: ASGIApp, path: str, token: str) -> int:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {token}".encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8080),
    }
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)  # type: ignore[arg-type]
    return status


async def measure(apps: dict[str, ASGIApp], path: str, token: str, slices: int, requests: int) -> None:
    for app in apps.values():  # warm-up, unrecorded
        for _ in range(requests):
            assert await call(app, path, token) == 200
    rates: dict[str, list[float]] = {name: [] for name in apps}
    for _ in range(slices):
        for name, app in apps.items():
            started = time.perf_counter()
            for _ in range(requests):
                if await call(app, path, token) != 200:
                    raise SystemExit(f"{name}: a request did not succeed")
            rates[name].append(requests / (time.perf_counter() - started))
    base = rates["no profile"]
    print(f"{slices} slices x {requests} requests per app, GET flight submission, in-process ASGI, SQLite")
    for name, values in rates.items():
        ratios = [v / b for v, b in zip(values, base, strict=True)]
        print(
            f"{name:28s} median {statistics.median(values):7.0f} req/s   ratio to no profile: median "
            f"{statistics.median(ratios):.3f} (quartiles {statistics.quantiles(ratios, n=4)[0]:.3f}"
            f"-{statistics.quantiles(ratios, n=4)[2]:.3f})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--slices", type=int, default=30, help="Alternations between the apps.")
    parser.add_argument("--requests", type=int, default=200, help="Requests per app per slice.")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="storeflight-rough-bench-") as folder:
        engine = make_engine(sqlite_url(Path(folder)))
        migrate(engine)
        store = SqlStore(engine)
        apps: dict[str, ASGIApp] = {}
        for name, profile in PROFILES.items():
            settings = Settings(data_dir=Path(folder), rough=parse(profile) if profile is not None else None)
            state = build_state(store, settings)  # one database, so one signing key for all three
            apps[name] = create_app(state)
        token, path = seed(store, state.jwt_key)
        asyncio.run(measure(apps, path, token, options.slices, options.requests))
        store.close()


if __name__ == "__main__":
    main()
