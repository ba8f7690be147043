"""Delivery API under load: a real `storeflight serve` with 1,000 flights, 10,000 groups, 1,000,000 memberships.

Seeds a fresh database through the storage layer (bench/delivery_seed.py): one app with a published
non-flighted submission (one package) and "always provide the newest packages" on, and 1,000 flights of 10
groups each; every flight has a finalized submission and a newer one of three packages (x64/x86/arm64), rolling
out at 5-50% (`--rollout-share`) or halted (`--halted-share`), both falling back to the finalized one, or
published plainly; 10,000 groups of 100 members drawn from 400,000 customers (so a member is in about 2.5
groups). Then starts `storeflight serve` and measures with wrk, alternating, GET /healthz and GET .../delivery
for random customer ids (a Lua list: `--nobody-share` customers in no group, `--manual-share` manual checks).
Prints the decisions of a sample of the list by reason, and the server's resident memory before and after the
first delivery request, which builds the snapshot (VmRSS in /proc/<pid>/status).

    .venv/bin/python bench/delivery_bench.py --backends postgres --duration 10 --connections 16
"""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

from delivery_seed import Seeded, seed
from http_bench import (
    HOST,
    WRK_REPORT,
    admin,
    fetch_token,
    postgres_database,
    request,
    serve_process,
    store_options,
    wrk_version,
)

from storeflight.delivery import Reason
from storeflight.devices.service import MAX_RATE

QUERY = "deviceFamily=Windows.Desktop&osVersion=10.0.19045.0&architecture=x64"

# GETs of `base` + a random customer id of `ids`, with one Authorization header (a token or a delivery key).
# Each wrk thread formats PREPARED requests for random customers once, then cycles through them: formatting a
# request per request costs wrk's Lua more CPU than the server spends on some answers, on a machine where
# wrk shares the cores with the server.
WRK_RANDOM_CUSTOMER = """
local ids = {{{ids}}}
local base = "{base}"
local headers = {{["Authorization"] = "Bearer {bearer}"}}
local prepared, n = {{}}, 0
function init(args)
  math.randomseed(os.time() * 1000 + index)
  for i = 1, {prepared} do
    prepared[i] = wrk.format("GET", base .. ids[math.random(#ids)], headers)
  end
end
function request()
  n = n % #prepared + 1
  return prepared[n]
end
"""
PREPARED = 5000  # requests per wrk thread


def delivery_script(ids: list[str], app_id: str, token: str) -> str:
    """The wrk script of the delivery API for random customers of `ids` (already URL-encoded)."""
    base = f"/v1.0/my/applications/{app_id}/delivery?{QUERY}&customerId="
    return random_customer_script(", ".join(f'"{c}"' for c in ids), base, token)


def random_customer_script(ids: str, base: str, bearer: str) -> str:
    """The wrk script of GETs of `base` + one of `ids` (a Lua list's items) with `bearer`."""
    return WRK_RANDOM_CUSTOMER.format(ids=ids, base=base, bearer=bearer, prepared=PREPARED)


WRK_PLAIN = """
wrk.method = "GET"
wrk.path = "{path}"
"""


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


@contextlib.contextmanager
def server(store: list[str], log_path: Path) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    with serve_process(store, log_path, "warning", "--no-worker") as running:
        yield running


def run_wrk(script: str, path: str, port: int, args: argparse.Namespace, workdir: Path) -> dict[str, float]:
    lua = workdir / "bench.lua"
    lua.write_text(script + WRK_REPORT)
    command = [
        "wrk",
        "-t",
        str(args.threads),
        "-c",
        str(args.connections),
        "-d",
        f"{args.duration:g}s",
        "--timeout",
        "30s",
        "-s",
        str(lua),
        f"http://{HOST}:{port}{path}",
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{done.stdout}\n{done.stderr}")
    data = json.loads(line.removeprefix("BENCH "))
    seconds = data["duration_us"] / 1e6
    return {
        "rps": data["requests"] / seconds,
        "p50": data["p50_us"] / 1000,
        "p99": data["p99_us"] / 1000,
        "errors": data["errors"],
        "requests": data["requests"],
    }


def customer_list(seeded: Seeded, args: argparse.Namespace, rng: random.Random) -> list[str]:
    """The Lua list: members and customers in no group, a share of them checking by hand (URL-encoded)."""
    members = int(args.ids * (1 - args.nobody_share))
    picks = [rng.choice(seeded.members) for _ in range(members)]
    picks += [f"nobody{i:07d}@bench.example" for i in range(args.ids - members)]
    rng.shuffle(picks)
    return [quote(c) + ("&manualCheck=true" if rng.random() < args.manual_share else "") for c in picks]


def sample_reasons(port: int, token: str, app_id: str, picks: list[str]) -> Counter[str]:
    """The decisions the server gives a regular sample of the list, by source and reason."""
    short = {reason.value: reason.name for reason in Reason}
    found: Counter[str] = Counter()
    for customer in picks[:: max(1, len(picks) // 1000)]:
        status, body = request(
            port, "GET", f"/v1.0/my/applications/{app_id}/delivery?{QUERY}&customerId={customer}", token
        )
        found[f"{body.get('source')}/{short.get(body.get('reason', ''), status)}"] += 1
    return found


def device_scripts(store: list[str], seeded: Seeded, picks: list[str]) -> list[tuple[str, str, str]]:
    """wrk scripts for the device decision and App Installer file, with a delivery key at the highest rate."""
    options = ["--tenant-id", seeded.tenant, "--app", seeded.app_id, "--rate", str(MAX_RATE)]
    created = admin(store, "create-delivery-key", *options)
    ids = ", ".join(f'"{c}"' for c in picks)
    found = []
    for endpoint in ("decision", "app.appinstaller"):
        base = f"/devices/v1/apps/{seeded.app_id}/{endpoint}?{QUERY}&customerId="
        script = random_customer_script(ids, base, created["key"])
        path = f"/devices/v1/apps/{seeded.app_id}/{endpoint}?{QUERY}&customerId={picks[0]}"
        found.append((f"device {endpoint}", script, path))
    return found


def run_backend(backend: str, url: str | None, args: argparse.Namespace, workdir: Path) -> list[str]:
    rng = random.Random(args.seed)
    data_dir = workdir / f"data-{backend}"
    data_dir.mkdir()
    db_url = url or f"sqlite:///{data_dir / 'storeflight.db'}"
    started = time.perf_counter()
    seeded: Seeded = seed(
        db_url,
        flights=args.flights,
        groups=args.groups,
        members_per_group=args.members_per_group,
        customers=args.customers,
        groups_per_flight=args.groups // args.flights,
        rollout_share=args.rollout_share,
        halted_share=args.halted_share,
        seek=True,
        rng=rng,
    )
    seed_s = time.perf_counter() - started
    memberships = args.groups * args.members_per_group
    print(
        f"[{backend}] seeded {args.flights} flights, {args.groups} groups, {memberships:,} memberships "
        f"({len(seeded.members):,} distinct members) in {seed_s:.1f} s; flights rolling out "
        f"{len(seeded.rollout_flights)}, halted {len(seeded.halted_flights)}, every rollout falling back to the "
        f"flight's finalized submission; isSeekEnabled on",
        flush=True,
    )
    store = store_options(data_dir, url) if url else store_options(data_dir, None)
    if not url:
        store = ["--data-dir", str(data_dir), "--database-url", db_url]
    lines = []
    with server(store, workdir / f"server-{backend}.log") as (port, process):
        token = fetch_token(port, seeded.as_http_bench())
        request(port, "GET", "/healthz")
        time.sleep(1.0)
        before = rss_kib(process.pid)
        path0 = f"/v1.0/my/applications/{seeded.app_id}/delivery?{QUERY}&customerId={quote(seeded.members[0])}"
        t0 = time.perf_counter()
        status, body = request(port, "GET", path0, token)
        first_s = time.perf_counter() - t0
        if status != 200:
            raise RuntimeError(f"delivery: HTTP {status}: {body}")
        time.sleep(0.5)
        after = rss_kib(process.pid)
        picks = customer_list(seeded, args, rng)
        reasons = sample_reasons(port, token, seeded.app_id, picks)
        print(
            f"[{backend}] requests: {1 - args.nobody_share:.0%} members, {args.nobody_share:.0%} in no group, "
            f"{args.manual_share:.0%} manual checks; decisions of a sample of {sum(reasons.values())}: "
            + ", ".join(f"{reason} {count / sum(reasons.values()):.1%}" for reason, count in reasons.most_common()),
            flush=True,
        )
        delivery_lua = delivery_script(picks, seeded.app_id, token)
        health_lua = WRK_PLAIN.format(path="/healthz")
        measured = [("healthz", health_lua, "/healthz"), ("delivery", delivery_lua, path0)]
        if args.device:
            measured += device_scripts(store, seeded, picks)
        run_wrk(delivery_lua, path0, port, argparse.Namespace(**{**vars(args), "duration": 2}), workdir)  # warm-up
        rounds: dict[str, list[dict[str, float]]] = {name: [] for name, _, _ in measured}
        for r in range(args.rounds):
            for name, script, path in measured:
                m = run_wrk(script, path, port, args, workdir)
                rounds[name].append(m)
                print(
                    f"[{backend}] round {r + 1} {name}: {m['rps']:.0f} req/s, p50 {m['p50']:.2f} ms, "
                    f"p99 {m['p99']:.2f} ms, errors {m['errors']}",
                    flush=True,
                )
        end_rss = rss_kib(process.pid)
    for r in range(args.rounds):
        h = rounds["healthz"][r]
        for name in [n for n in rounds if n != "healthz"]:
            d = rounds[name][r]
            lines.append(
                f"| {backend} | {r + 1} | {name} | {h['rps']:,.0f} | {h['p50']:.2f} / {h['p99']:.2f} | "
                f"{d['rps']:,.0f} | {d['p50']:.2f} / {d['p99']:.2f} | **{d['rps'] / h['rps']:.2f}** | "
                f"{d['errors']:.0f} |"
            )
    lines.append(
        f"| {backend} | snapshot | RSS {before / 1024:.1f} MiB before the first delivery request, "
        f"{after / 1024:.1f} MiB after: **+{(after - before) / 1024:.1f} MiB**; first request "
        f"(snapshot build) {first_s:.2f} s; RSS at the end {end_rss / 1024:.1f} MiB | | | | | | |"
    )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--backends", default="postgres", help="Comma-separated: postgres,sqlite.")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2, help="healthz/delivery pairs, alternating.")
    parser.add_argument("--flights", type=int, default=1000)
    parser.add_argument("--groups", type=int, default=10_000)
    parser.add_argument("--members-per-group", type=int, default=100)
    parser.add_argument("--customers", type=int, default=400_000)
    parser.add_argument("--ids", type=int, default=20_000, help="Customer ids in the Lua list.")
    parser.add_argument("--rollout-share", type=float, default=0.35, help="Flights whose latest is rolling out.")
    parser.add_argument("--halted-share", type=float, default=0.10, help="Flights whose latest rollout is halted.")
    parser.add_argument("--nobody-share", type=float, default=0.20, help="Requests of customers in no group.")
    parser.add_argument("--manual-share", type=float, default=0.10, help="Requests that are manual checks.")
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument(
        "--device",
        action="store_true",
        help="Also measure the device endpoints (decision and App Installer file) with a delivery key.",
    )
    args = parser.parse_args()
    print(
        f"{wrk_version()}, {args.threads} wrk threads, {args.connections} connections, {args.duration:g} s; "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}",
        flush=True,
    )
    table = [
        "| backend | round | endpoint | healthz req/s | healthz p50 / p99 ms | endpoint req/s | endpoint p50 / p99 ms "
        "| endpoint / healthz | endpoint errors |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    with tempfile.TemporaryDirectory(prefix="delivery-bench-") as tmp:
        for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
            if backend == "postgres":
                with postgres_database(args.postgres_url) as url:
                    table += run_backend(backend, url, args, Path(tmp))
            else:
                table += run_backend(backend, None, args, Path(tmp))
    print("\n".join(table))


if __name__ == "__main__":
    main()
