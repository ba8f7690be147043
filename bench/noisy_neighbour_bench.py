"""A noisy neighbour: another tenant's delivery p99 while one tenant changes its group every 0.25 s.

Seeds a fresh database (bench/delivery_seed.py): the QUIET tenant's app with 1,000 flights, 10,000 groups and
1,000,000 memberships (by default), and a NOISY tenant's small app with one flight and one group. Starts a
real `storeflight serve`, builds both snapshots, then measures the quiet tenant's delivery latency from a
separate load-generator process (keep-alive connections, random member ids) twice: with nobody else active
(quiet), and while the noisy tenant adds or removes one member of its group every `--interval` seconds through
the API (noisy), alternating the two `--rounds` times. Prints p50/p99 of both, their ratio, the server's CPU
share in each phase, and how many member changes the noisy tenant made.

    .venv/bin/python bench/noisy_neighbour_bench.py --backends sqlite --duration 10
"""

from __future__ import annotations

import argparse
import http.client
import json
import platform
import random
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

from delivery_bench import QUERY, server
from delivery_seed import Seeded, seed
from http_bench import HOST, fetch_token, percentile, postgres_database, request


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100  # utime + stime, in clock ticks of 1/100 s


def _load(port: int, token: str, paths: list[str], connections: int, seconds: float) -> tuple[list[float], int]:
    """Runs in its own process: `connections` keep-alive clients for `seconds`; (latencies, errors)."""
    latencies: list[float] = []
    errors = [0]
    end = time.monotonic() + seconds

    def client(offset: int) -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        headers = {"Authorization": f"Bearer {token}"}
        index = offset
        while time.monotonic() < end:
            began = time.perf_counter()
            conn.request("GET", paths[index % len(paths)], headers=headers)
            response = conn.getresponse()
            response.read()
            latencies.append(time.perf_counter() - began)
            errors[0] += response.status != 200
            index += connections
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors[0]


class Neighbour:
    """The noisy tenant: adds, then removes, one member of its group every `interval` seconds."""

    def __init__(self, port: int, token: str, group_id: str, interval: float) -> None:
        self.port, self.token, self.group_id, self.interval = port, token, group_id, interval
        self.changes, self.failures = 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        path = f"/v1.0/my/flightgroups/{self.group_id}/members"
        while not self._stop.wait(self.interval):
            key = "add" if self.changes % 2 == 0 else "remove"
            body = json.dumps({key: ["noisy-change@bench.example"]})
            status, _ = request(self.port, "POST", path, self.token, body=body)
            self.changes += 1
            self.failures += status != 200

    def __enter__(self) -> Neighbour:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


class Phase:
    """One phase's latencies and server CPU, summed over its rounds."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors, self.cpu, self.seconds = 0, 0.0, 0.0

    def run(
        self, pool: ProcessPoolExecutor, port: int, token: str, paths: list[str], args: argparse.Namespace, pid: int
    ) -> float:
        """One round; returns its p99 in ms."""
        cpu = _cpu_seconds(pid)
        latencies, errors = pool.submit(_load, port, token, paths, args.connections, args.duration).result()
        self.cpu += _cpu_seconds(pid) - cpu
        self.latencies += latencies
        self.errors += errors
        self.seconds += args.duration
        return percentile(latencies, 0.99) * 1000

    def summary(self) -> dict[str, float]:
        return {
            "p50": percentile(self.latencies, 0.5) * 1000,
            "p99": percentile(self.latencies, 0.99) * 1000,
            "rps": len(self.latencies) / self.seconds,
            "errors": self.errors,
            "cpu": self.cpu / self.seconds * 100,
        }


def run_backend(backend: str, url: str | None, args: argparse.Namespace, workdir: Path) -> str:
    rng = random.Random(args.seed)
    data_dir = workdir / f"data-{backend}"
    data_dir.mkdir()
    db_url = url or f"sqlite:///{data_dir / 'storeflight.db'}"
    started = time.perf_counter()
    quiet: Seeded = seed(
        db_url,
        flights=args.flights,
        groups=args.groups,
        members_per_group=args.members_per_group,
        customers=args.customers,
        groups_per_flight=args.groups // args.flights,
        rollout_share=0.35,
        rng=rng,
    )
    noisy: Seeded = seed(
        db_url, flights=1, groups=1, members_per_group=10, customers=50, groups_per_flight=1, rollout_share=0.0, rng=rng
    )
    print(
        f"[{backend}] seeded {args.groups * args.members_per_group:,} memberships (quiet tenant) and a one-group "
        f"tenant (noisy) in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    paths = [
        f"/v1.0/my/applications/{quiet.app_id}/delivery?{QUERY}&customerId={quote(c)}"
        for c in rng.sample(quiet.members, min(2000, len(quiet.members)))
    ]
    store = ["--data-dir", str(data_dir), "--database-url", db_url]
    with server(store, workdir / f"server-{backend}.log") as (port, process), ProcessPoolExecutor(1) as pool:
        quiet_token = fetch_token(port, quiet.as_http_bench())
        noisy_token = fetch_token(port, noisy.as_http_bench())
        for seeded, token in ((quiet, quiet_token), (noisy, noisy_token)):  # build both snapshots
            status, body = request(
                port,
                "GET",
                f"/v1.0/my/applications/{seeded.app_id}/delivery?{QUERY}&customerId={quote(seeded.members[0])}",
                token,
            )
            assert status == 200, body
        _load(port, quiet_token, paths, args.connections, 2.0)  # warm-up
        quiet_phase, noisy_phase, changes, failures = Phase(), Phase(), 0, 0
        group_id = next(iter(noisy.members_of_group))
        for round_ in range(args.rounds):  # alternating, so a busy moment of the machine hits both alike
            calm_p99 = quiet_phase.run(pool, port, quiet_token, paths, args, process.pid)
            with Neighbour(port, noisy_token, group_id, args.interval) as neighbour:
                busy_p99 = noisy_phase.run(pool, port, quiet_token, paths, args, process.pid)
            changes, failures = changes + neighbour.changes, failures + neighbour.failures
            print(
                f"[{backend}] round {round_ + 1}: p99 quiet {calm_p99:.2f} ms, noisy {busy_p99:.2f} ms "
                f"({neighbour.changes} member changes)",
                flush=True,
            )
    calm, busy = quiet_phase.summary(), noisy_phase.summary()
    print(
        f"[{backend}] quiet: {calm}\n[{backend}] noisy: {busy}; {changes} member changes, {failures} failed", flush=True
    )
    return (
        f"| {backend} | {calm['p50']:.2f} / {calm['p99']:.2f} | {calm['cpu']:.0f}% | {busy['p50']:.2f} / "
        f"{busy['p99']:.2f} | {busy['cpu']:.0f}% | **{busy['p99'] / calm['p99']:.2f}** | {changes} | "
        f"{calm['errors'] + busy['errors']:.0f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--backends", default="sqlite", help="Comma-separated: sqlite,postgres.")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--duration", type=float, default=10.0, help="Seconds per phase.")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2, help="Quiet/noisy pairs, alternating.")
    parser.add_argument("--interval", type=float, default=0.25, help="Seconds between the noisy tenant's changes.")
    parser.add_argument("--flights", type=int, default=1000)
    parser.add_argument("--groups", type=int, default=10_000)
    parser.add_argument("--members-per-group", type=int, default=100)
    parser.add_argument("--customers", type=int, default=400_000)
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()
    print(
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}; {args.connections} "
        f"connections, {args.duration:g} s per phase, a change every {args.interval:g} s",
        flush=True,
    )
    table = [
        "| backend | quiet p50 / p99 ms | server CPU | noisy p50 / p99 ms | server CPU | p99 noisy / quiet "
        "| member changes | errors |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    with tempfile.TemporaryDirectory(prefix="noisy-bench-") as tmp:
        for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
            if backend == "postgres":
                with postgres_database(args.postgres_url) as url:
                    table.append(run_backend(backend, url, args, Path(tmp)))
            else:
                table.append(run_backend(backend, None, args, Path(tmp)))
    print("\n".join(table))


if __name__ == "__main__":
    main()
