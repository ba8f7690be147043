"""Rollout propagation: two `storeflight serve` processes on one PostgreSQL database.

A flight submission is put into the Published state with a rollout in progress directly in the database
(bench/delivery_seed.py). Then, repeatedly: POST updatepackagerolloutpercentage to process A with a new
percentage, and poll GET .../delivery?explain=true on A and on B (one keep-alive connection each, in turn) for
a member of that flight until both explanations carry the new `threshold` (percentage x 10,000). The figure is
the time from the POST returning to the later of the two processes answering with it.

    .venv/bin/python bench/propagation_bench.py --repetitions 20                 # small data set
    .venv/bin/python bench/propagation_bench.py --repetitions 20 --scale full    # 1,000 flights, 1M memberships
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

from delivery_bench import QUERY, server
from delivery_seed import seed
from http_bench import HOST, expect, fetch_token, postgres_database, request, store_options

SCALES = {  # flights, groups, members per group, customers
    "small": (10, 100, 100, 4_000),
    "full": (1000, 10_000, 100, 400_000),
}


def threshold_of(conn: http.client.HTTPConnection, path: str, token: str) -> int | None:
    try:
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        response = conn.getresponse()
    except (http.client.RemoteDisconnected, ConnectionError):  # an idle keep-alive connection was closed
        conn.close()
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        response = conn.getresponse()
    body = json.loads(response.read())
    if response.status != 200:
        raise RuntimeError(f"delivery: HTTP {response.status}: {body}")
    value: int | None = body["explanation"]["threshold"]
    return value


def main() -> None:  # noqa: C901, PLR0912, PLR0915 - a linear benchmark script, read top to bottom
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--repetitions", type=int, default=20)
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--timeout", type=float, default=30.0, help="Give up on one repetition after this.")
    args = parser.parse_args()
    flights, groups, per_group, customers = SCALES[args.scale]
    rng = random.Random(7)
    with tempfile.TemporaryDirectory(prefix="propagation-bench-") as tmp, postgres_database(args.postgres_url) as url:
        started = time.perf_counter()
        seeded = seed(
            url,
            flights=flights,
            groups=groups,
            members_per_group=per_group,
            customers=customers,
            groups_per_flight=groups // flights,
            rollout_share=0.35,
            rng=rng,
        )
        print(
            f"seeded {flights} flights, {groups} groups, {groups * per_group:,} memberships in "
            f"{time.perf_counter() - started:.1f} s",
            flush=True,
        )
        with ExitStack() as stack:
            data = [Path(tmp) / name for name in ("a", "b")]
            ports = []
            for d in data:
                d.mkdir()
                port, _ = stack.enter_context(server(store_options(d, url), Path(tmp) / f"{d.name}.log"))
                ports.append(port)
            token = fetch_token(ports[0], seeded.as_http_bench())
            base = f"/v1.0/my/applications/{seeded.app_id}"
            # A member whose decision goes through a rolling-out flight (the highest ranked of their flights).
            chosen = None
            for flight_id in seeded.rollout_flights:
                for group_id in seeded.groups_of_flight[flight_id]:
                    for customer in seeded.members_of_group[group_id][:5]:
                        path = f"{base}/delivery?{QUERY}&explain=true&customerId={quote(customer)}"
                        status, body = request(ports[0], "GET", path, token)
                        body = expect(status, 200, body, "delivery")
                        if body["explanation"]["chosenFlight"] == flight_id and body["explanation"]["threshold"]:
                            chosen = (flight_id, customer, path)
                            break
                    if chosen:
                        break
                if chosen:
                    break
            if chosen is None:
                raise RuntimeError("no member decided through a rolling-out flight")
            flight_id, customer, path = chosen
            submission_id = seeded.flight_submissions[flight_id]
            post = f"{base}/flights/{flight_id}/submissions/{submission_id}/updatepackagerolloutpercentage"
            print(f"flight {flight_id}, submission {submission_id}, customer {customer}", flush=True)
            conns = [http.client.HTTPConnection(HOST, p, timeout=30) for p in ports]
            # Warm both snapshots.
            for conn in conns:
                threshold_of(conn, path, token)
            results: list[float] = []
            polls: list[int] = []
            for rep in range(args.repetitions):
                percentage = 10.0 + rep * 2.0 + (0.5 if rep % 2 else 0.0)
                wanted = round(percentage * 10_000)
                status, body = request(ports[0], "POST", f"{post}?percentage={percentage:g}", token)
                expect(status, 200, body, "updatepackagerolloutpercentage")
                posted = time.perf_counter()
                seen: list[float | None] = [None, None]
                count = 0
                while None in seen:
                    for i, conn in enumerate(conns):
                        if seen[i] is None and threshold_of(conn, path, token) == wanted:
                            seen[i] = time.perf_counter() - posted
                        count += 1
                    if time.perf_counter() - posted > args.timeout:
                        raise RuntimeError(f"repetition {rep + 1}: not propagated after {args.timeout} s: {seen}")
                elapsed = max(s for s in seen if s is not None)
                results.append(elapsed)
                polls.append(count)
                print(
                    f"rep {rep + 1:2d}: {percentage:5.1f}% -> A {seen[0] * 1000:7.1f} ms, "
                    f"B {seen[1] * 1000:7.1f} ms, both {elapsed * 1000:7.1f} ms ({count} polls)",
                    flush=True,
                )
                time.sleep(rng.uniform(0.0, 0.3))  # do not stay in phase with the 0.2 s re-check
            for conn in conns:
                conn.close()
    print(
        f"\nscale {args.scale}: {args.repetitions} repetitions; time until both processes answer with the new "
        f"threshold: median {statistics.median(results) * 1000:.0f} ms, max {max(results) * 1000:.0f} ms, "
        f"min {min(results) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
