"""Interception overhead: the same `storeflight serve` process, requests straight to its HTTP port vs through
the interception proxy (CONNECT + TLS with the local CA, as clients that hard-code Microsoft's hosts send them).

It starts `storeflight serve --intercept-port P --tls-port T` on a temporary SQLite data folder, seeds a client
and an app, and then, in alternating rounds so machine noise hits every mode alike, runs N worker processes,
each a keep-alive http.client connection, for D seconds per round:

- direct:   GET http://127.0.0.1:PORT/v1.0/my/applications/{id}            (plain HTTP, the baseline)
- tls:      GET https://manage.devcenter.microsoft.com/... on the TLS port  (hosts-file variant, no proxy)
- proxied:  the same request through the CONNECT proxy on one tunnel per worker

It prints requests per second and p50/p90 latency per mode, the ratio proxied/direct of requests per second
and the p50 latency the proxy adds.

    .venv/bin/python bench/intercept_bench.py --duration 1 --rounds 8 --concurrency 4
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

API_HOST = "manage.devcenter.microsoft.com"
MODES = ("direct", "tls", "proxied")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def storeflight(*args: str) -> Any:
    done = subprocess.run(
        [sys.executable, "-m", "storeflight", *args], capture_output=True, text=True, check=True, timeout=120
    )
    return json.loads(done.stdout) if done.stdout.lstrip().startswith("{") else done.stdout


def connection(mode: str, ports: dict[str, int], ca_file: str) -> http.client.HTTPConnection:
    if mode == "direct":
        return http.client.HTTPConnection("127.0.0.1", ports["api"], timeout=30)
    context = ssl.create_default_context(cafile=ca_file)
    if mode == "tls":  # what a hosts-file entry does: the real name for TLS, 127.0.0.1 on the wire
        sock = socket.create_connection(("127.0.0.1", ports["tls"]), timeout=30)
        conn = http.client.HTTPSConnection(API_HOST, 443, context=context, timeout=30)
        conn.sock = context.wrap_socket(sock, server_hostname=API_HOST)
        return conn
    conn = http.client.HTTPSConnection("127.0.0.1", ports["proxy"], context=context, timeout=30)
    conn.set_tunnel(API_HOST, 443)
    return conn


def worker(mode: str, ports: dict[str, int], ca_file: str, path: str, token: str, duration: float) -> list[float]:
    """Latencies (seconds) of the requests one keep-alive connection completes in `duration` seconds."""
    conn = connection(mode, ports, ca_file)
    if conn.sock is None:
        conn.connect()
    # As urllib3 (requests), .NET and Node do by default: without it Nagle's algorithm delays small writes.
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    headers = {"Authorization": f"Bearer {token}", "Host": API_HOST if mode != "direct" else "127.0.0.1"}
    latencies: list[float] = []
    end = time.perf_counter() + duration
    while (started := time.perf_counter()) < end:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{mode}: {response.status}")
        latencies.append(time.perf_counter() - started)
    conn.close()
    return latencies


def wait_up(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("storeflight serve exited")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("storeflight serve did not come up")


def seed(data: Path, api_port: int) -> tuple[str, str]:
    client = storeflight("admin", "create-client", "--data-dir", str(data))
    storeflight(
        "admin",
        "create-app",
        "--data-dir",
        str(data),
        "--tenant-id",
        client["tenantId"],
        "--name",
        "Bench",
        "--identity-name",
        "Bench.App",
        "--publisher",
        "CN=Bench",
    )
    form = urllib.parse.urlencode(
        {
            "grant_type": "client_credentials",
            "client_id": client["clientId"],
            "client_secret": client["clientSecret"],
            "resource": f"https://{API_HOST}",
        }
    )
    conn = http.client.HTTPConnection("127.0.0.1", api_port, timeout=30)
    conn.request(
        "POST",
        f"/{client['tenantId']}/oauth2/token",
        body=form,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    token = json.loads(conn.getresponse().read())["access_token"]
    conn.request("GET", "/v1.0/my/applications", headers={"Authorization": f"Bearer {token}"})
    app_id = json.loads(conn.getresponse().read())["value"][0]["id"]
    return token, f"/v1.0/my/applications/{app_id}"


def measure(
    args: argparse.Namespace, ports: dict[str, int], ca_file: str, token: str, path: str
) -> tuple[dict[str, list[float]], list[float]]:
    results: dict[str, list[float]] = {mode: [] for mode in MODES}
    elapsed = dict.fromkeys(MODES, 0.0)
    per_round: list[float] = []
    with ProcessPoolExecutor(args.concurrency) as pool:
        for round_number in range(args.rounds + 1):  # round 0 warms up and is not counted
            counts = {}
            for mode in MODES:
                started = time.perf_counter()
                futures = [
                    pool.submit(worker, mode, ports, ca_file, path, token, args.duration)
                    for _ in range(args.concurrency)
                ]
                latencies = [x for f in futures for x in f.result()]
                counts[mode] = len(latencies)
                if round_number:
                    results[mode] += latencies
                    elapsed[mode] += time.perf_counter() - started
            if round_number:
                per_round.append(counts["proxied"] / counts["direct"])
    print("proxied/direct req/s per round: " + " ".join(f"{r:.2f}" for r in per_round))
    measured = {mode: [len(results[mode]) / elapsed[mode], *results[mode]] for mode in MODES}
    return measured, per_round


def report(measured: dict[str, list[float]], per_round: list[float], args: argparse.Namespace) -> None:
    print(
        f"{args.concurrency} keep-alive connections, {args.rounds} rounds of {args.duration:g} s per mode, "
        f"{os.cpu_count()} CPUs (shared), GET one application (authenticated, SQLite)"
    )
    p50: dict[str, float] = {}
    for mode in MODES:
        rate, *latencies = measured[mode]
        quantiles = statistics.quantiles(latencies, n=10)
        p50[mode] = statistics.median(latencies) * 1000
        print(f"  {mode:8} {rate:8.0f} req/s   p50 {p50[mode]:6.2f} ms   p90 {quantiles[8] * 1000:6.2f} ms")
    direct, tls, proxied = (measured[m][0] for m in MODES)
    print(
        f"proxied/direct req/s ratio: {proxied / direct:.2f}   (tls/direct {tls / direct:.2f})   "
        f"median of the per-round ratios: {statistics.median(per_round):.2f}"
    )
    print(
        f"p50 added by interception: {p50['proxied'] - p50['direct']:+.2f} ms "
        f"(by TLS alone {p50['tls'] - p50['direct']:+.2f} ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=1.0, help="seconds per mode per round")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    ports = {"api": free_port(), "tls": free_port(), "proxy": free_port()}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        command = [
            sys.executable,
            "-m",
            "storeflight",
            "serve",
            "--data-dir",
            str(data),
            "--no-worker",
            "--log-level",
            "warning",
            "--port",
            str(ports["api"]),
            "--tls-port",
            str(ports["tls"]),
            "--intercept-port",
            str(ports["proxy"]),
        ]
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_up(ports["api"], server)
            token, path = seed(data, ports["api"])
            measured, per_round = measure(args, ports, str(data / "ca" / "ca.pem"), token, path)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    report(measured, per_round, args)


if __name__ == "__main__":
    main()
