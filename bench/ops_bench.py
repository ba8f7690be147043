"""What metrics and JSON request logs cost: GET submission and delivery with them on vs off, in one run.

Run: .venv/bin/python bench/ops_bench.py [--backend sqlite|postgres] [--rounds 4] [--duration 8]
     [--connections 16] [--workers 1] [--on both|logs|metrics]

Seeds one database (as bench/workers_bench.py: a tenant, an app with its published baseline, a flight with a
pending submission), then starts two `storeflight serve --no-worker` on it: "off" with `--log-level warning`
(no request lines, nothing counted: how the other benchmarks run) and "on" with `--log-level info
--log-format json --metrics-port P` (one JSON line per request into its log file, every request counted in
prometheus-client's multiprocess files). Each round runs wrk against both servers in turn, on GET flight
submission and on GET .../delivery (1,000 random customers), the order alternating between rounds. Printed:
each round's requests/s and p99, then per endpoint the median on/off ratio of requests/s (target >= 0.95) and
of p99, and what the "on" server's /metrics counted (so the figures are known to include the counting).
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

from delivery_bench import QUERY
from http_bench import (
    HOST,
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
from workers_bench import run_wrk, scripts

MODES = {"off": ["--log-level", "warning"], "on": []}  # "on": as --with says
WITH = {
    "both": ["--log-level", "info", "--log-format", "json"],  # plus --metrics-port, chosen per run
    "logs": ["--log-level", "info", "--log-format", "json"],
    "metrics": ["--log-level", "warning"],
}


@contextlib.contextmanager
def serving(
    store: list[str], mode: str, args: argparse.Namespace, workdir: Path
) -> Iterator[tuple[int, int, int | None]]:
    """(API port, process id, metrics port or None) of one server in `mode`."""
    counting = mode == "on" and args.on != "logs"
    port, metrics = free_port(), free_port() if counting else None
    given = WITH[args.on] if mode == "on" else MODES[mode]
    extra = [*given, *(["--metrics-port", str(metrics)] if metrics else [])]
    workers = args.workers
    command = [*storeflight_command(), "serve", "--host", HOST, "--port", str(port), *store, "--no-worker",
               "--workers", str(workers), *extra]  # fmt: skip
    log_path = workdir / f"serve-{mode}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_healthy(port, process, log_path)
        yield port, process.pid, metrics
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def counted(metrics_port: int) -> dict[str, float]:
    """The "on" server's request counts per route template, from its /metrics."""
    import httpx  # noqa: PLC0415
    from prometheus_client.parser import text_string_to_metric_families  # noqa: PLC0415

    totals: dict[str, float] = {}
    for family in text_string_to_metric_families(httpx.get(f"http://{HOST}:{metrics_port}/metrics").text):
        for sample in family.samples:
            if sample.name == "storeflight_http_requests_total":
                route = sample.labels["route"]
                totals[route] = totals.get(route, 0.0) + sample.value
    return totals


def measure(servers: dict[str, tuple[int, int, int | None]], plan: dict[str, tuple[str, str]],
            args: argparse.Namespace, workdir: Path) -> dict[tuple[str, str], list[tuple[float, float]]]:  # fmt: skip
    results: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for number in range(args.rounds):
        order = ["off", "on"] if number % 2 == 0 else ["on", "off"]
        for name, (lua, path) in plan.items():
            for mode in order:
                port, pid, _ = servers[mode]
                rps, _, p99, _ = run_wrk(lua, path, (port, pid), args, workdir)
                results.setdefault((name, mode), []).append((rps, p99))
                print(f"round {number + 1} {name:15} {mode:3}: {rps:8.0f} req/s  p99 {p99:7.2f} ms", flush=True)
    return results


def report(results: dict[tuple[str, str], list[tuple[float, float]]]) -> None:
    for name in dict.fromkeys(name for name, _ in results):
        off, on = results[(name, "off")], results[(name, "on")]
        ratios = [a[0] / b[0] for a, b in zip(on, off, strict=True)]
        rps_off, rps_on = statistics.median(r for r, _ in off), statistics.median(r for r, _ in on)
        p99_off, p99_on = statistics.median(p for _, p in off), statistics.median(p for _, p in on)
        print(
            f"{name:15} on/off: {rps_on / rps_off:.2f} req/s (median {rps_on:.0f} vs {rps_off:.0f}; rounds "
            f"{min(ratios):.2f}-{max(ratios):.2f}), p99 {p99_on / p99_off:.2f}x ({p99_on:.2f} vs {p99_off:.2f} ms)"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--on", choices=sorted(WITH), default="both", help="what the 'on' server turns on")
    args = parser.parse_args()
    print(
        f"{platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}, {wrk_version()}; "
        f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    print(f"{args.backend}, --workers {args.workers}, 'on' = {args.on}, wrk {args.connections} connections x "
          f"{args.duration:g} s, {args.rounds} interleaved rounds")  # fmt: skip
    with tempfile.TemporaryDirectory() as folder, contextlib.ExitStack() as stack:
        workdir = Path(folder)
        url = stack.enter_context(postgres_database(args.postgres_url)) if args.backend == "postgres" else None
        store = store_options(workdir / "data", url)
        seeded = seed_admin(store)
        servers = {mode: stack.enter_context(serving(store, mode, args, workdir)) for mode in MODES}
        plan = scripts(servers["off"][0], seeded)
        token = fetch_token(servers["off"][0], seeded)
        for port, _, _ in servers.values():  # each server builds its snapshot before the clock runs
            for n in range(20):
                path = f"/v1.0/my/applications/{seeded['app_id']}/delivery?{QUERY}&customerId=w{n}"
                request(port, "GET", path, token)
        time.sleep(1)
        results = measure(servers, plan, args, workdir)
        metrics_port = servers["on"][2]
        seen = counted(metrics_port) if metrics_port is not None else {}
        lines = sum(1 for _ in (workdir / "serve-on.log").open("rb"))
    report(results)
    print(
        f"the 'on' server counted {sum(seen.values()):.0f} requests ({len(seen)} route templates) and wrote "
        f"{lines} log lines"
    )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
