"""Cost of the whole-line version check against the check of the previous submission only.

Run: .venv/bin/python bench/version_history_bench.py [--history 10,100,1000] [--packages 3] [--repeat 200]
     [--database-url postgresql://.../an_empty_database_to_throw_away]

For each history length N the script creates an app whose non-flighted line has N published submissions of
`--packages` packages each (on a fresh SQLite file, or on the PostgreSQL database given). Then, `--repeat`
times each, in one read transaction per check as the pipeline worker does, it times:

- previous: `last_published(line)` and the old rule (a loop over that submission's packages), what
  PreProcessing did before;
- whole line: `line_highest(line)` (one grouped query on the published-versions index) and `check_new`,
  what it does now.

It prints the median of each in microseconds and their ratio, and, for scale, the median time to validate
one small generated .msix (what PreProcessing does for every new package anyway).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from storeflight.domain import ids, versions
from storeflight.domain.lifecycle import Status
from storeflight.domain.models import FileStatus, Origin, Package
from storeflight.domain.submissions import Identity, fresh
from storeflight.ingest.archive import ArchiveLimits
from storeflight.ingest.packages import validate_package
from storeflight.msixbuild import PackageSpec, write_msix
from storeflight.services import admin
from storeflight.storage.engine import make_engine
from storeflight.storage.migrate import migrate
from storeflight.storage.sql import SqlStore

NOW = datetime(2026, 1, 1, tzinfo=UTC)
ARCHES = ("x64", "x86", "arm64")


def seed(store: SqlStore, history: int, per_submission: int) -> str:
    """An app whose line published `history` submissions; returns the line's parent key."""
    with store.transaction(write=True) as tx:
        app = admin.create_app(
            tx,
            tenant_id=str(uuid.uuid4()),
            name="Bench",
            identity_name="Bench.App",
            publisher="CN=Bench",
            now=NOW,
            baseline=False,
        )
        for n in range(history):
            identity = Identity(
                id=ids.new_decimal_id(),
                tenant_id=app.tenant_id,
                app_id=app.id,
                flight_id=None,
                origin=Origin.API,
                upload_blob_id=str(uuid.uuid4()),
                upload_expires_at=NOW,
                now=NOW,
            )
            packages = [
                Package(
                    file_name=f"p{i}.msix",
                    file_status=FileStatus.UPLOADED,
                    id=ids.new_decimal_id(),
                    version=f"1.{n}.{i}.0",
                    architecture=ARCHES[i % len(ARCHES)],
                    languages=["en-us"],
                    target_device_families=["Windows.Desktop min version 10.0.17763.0"],
                    size=1 << 20,
                    sha256="0" * 64,
                )
                for i in range(per_submission)
            ]
            when = NOW + timedelta(minutes=n)
            tx.add_submission(
                fresh(identity).model_copy(
                    update={"status": Status.PUBLISHED, "published_at": when, "packages": packages}
                )
            )
    return f"app:{app.id}"


def previous_check(store: SqlStore, key: str) -> None:
    with store.transaction(write=False) as tx:
        previous = tx.last_published(key)
    new = versions.parse("9.0.0.0")
    for old in previous.packages if previous else []:
        if old.architecture == "x64" and old.version and new <= versions.parse(old.version):
            raise AssertionError("unexpected conflict")


def whole_line_check(store: SqlStore, key: str) -> None:
    with store.transaction(write=False) as tx:
        highest = tx.line_highest(key)
    if versions.check_new("9.0.0.0", ["x64"], highest) is not None:
        raise AssertionError("unexpected conflict")


def median_us(action: Callable[[], object], repeat: int) -> float:
    action()  # warm caches and connections
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


def validate_one(folder: Path) -> Callable[[], object]:
    path = write_msix(folder / "p.msix", PackageSpec("Bench.App", "CN=Bench", version="9.0.0.0"))
    limits = ArchiveLimits()
    return lambda: validate_package(path, "p.msix", limits)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--history", default="10,100,1000")
    parser.add_argument("--packages", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        engine = make_engine(url)
        migrate(engine)
        store = SqlStore(engine)
        print(f"backend: {engine.dialect.name}; {args.packages} packages per submission; median of {args.repeat}")
        print(f"validate one small .msix (for scale): {median_us(validate_one(Path(folder)), 50):.0f} us")
        print("history | previous check (us) | whole-line check (us) | ratio")
        for history in (int(n) for n in args.history.split(",")):
            key = seed(store, history, args.packages)
            old = median_us(lambda key=key: previous_check(store, key), args.repeat)
            new = median_us(lambda key=key: whole_line_check(store, key), args.repeat)
            print(f"{history:7d} | {old:19.0f} | {new:21.0f} | {new / old:5.2f}")
        store.close()


if __name__ == "__main__":
    main()
