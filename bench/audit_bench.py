"""Audit overhead: create-update-delete cycles per second with the audit history on vs off, same run.

For each backend two `storeflight serve` processes run side by side, one recording every change in the audit
history (the default) and one with `--no-audit`, each on its own database and seeded alike. The cycle of
bench/http_bench.py (POST a flight submission, PUT a change, DELETE it; one flight per client) runs against
them in interleaved rounds (on, off, on, off, ...), so a change in the machine's load affects both alike. Each
cycle writes three audit records on the audited server. Printed: cycles/s per server, the ratio on/off over
all rounds and per round.

    .venv/bin/python bench/audit_bench.py --duration 10 --rounds 3 --concurrency 8 --backends sqlite,postgres
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from http_bench import (
    Options,
    Spec,
    Target,
    backend_database,
    measure,
    request,
    running_server,
    seed,
    seed_admin,
    store_options,
)


@contextlib.contextmanager
def seeded_server(backend: str, options: Options, workdir: Path, name: str, *extra: str) -> Iterator[Target]:
    with backend_database(backend, options) as database_url:
        store = store_options(workdir / name, database_url)
        seeded = seed_admin(store)
        with running_server(store, workdir / f"{name}.log", "warning", *extra) as port:
            yield seed(port, seeded, options.concurrency)


def clear(target: Target) -> None:
    """Delete what a measurement cut short left pending (a flight holds one pending submission)."""
    for flight_id in target.cycle_flights:
        flight = f"/v1.0/my/applications/{target.app_id}/flights/{flight_id}"
        pending = (request(target.port, "GET", flight, target.token)[1] or {}).get("pendingFlightSubmission")
        if pending:
            request(target.port, "DELETE", f"{flight}/submissions/{pending['id']}", target.token)


def cycles(target: Target, options: Options, workdir: Path) -> float:
    clear(target)
    spec = Spec("cycle", "create-update-delete", target.flight_path(target.cycle_flights[0]))
    m = measure(spec, target, options, workdir)
    if m.errors:
        raise RuntimeError(f"{m.errors} errors in the cycle")
    return (m.cycles or 0) / m.seconds


def run_backend(backend: str, options: Options) -> tuple[list[float], list[float]]:
    with (
        tempfile.TemporaryDirectory(prefix=f"storeflight-audit-{backend}-") as tmp,
        seeded_server(backend, options, Path(tmp), "on") as audited,
        seeded_server(backend, options, Path(tmp), "off", "--no-audit") as plain,
    ):
        short = Options(**{**vars(options), "duration": max(1.0, options.warmup)})
        cycles(audited, short, Path(tmp)), cycles(plain, short, Path(tmp))  # warm both up, unrecorded
        on, off = [], []
        for index in range(options.rounds):
            print(f"  {backend}: round {index + 1} ...", file=sys.stderr, flush=True)
            on.append(cycles(audited, options, Path(tmp)))
            off.append(cycles(plain, options, Path(tmp)))
    return on, off


def parse_args(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432")
    args = parser.parse_args(argv)
    loadgen = "wrk" if shutil.which("wrk") else "python"
    return Options(
        args.duration,
        args.rounds,
        args.concurrency,
        args.backends.split(","),
        loadgen,
        2.0,
        args.postgres_url,
        "warning",
        False,
    )


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    print(
        f"{options.duration:g} s per measurement, {options.rounds} interleaved rounds, "
        f"{options.concurrency} clients ({options.loadgen}); each cycle is 3 changes, 3 audit records"
    )
    print("| backend | audit on, cycles/s | audit off, cycles/s | on / off | rounds |")
    print("| --- | --- | --- | --- | --- |")
    for backend in options.backends:
        on, off = run_backend(backend, options)
        rounds = [a / b for a, b in zip(on, off, strict=True) if b]
        ratio = sum(on) / sum(off) if sum(off) else 0.0
        print(
            f"| {backend} | {sum(on) / len(on):.0f} | {sum(off) / len(off):.0f} | {ratio:.2f} | "
            f"{min(rounds):.2f}-{max(rounds):.2f} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
