"""Scaling of `serve --workers`: one worker process against two, on GET submission and on delivery.

Run: .venv/bin/python bench/workers_bench.py [--backend sqlite|postgres] [--rounds 3] [--duration 8]
     [--connections 16] [--workers 1,2]

Seeds one database (a tenant, an app with its published baseline, a flight with a pending submission, a
group), then starts one `storeflight serve --no-worker --workers N` per N in --workers, all at once on that
database (an idle server costs nothing). Each round runs wrk (--connections connections, one thread each)
against every server in turn, on GET flight submission and on GET .../delivery (random customer ids of
1,000, none of them in the flight's group: the non-flighted answer), the order of the servers alternating
between rounds. Printed: every round's requests/s, p50 and p99; the median per server and endpoint; and the
ratios against the first N (requests/s, and p99), which are what to compare across machines, and how wrk's
connections were spread over the workers (SO_REUSEPORT hashes each connection to one: an uneven spread caps
the scaling of that round). Also the
machine (cores, load average before and after: a loaded machine shows there), wrk and Python versions.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from delivery_bench import QUERY, delivery_script
from http_bench import (
    HOST,
    WRK_GET,
    WRK_REPORT,
    fetch_token,
    free_port,
    postgres_database,
    request,
    seed_admin,
    store_options,
    storeflight_command,
    wait_healthy,
    wrk_version,
)
from tests.workers.processes import connections_of, established, listening_pids


@contextlib.contextmanager
def serving(store: list[str], workers: int, log_path: Path) -> Iterator[tuple[int, int]]:
    port = free_port()
    command = [
        *storeflight_command(),
        "serve",
        "--host",
        HOST,
        "--port",
        str(port),
        *store,
        "--log-level",
        "warning",
        "--no-worker",
        "--workers",
        str(workers),
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_healthy(port, process, log_path)
        deadline = time.monotonic() + 60
        while len(listening_pids(process.pid, port)) < workers and time.monotonic() < deadline:
            time.sleep(0.1)  # every worker listening before any connection is made
        yield port, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def scripts(port: int, seeded: dict[str, str]) -> dict[str, tuple[str, str]]:
    """endpoint name -> (Lua, path), the token fetched from `port` (every server shares the signing key)."""
    token = fetch_token(port, seeded)
    app_id = seeded["app_id"]
    status, flight = request(
        port,
        "POST",
        f"/v1.0/my/applications/{app_id}/flights",
        token,
        body=f'{{"friendlyName": "bench-read", "groupIds": ["{seeded["group_id"]}"]}}',
    )
    if status != 201:
        raise RuntimeError(f"create a flight: HTTP {status}: {flight}")
    path = (
        f"/v1.0/my/applications/{app_id}/flights/{flight['flightId']}/submissions/"
        f"{flight['pendingFlightSubmission']['id']}"
    )
    delivery = delivery_script([f"customer{n}@example.com" for n in range(1000)], app_id, token)
    return {
        "GET submission": (WRK_GET.format(path=path, token=token), path),
        "delivery": (delivery, f"/v1.0/my/applications/{app_id}/delivery"),
    }


def spread(root: int, port: int) -> list[int]:
    """How many connections each worker holds now (sorted, largest first), from /proc."""
    counts = []
    for pid in listening_pids(root, port) or {root}:  # one worker: `serve` itself serves
        inodes = connections_of(pid)
        counts.append(len(inodes & established(port)))
    return sorted(counts, reverse=True)


def run_wrk(
    lua: str, path: str, server: tuple[int, int], args: argparse.Namespace, workdir: Path
) -> tuple[float, float, float, list[int]]:
    """(requests/s, p50 ms, p99 ms, connections per worker); errors stop the benchmark."""
    port, root = server
    script = workdir / "bench.lua"
    script.write_text(lua + WRK_REPORT)
    command = [
        "wrk",
        "-t",
        str(args.connections),
        "-c",
        str(args.connections),
        "-d",
        f"{args.duration:g}s",
        "--timeout",
        "30s",
        "-s",
        str(script),
        f"http://{HOST}:{port}{path}",
    ]
    wrk = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(min(1.0, args.duration / 2))
    shares = spread(root, port)
    stdout, stderr = wrk.communicate()
    if wrk.returncode:
        raise RuntimeError(f"wrk failed ({wrk.returncode}): {stderr}")
    line = next(x for x in stdout.splitlines() if x.startswith("BENCH "))
    import json  # noqa: PLC0415

    data = json.loads(line.removeprefix("BENCH "))
    if data["errors"]:
        raise RuntimeError(f"wrk saw {data['errors']} errors on {path}:\n{stdout}")
    return data["requests"] / (data["duration_us"] / 1e6), data["p50_us"] / 1000, data["p99_us"] / 1000, shares


def measure(
    ports: dict[int, tuple[int, int]], plan: dict[str, tuple[str, str]], args: argparse.Namespace, workdir: Path
) -> dict[tuple[str, int], list[tuple[float, float, float]]]:
    results: dict[tuple[str, int], list[tuple[float, float, float]]] = {}
    counts = list(ports)
    for number in range(args.rounds):
        order = counts if number % 2 == 0 else counts[::-1]
        for name, (lua, path) in plan.items():
            for workers in order:
                rps, p50, p99, shares = run_wrk(lua, path, ports[workers], args, workdir)
                results.setdefault((name, workers), []).append((rps, p50, p99))
                print(
                    f"round {number + 1} {name:15} workers={workers}: {rps:8.0f} req/s  p50 {p50:6.2f} ms  "
                    f"p99 {p99:7.2f} ms  connections per worker {shares}",
                    flush=True,
                )
    return results


def report(results: dict[tuple[str, int], list[tuple[float, float, float]]], counts: list[int]) -> None:
    base = counts[0]
    for name in dict.fromkeys(name for name, _ in results):
        first = results[(name, base)]
        base_rps = statistics.median(r for r, _, _ in first)
        base_p99 = statistics.median(p for _, _, p in first)
        for workers in counts:
            rounds = results[(name, workers)]
            rps = statistics.median(r for r, _, _ in rounds)
            p99 = statistics.median(p for _, _, p in rounds)
            print(
                f"{name:15} workers={workers}: median {rps:8.0f} req/s, p99 {p99:7.2f} ms; "
                f"vs workers={base}: {rps / base_rps:.2f}x req/s, p99 {p99 / base_p99:.2f}x"
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", default="1,2")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    print(
        f"{platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}, {wrk_version()}; "
        f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    print(f"{args.backend}, wrk {args.connections} connections x {args.duration:g} s, {args.rounds} interleaved rounds")
    with tempfile.TemporaryDirectory() as folder, contextlib.ExitStack() as stack:
        workdir = Path(folder)
        url = stack.enter_context(postgres_database(args.postgres_url)) if args.backend == "postgres" else None
        store = store_options(workdir / "data", url)
        seeded = seed_admin(store)
        ports = {n: stack.enter_context(serving(store, n, workdir / f"serve-{n}.log")) for n in counts}
        plan = scripts(ports[counts[0]][0], seeded)
        for port, _ in ports.values():  # every worker builds its snapshot before the clock runs
            for _ in range(20):
                request(port, "GET", f"/v1.0/my/applications/{seeded['app_id']}/delivery?{QUERY}&customerId=w")
        time.sleep(1)
        results = measure(ports, plan, args, workdir)
    report(results, counts)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
