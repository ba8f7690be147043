"""Device report ingestion, and the storage 1,000,000 devices' state takes, on SQLite and PostgreSQL.

1. HTTP: a real `storeflight serve`; wrk POSTs batches of 100 events (1 installed, 10 launched, 1 crashed,
   88 heartbeats), each batch from a new device (so every batch also creates a device state), with a delivery
   key, to /devices/v1/apps/{appId}/reports. Events per second counted from 200 answers only (any other
   answer is printed and fails the run).
2. In process: the same batches through `services.reports.ingest`, one write transaction per batch, no HTTP,
   for the share of the time storage takes.
3. Storage: 1,000,000 device state rows and 1,000,000 event ids inserted in bulk (the rows the ingestion
   writes), measured as table plus index bytes (PostgreSQL `pg_total_relation_size`, SQLite `dbstat`).

    .venv/bin/python bench/reports_bench.py --backends sqlite postgres --duration 10 --connections 16
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from http_bench import HOST, WRK_REPORT, postgres_database, running_server, seed_admin, store_options, wrk_version
from sqlalchemy import insert, text

from storeflight.audit.record import ADMIN
from storeflight.delivery.snapshot import Snapshot, build_members, build_view
from storeflight.devices import service as devices
from storeflight.services.reports import device_key, ingest
from storeflight.storage import tables as t
from storeflight.storage.engine import make_engine, sqlite_url
from storeflight.storage.migrate import migrate
from storeflight.storage.sql import SqlStore
from storeflight.telemetry.events import Event, Kind

TARGET = 20_000  # events per second
KINDS = [Kind.INSTALLED, *[Kind.LAUNCHED] * 10, Kind.CRASHED, *[Kind.HEARTBEAT] * 88]

WRK_POST = """
local path = "/devices/v1/apps/{app_id}/reports?customerId="
local headers = {{["Authorization"] = "Bearer {key}", ["Content-Type"] = "application/json"}}
local kinds = {{{kinds}}}
local parts = {{}}
for i = 1, #kinds do
  parts[i] = '{{"id":"e' .. i .. '","type":"' .. kinds[i] .. '","version":"1.0.0.0"}}'
end
local body = '{{"events":[' .. table.concat(parts, ",") .. ']}}'
local run = "{run}"
function init(args)
  cycles, bad, counter = 0, 0, 0
end
function request()
  counter = counter + 1
  return wrk.format("POST", path .. run .. "-" .. index .. "-" .. counter, headers, body)
end
function response(status, headers, answer)
  if status == 200 then cycles = cycles + 1 else bad = bad + 1 end
end
"""


@contextlib.contextmanager
def database(backend: str, folder: Path, postgres: str) -> Iterator[str]:
    if backend == "sqlite":
        yield sqlite_url(folder)
    else:
        with postgres_database(postgres) as url:
            yield url


def open_store(url: str) -> SqlStore:
    engine = make_engine(url)
    migrate(engine)
    return SqlStore(engine)


def seed(store_args: list[str], url: str) -> tuple[str, str, str]:
    """(tenant, app id, delivery key) through the admin commands and the key use case."""
    seeded = seed_admin(store_args)
    store = open_store(url)
    with store.transaction(write=True) as tx:
        _, key = devices.create_key(
            tx,
            seeded["tenant"],
            seeded["app_id"],
            name="bench",
            now=datetime.now(UTC),
            rate_per_minute=1_000_000,
            by=ADMIN,
        )
    store.close()
    return seeded["tenant"], seeded["app_id"], key


def http_rate(port: int, app_id: str, key: str, duration: float, connections: int, workdir: Path) -> dict[str, float]:
    script = workdir / "reports.lua"
    kinds = ", ".join(f'"{k.value}"' for k in KINDS)
    script.write_text(WRK_POST.format(app_id=app_id, key=key, kinds=kinds, run=uuid.uuid4().hex[:8]) + WRK_REPORT)
    threads = min(connections, 4)
    command = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{duration:g}s",
        "--timeout",
        "30s",
        "-s",
        str(script),
        f"http://{HOST}:{port}/",
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{done.stdout}\n{done.stderr}")
    data = json.loads(line.removeprefix("BENCH "))
    if data["errors"]:
        raise RuntimeError(f"{data['errors']} batches were not answered 200: {done.stdout}")
    seconds = data["duration_us"] / 1e6
    return {
        "batches_per_s": data["cycles"] / seconds,
        "events_per_s": data["cycles"] * len(KINDS) / seconds,
        "p50_ms": data["p50_us"] / 1000,
        "p99_ms": data["p99_us"] / 1000,
    }


def in_process_rate(url: str, tenant: str, app_id: str, batches: int) -> float:
    store = open_store(url)
    with store.transaction(write=False) as tx:
        app = tx.get_app(tenant, app_id)
        assert app is not None
        view = build_view(tx, app)
        snapshot = Snapshot(tenant, view, build_members(tx, view))
    events = [Event(f"e{i}", kind, "1.0.0.0") for i, kind in enumerate(KINDS)]
    run = uuid.uuid4().hex[:8]
    started = time.perf_counter()
    for n in range(batches):
        with store.transaction(write=True) as tx:
            ingest(tx, snapshot, f"{run}-{n}", events, datetime.now(UTC))
    seconds = time.perf_counter() - started
    store.close()
    return batches * len(KINDS) / seconds


def state_bytes(url: str, rows: int) -> dict[str, float]:
    """Bytes per device state and per event id, from `rows` of each inserted in bulk (as ingestion writes them)."""
    store = open_store(url)
    app_id = "9NBENCHSTORAGE"
    hour = int(time.time()) // 3600
    before = _sizes(store)
    with store.engine.begin() as conn:
        for start in range(0, rows, 20_000):
            states = [
                {
                    "app_id": app_id,
                    "device": device_key(f"device-{i}@example.com"),
                    "tenant_id": "bench-tenant",
                    "line": "",
                    "rollout_submission_id": "1152921504606846976",
                    "cohort": "rollout" if i % 4 else "fallback",
                    "submission_id": "1152921504606846976",
                    "version": "2.0.0.0",
                    "hour": hour,
                    "counted": "1152921504606846976:r:1152921504606846976:2.0.0.0",
                }
                for i in range(start, min(rows, start + 20_000))
            ]
            conn.execute(insert(t.device_states), states)
            ids = [{"key": device_key(f"event-{i}"), "hour": hour} for i in range(start, min(rows, start + 20_000))]
            conn.execute(insert(t.device_report_ids), ids)
    if store.is_postgres:
        with store.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
    after = _sizes(store)
    store.close()
    return {name: (after[name] - before.get(name, 0)) / rows for name in after}


def _sizes(store: SqlStore) -> dict[str, int]:
    with store.engine.connect() as conn:
        if store.is_postgres:
            query = "SELECT pg_total_relation_size(:n)"
            return {
                n: int(conn.execute(text(query), {"n": n}).scalar() or 0)
                for n in ("device_states", "device_report_ids")
            }
        rows = conn.execute(text("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name")).all()
    found = {name: int(size) for name, size in rows}
    states = found.get("device_states", 0) + found.get("ix_device_states_line", 0)
    states += sum(v for k, v in found.items() if k.startswith("sqlite_autoindex_device_states"))
    ids = found.get("device_report_ids", 0) + sum(
        v for k, v in found.items() if k.startswith("sqlite_autoindex_device_report_ids")
    )
    return {"device_states": states, "device_report_ids": ids}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgres"], choices=["sqlite", "postgres"])
    parser.add_argument("--duration", type=float, default=10.0, help="Seconds of wrk per backend.")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--batches", type=int, default=2000, help="Batches through the in-process path.")
    parser.add_argument("--devices", type=int, default=1_000_000, help="Device states to measure (0: none).")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432")
    options = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    print(f"# {wrk_version()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
    for backend in options.backends:
        with (
            tempfile.TemporaryDirectory(prefix="storeflight-reports-") as folder,
            database(backend, Path(folder), options.postgres_url) as url,
        ):
            store_args = store_options(Path(folder), None if backend == "sqlite" else url)
            tenant, app_id, key = seed(store_args, url)
            with running_server(store_args, Path(folder) / "serve.log", "warning") as port:
                http = http_rate(port, app_id, key, options.duration, options.connections, Path(folder))
            direct = in_process_rate(url, tenant, app_id, options.batches)
            sizes = state_bytes(url, options.devices) if options.devices else None
            print(
                f"{backend}: HTTP {http['events_per_s']:,.0f} events/s ({http['batches_per_s']:,.0f} batches/s, "
                f"p50 {http['p50_ms']:.1f} ms, p99 {http['p99_ms']:.1f} ms) = {http['events_per_s'] / TARGET:.2f} x "
                f"target; in process {direct:,.0f} events/s; HTTP / in process {http['events_per_s'] / direct:.2f}"
            )
            if sizes is None:
                continue
            print(
                f"{backend}: {sizes['device_states']:.0f} bytes per device state "
                f"({sizes['device_states'] * options.devices / 2**20:,.0f} MiB for {options.devices:,} devices), "
                f"{sizes['device_report_ids']:.0f} bytes per event id kept"
            )
    print(f"# load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
