"""What the per-tenant quota checks cost: each guarded operation with the default quotas and with none.

Seeds a tenant through the storage layer with `--groups` groups of `--members-per-group` members, an app with
a flight and a stored package blob, then times, in this process and alternating the two settings round by
round, the operations a quota guards: adding one member to a group, creating a group (then deleting it),
creating a flight (then deleting it), and working out an upload's allowance (blob ledger owner and the
tenant's stored bytes). Prints the median time of each with and without quotas and their ratio.

    .venv/bin/python bench/quota_bench.py --backends sqlite,postgres --rounds 200
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from delivery_seed import open_store
from http_bench import postgres_database

from storeflight.domain import dates, ids
from storeflight.domain.models import FlightGroup
from storeflight.domain.quotas import UNLIMITED, Quotas
from storeflight.services import admin, flights, groups
from storeflight.services.context import Caller, Context
from storeflight.storage.sql import SqlStore


def _seed(store: SqlStore, args: argparse.Namespace) -> tuple[str, str, str, str]:
    """(tenant, app id, a group to add members to, an upload blob name)."""
    tenant, now = str(uuid.uuid4()), dates.utcnow()
    with store.transaction(write=True) as tx:
        app = admin.create_app(tx, tenant_id=tenant, name="Q", identity_name="Q.App", publisher="CN=Q", now=now)
        group_ids = [ids.new_decimal_id() for _ in range(args.groups)]
        for index, group_id in enumerate(group_ids):
            tx.add_group(FlightGroup(id=group_id, tenant_id=tenant, name=f"g{index}", created_at=now), [])
            tx.add_members(group_id, [f"m{index}-{i}@bench.example" for i in range(args.members_per_group)])
        tx.add_tenant_members(tenant, args.groups * args.members_per_group)  # what the group use cases keep
        tx.record_blob(f"pkg-{uuid.uuid4()}", tenant, 10_000_000, package=True)
        sub = tx.last_published(f"app:{app.id}")
        assert sub is not None
    return tenant, app.id, group_ids[0], sub.upload_blob_id


Operation = Callable[[Quotas], float]  # runs once, returns the seconds of the guarded transaction alone


def _timed(run: Callable[[], object]) -> float:
    began = time.perf_counter()
    run()
    return time.perf_counter() - began


def _operations(store: SqlStore, tenant: str, app_id: str, group_id: str, blob: str) -> dict[str, Operation]:
    caller = Caller(tenant, "bench")

    def member(quotas: Quotas) -> float:
        ctx = Context(caller, quotas=quotas)

        def add() -> None:
            with store.transaction(write=True) as tx:
                groups.change_members(tx, ctx, group_id, ["extra@bench.example"], [])

        took = _timed(add)
        with store.transaction(write=True) as tx:  # undone, untimed
            groups.change_members(tx, ctx, group_id, [], ["extra@bench.example"])
        return took

    def group(quotas: Quotas) -> float:
        ctx = Context(caller, quotas=quotas)
        made: list[str] = []

        def create() -> None:
            with store.transaction(write=True) as tx:
                made.append(groups.create(tx, ctx, "temp", []).group.id)

        took = _timed(create)
        with store.transaction(write=True) as tx:
            groups.delete(tx, ctx, made[0])
        return took

    def flight(quotas: Quotas) -> float:
        ctx = Context(caller, quotas=quotas)
        made: list[str] = []

        def create() -> None:
            with store.transaction(write=True) as tx:
                new = flights.NewFlight(f"f-{uuid.uuid4().hex[:8]}", [group_id], None)
                made.append(flights.create(tx, ctx, app_id, new).flight.id)

        took = _timed(create)
        with store.transaction(write=True) as tx:
            flights.delete(tx, ctx, app_id, made[0])
        return took

    def upload_allowance(quotas: Quotas) -> float:
        def allowance() -> None:
            with store.transaction(write=False) as tx:
                owner = tx.blob_owner(blob)
                assert owner is not None
                used = tx.stored_usage(owner[0])[0] if quotas.stored_bytes else 0
            quotas.remaining("stored_bytes", used)

        return _timed(allowance)

    return {
        "add one member": member,
        "create a group": group,
        "create a flight": flight,
        "upload allowance": upload_allowance,
    }


def run_backend(backend: str, url: str, args: argparse.Namespace) -> list[str]:
    store = open_store(url)
    started = time.perf_counter()
    seeded = _seed(store, args)
    print(
        f"[{backend}] seeded {args.groups * args.members_per_group:,} memberships in "
        f"{time.perf_counter() - started:.1f} s",
        flush=True,
    )
    rows = []
    for name, operation in _operations(store, *seeded).items():
        times: dict[str, list[float]] = {"on": [], "off": []}
        for _ in range(args.rounds):
            for label, quotas in (("on", Quotas()), ("off", UNLIMITED)):
                times[label].append(operation(quotas))
        on, off = (statistics.median(times[k]) * 1000 for k in ("on", "off"))
        rows.append(f"| {backend} | {name} | {off:.2f} | {on:.2f} | **{on / off:.2f}** |")
        print(rows[-1], flush=True)
    store.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--backends", default="sqlite", help="Comma-separated: sqlite,postgres.")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--groups", type=int, default=100)
    parser.add_argument("--members-per-group", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=100)
    args = parser.parse_args()
    print(
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}; {args.rounds} rounds",
        flush=True,
    )
    table = [
        "| backend | operation | no quotas ms (median) | default quotas ms (median) | with / without |",
        "| --- | --- | --- | --- | --- |",
    ]
    with tempfile.TemporaryDirectory(prefix="quota-bench-") as tmp:
        for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
            if backend == "postgres":
                with postgres_database(args.postgres_url) as url:
                    table += run_backend(backend, url, args)
            else:
                table += run_backend(backend, f"sqlite:///{Path(tmp) / 'quota.db'}", args)
    print("\n".join(table))


if __name__ == "__main__":
    main()
