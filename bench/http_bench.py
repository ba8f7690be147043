"""HTTP API benchmark: real `storeflight serve` processes on SQLite and PostgreSQL under concurrent load.

For each backend it starts a server as a subprocess, seeds a tenant, an app, a flight group and flights, and
measures with N concurrent keep-alive clients:

1. GET /healthz, the ceiling of the HTTP stack on this machine;
2. GET one flight submission (authenticated, one read);
3. GET that submission's status (what clients poll until Published);
4. a create-update-delete cycle: POST a submission, PUT a change, DELETE it, each client on its own flight
   (a flight holds at most one pending submission).

The three GETs run in interleaved rounds (healthz, submission, status, then again, `--rounds` times), so
a change in the machine's load affects them alike. Every figure is also given as a ratio to the same
server's /healthz requests per second from the same run (all rounds together, and the lowest and highest
round), which is what to compare across machines. The load generator is `wrk` when it is on PATH (Lua scripts are
generated into a temp dir), otherwise a multi-process Python generator built on http.client.

    .venv/bin/python bench/http_bench.py --duration 10 --rounds 3 --concurrency 16 --backends sqlite,postgres
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import http.client
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

HOST = "127.0.0.1"
RESOURCE = "https://manage.devcenter.microsoft.com"
UPDATE_BODY = json.dumps(
    {
        "flightPackages": [{"fileName": "a.msix", "fileStatus": "PendingUpload"}],
        "targetPublishMode": "Immediate",
        "notesForCertification": "benchmark",
    }
)


# --- data --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    duration: float
    rounds: int
    concurrency: int
    backends: list[str]
    loadgen: str
    warmup: float
    postgres_url: str
    server_log_level: str
    keep_logs: bool


@dataclass(frozen=True)
class Target:
    """A seeded, running server: where it listens and what the clients work on."""

    port: int
    token: str
    app_id: str
    read_flight: str
    read_submission: str
    cycle_flights: list[str]

    def flight_path(self, flight_id: str) -> str:
        return f"/v1.0/my/applications/{self.app_id}/flights/{flight_id}/submissions"

    @property
    def read_path(self) -> str:
        return f"{self.flight_path(self.read_flight)}/{self.read_submission}"

    @property
    def status_path(self) -> str:
        return f"{self.read_path}/status"


@dataclass(frozen=True)
class Spec:
    """One measurement: a plain GET of `path`, or the create-update-delete cycle (kind "cycle")."""

    kind: str
    name: str
    path: str


@dataclass(frozen=True)
class Measurement:
    name: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    cycles: int | None = None

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cycles_per_s(self) -> float | None:
        return None if self.cycles is None or not self.seconds else self.cycles / self.seconds


@dataclass
class BackendResult:
    backend: str
    measurements: list[Measurement] = field(default_factory=list)  # every round of every measurement

    def names(self) -> list[str]:
        return list(dict.fromkeys(m.name for m in self.measurements))

    def rounds(self, name: str) -> list[Measurement]:
        return [m for m in self.measurements if m.name == name]

    def combined(self, name: str) -> Measurement:
        """All rounds of one measurement as one: requests over seconds; the worst round's p50 and p99."""
        rounds = self.rounds(name)
        cycles = [m.cycles for m in rounds if m.cycles is not None]
        return Measurement(
            name,
            sum(m.requests for m in rounds),
            sum(m.seconds for m in rounds),
            max(m.p50_ms for m in rounds),
            max(m.p99_ms for m in rounds),
            sum(m.errors for m in rounds),
            sum(cycles) if cycles else None,
        )

    def round_ratios(self, name: str) -> list[float]:
        """Each round's req/s over the /healthz req/s of the same round."""
        ceilings = self.rounds(CEILING)
        return [m.rps / c.rps for m, c in zip(self.rounds(name), ceilings, strict=False) if c.rps]


# --- command line ------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=10.0, help="Seconds per measurement (default 10).")
    parser.add_argument("--rounds", type=int, default=3, help="Interleaved rounds of the GETs (default 3).")
    parser.add_argument("--concurrency", type=int, default=16, help="Concurrent clients (default 16).")
    parser.add_argument("--backends", default="sqlite,postgres", help="Comma-separated: sqlite,postgres.")
    parser.add_argument(
        "--loadgen",
        choices=["auto", "wrk", "python"],
        default="auto",
        help="Load generator: wrk if on PATH (auto), or the Python one.",
    )
    parser.add_argument("--warmup", type=float, default=2.0, help="Unrecorded warm-up seconds per server.")
    parser.add_argument(
        "--postgres-url",
        default="postgresql://postgres@127.0.0.1:5432",
        help="Server URL; a throwaway database is created and dropped there.",
    )
    parser.add_argument(
        "--server-log-level", default="warning", help="The server's --log-level (warning: no per-request access log)."
    )
    parser.add_argument("--keep-logs", action="store_true", help="Print each server's log at the end.")
    args = parser.parse_args(argv)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(backends) - {"sqlite", "postgres"}
    if unknown:
        parser.error(f"unknown backend(s): {', '.join(sorted(unknown))}")
    loadgen = args.loadgen
    if loadgen == "auto":
        loadgen = "wrk" if shutil.which("wrk") else "python"
    return Options(
        args.duration,
        max(1, args.rounds),
        args.concurrency,
        backends,
        loadgen,
        args.warmup,
        args.postgres_url,
        args.server_log_level,
        args.keep_logs,
    )


# --- databases and the server process ----------------------------------------------------------------------


@contextlib.contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    """A fresh database on the PostgreSQL server, dropped afterwards."""
    name = f"storeflight_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server_url}/{name}"
    finally:
        with psycopg.connect(f"{server_url}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def backend_database(backend: str, options: Options) -> Iterator[str | None]:
    """The --database-url for the backend (None: SQLite in the data dir)."""
    if backend == "sqlite":
        yield None
    else:
        with postgres_database(options.postgres_url) as url:
            yield url


def storeflight_command() -> list[str]:
    """The `storeflight` console script of this interpreter's environment, or `python -m storeflight`."""
    script = Path(sys.executable).parent / "storeflight"
    return [str(script)] if script.exists() else [sys.executable, "-m", "storeflight"]


def store_options(data_dir: Path, database_url: str | None) -> list[str]:
    return ["--data-dir", str(data_dir), *(["--database-url", database_url] if database_url else [])]


def admin(store: list[str], *args: str) -> dict[str, Any]:
    """Run one `storeflight admin` command and return its JSON output."""
    command = [*storeflight_command(), "admin", *args, *store]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:1])} failed ({done.returncode}): {done.stdout}{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def running_server(store: list[str], log_path: Path, log_level: str, *extra: str) -> Iterator[int]:
    """A `storeflight serve` subprocess on a free port, stopped (SIGINT, then SIGKILL) afterwards."""
    with serve_process(store, log_path, log_level, *extra) as (port, _):
        yield port


@contextlib.contextmanager
def serve_process(
    store: list[str], log_path: Path, log_level: str, *extra: str
) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """`storeflight serve` with `extra` options on a free port, and its process; stopped afterwards."""
    port = free_port()
    command = [*storeflight_command(), "serve", "--host", HOST, "--port", str(port), *store, "--log-level", log_level]
    with log_path.open("wb") as log:
        process = subprocess.Popen([*command, *extra], stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_healthy(port, process, log_path)
        yield port, process
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_healthy(port: int, process: subprocess.Popen[bytes], log_path: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log_path.read_text()}")
        with contextlib.suppress(OSError):
            if request(port, "GET", "/healthz")[0] == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"server not healthy after {timeout} s:\n{log_path.read_text()}")


# --- seeding -----------------------------------------------------------------------------------------------


def request(
    port: int,
    method: str,
    path: str,
    token: str | None = None,
    *,
    body: str | None = None,
    content_type: str = "application/json",
) -> tuple[int, Any]:
    """One request on a fresh connection: (status, parsed JSON body or None)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    headers = {"Content-Type": content_type}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        raw = response.read()
    finally:
        conn.close()
    try:
        return response.status, json.loads(raw) if raw.strip() else None
    except ValueError:
        return response.status, raw.decode(errors="replace")


def expect(status: int, wanted: int, body: Any, what: str) -> Any:
    if status != wanted:
        raise RuntimeError(f"{what}: HTTP {status} (wanted {wanted}): {body}")
    return body


def seed_admin(store: list[str]) -> dict[str, str]:
    """Tenant, client, app and group through the admin commands (before the server starts)."""
    tenant = str(uuid.uuid4())
    client = admin(store, "create-client", "--tenant-id", tenant)
    app = admin(
        store,
        "create-app",
        "--tenant-id",
        tenant,
        "--name",
        "Bench App",
        "--identity-name",
        "Bench.App",
        "--publisher",
        "CN=Bench",
    )
    group = admin(store, "create-group", "--tenant-id", tenant, "--name", "bench", "--member", "a@b.example")
    return {
        "tenant": tenant,
        "client_id": client["clientId"],
        "secret": client["clientSecret"],
        "app_id": app["id"],
        "group_id": group["id"],
    }


def fetch_token(port: int, seeded: dict[str, str]) -> str:
    form = (
        f"grant_type=client_credentials&client_id={seeded['client_id']}"
        f"&client_secret={seeded['secret']}&resource={RESOURCE}"
    )
    status, body = request(
        port, "POST", f"/{seeded['tenant']}/oauth2/token", body=form, content_type="application/x-www-form-urlencoded"
    )
    token: str = expect(status, 200, body, "token")["access_token"]
    return token


def create_flight(port: int, token: str, app_id: str, group_id: str, name: str) -> tuple[str, str]:
    """A new flight: (flightId, id of its first pending submission)."""
    payload = json.dumps({"friendlyName": name, "groupIds": [group_id]})
    status, body = request(port, "POST", f"/v1.0/my/applications/{app_id}/flights", token, body=payload)
    body = expect(status, 201, body, f"create flight {name}")
    return body["flightId"], body["pendingFlightSubmission"]["id"]


def seed(port: int, seeded: dict[str, str], clients: int) -> Target:
    """One flight (with its pending submission) to read, and one empty flight per cycling client."""
    token = fetch_token(port, seeded)
    app_id, group_id = seeded["app_id"], seeded["group_id"]
    read_flight, read_submission = create_flight(port, token, app_id, group_id, "bench-read")
    cycle_flights = []
    for index in range(clients):
        flight_id, pending = create_flight(port, token, app_id, group_id, f"bench-cycle-{index}")
        path = f"/v1.0/my/applications/{app_id}/flights/{flight_id}/submissions/{pending}"
        status, body = request(port, "DELETE", path, token)
        expect(status, 204, body, "delete the flight's first submission")
        cycle_flights.append(flight_id)
    return Target(port, token, app_id, read_flight, read_submission, cycle_flights)


# --- wrk ---------------------------------------------------------------------------------------------------

WRK_REPORT = """
local threads = {}
local next_index = 1
function setup(thread)
  thread:set("index", next_index)
  next_index = next_index + 1
  table.insert(threads, thread)
end
function done(summary, latency, requests)
  local cycles, bad = 0, 0
  for _, t in ipairs(threads) do
    cycles = cycles + (t:get("cycles") or 0)
    bad = bad + (t:get("bad") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "errors": %d, "cycles": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout + bad, cycles))
end
"""

WRK_GET = """
wrk.method = "GET"
wrk.path = "{path}"
wrk.headers["Authorization"] = "Bearer {token}"
"""

WRK_CYCLE = """
local flights = {{{flights}}}
local token = "Bearer {token}"
local update_body = '{body}'
local step, submission = "create", nil
function init(args)
  cycles, bad = 0, 0
  base = "/v1.0/my/applications/{app_id}/flights/" .. flights[index] .. "/submissions"
end
function request()
  if step == "create" then
    return wrk.format("POST", base, {{["Authorization"] = token}}, "")
  elseif step == "update" then
    local headers = {{["Authorization"] = token, ["Content-Type"] = "application/json"}}
    return wrk.format("PUT", base .. "/" .. submission, headers, update_body)
  end
  return wrk.format("DELETE", base .. "/" .. submission, {{["Authorization"] = token}})
end
function response(status, headers, body)
  if step == "create" then
    if status == 201 then
      submission = string.match(body, '"id"%s*:%s*"([^"]+)"')
      step = "update"
    else
      bad = bad + 1
    end
  elseif step == "update" then
    if status ~= 200 then bad = bad + 1 end
    step = "delete"
  else
    if status == 204 then cycles = cycles + 1 else bad = bad + 1 end
    step = "create"
  end
end
"""


def wrk_script(spec: Spec, target: Target) -> str:
    """The Lua for one measurement; the cycle needs one wrk thread per connection (per-thread state)."""
    if spec.kind == "cycle":
        flights = ", ".join(f'"{f}"' for f in target.cycle_flights)
        body = WRK_CYCLE.format(flights=flights, token=target.token, body=UPDATE_BODY, app_id=target.app_id)
    else:
        body = WRK_GET.format(path=spec.path, token=target.token)
    return body + WRK_REPORT


def run_wrk(spec: Spec, target: Target, options: Options, workdir: Path) -> Measurement:
    script = workdir / f"{spec.kind}.lua"
    script.write_text(wrk_script(spec, target))
    threads = options.concurrency  # one connection per thread: the cycle keeps its state per thread
    command = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(options.concurrency),
        "-d",
        f"{options.duration:g}s",
        "--timeout",
        "30s",
        "-s",
        str(script),
        f"http://{HOST}:{target.port}{spec.path}",
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{done.stdout}\n{done.stderr}")
    data = json.loads(line.removeprefix("BENCH "))
    cycles = data["cycles"] if spec.kind == "cycle" else None
    return Measurement(
        spec.name,
        data["requests"],
        data["duration_us"] / 1e6,
        data["p50_us"] / 1000,
        data["p99_us"] / 1000,
        data["errors"],
        cycles,
    )


def wrk_version() -> str:
    done = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    return (done.stdout or done.stderr).split("[")[0].strip() or "wrk"


# --- Python load generator ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """What one load-generator process runs: its clients' connections from `start` to `end` (time.time())."""

    kind: str
    port: int
    token: str
    path: str
    flight_paths: list[str]
    start: float
    end: float


@dataclass
class Sample:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    cycles: int = 0

    def merge(self, other: Sample) -> None:
        self.latencies.extend(other.latencies)
        self.errors += other.errors
        self.cycles += other.cycles


def timed(
    conn: http.client.HTTPConnection,
    method: str,
    path: str,
    headers: dict[str, str],
    sample: Sample,
    *,
    body: str | None = None,
) -> tuple[int, bytes]:
    began = time.perf_counter()
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    raw = response.read()
    sample.latencies.append(time.perf_counter() - began)
    return response.status, raw


def one_cycle(conn: http.client.HTTPConnection, base: str, headers: dict[str, str], sample: Sample) -> None:
    status, raw = timed(conn, "POST", base, headers, sample, body="")
    if status != 201:
        sample.errors += 1
        return
    path = f"{base}/{json.loads(raw)['id']}"
    status, _ = timed(conn, "PUT", path, headers, sample, body=UPDATE_BODY)
    sample.errors += status != 200
    status, _ = timed(conn, "DELETE", path, headers, sample)
    sample.errors += status != 204
    sample.cycles += status == 204


def client_loop(job: Job, flight_path: str | None, sample: Sample) -> None:
    headers = {"Authorization": f"Bearer {job.token}", "Content-Type": "application/json"}
    conn = http.client.HTTPConnection(HOST, job.port, timeout=30)
    time.sleep(max(0.0, job.start - time.time()))
    try:
        while time.time() < job.end:
            if flight_path is not None:
                one_cycle(conn, flight_path, headers, sample)
            else:
                status, _ = timed(conn, "GET", job.path, headers, sample)
                sample.errors += status != 200
    finally:
        conn.close()


def process_main(job: Job, clients: int) -> Sample:
    """One load-generator process: `clients` threads, each with its own keep-alive connection."""
    paths: list[str | None] = list(job.flight_paths) if job.kind == "cycle" else [None] * clients
    samples = [Sample() for _ in paths]
    pairs = zip(paths, samples, strict=True)
    threads = [threading.Thread(target=client_loop, args=(job, path, sample)) for path, sample in pairs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = Sample()
    for sample in samples:
        total.merge(sample)
    return total


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run_python(spec: Spec, target: Target, options: Options) -> Measurement:
    processes = max(1, min(options.concurrency, os.cpu_count() or 1))
    start = time.time() + 1.0  # let every process start before the clock runs
    end = start + options.duration
    shares = [list(range(options.concurrency))[i::processes] for i in range(processes)]
    with ProcessPoolExecutor(processes) as pool:
        futures = [
            pool.submit(
                process_main,
                Job(
                    spec.kind,
                    target.port,
                    target.token,
                    spec.path,
                    [target.flight_path(target.cycle_flights[i]) for i in share],
                    start,
                    end,
                ),
                len(share),
            )
            for share in shares
        ]
        total = Sample()
        for future in futures:
            total.merge(future.result())
    latencies = total.latencies
    return Measurement(
        spec.name,
        len(latencies),
        options.duration,
        percentile(latencies, 0.5) * 1000,
        percentile(latencies, 0.99) * 1000,
        total.errors,
        total.cycles if spec.kind == "cycle" else None,
    )


# --- one backend -------------------------------------------------------------------------------------------


CEILING = "GET /healthz"


def plan(target: Target, rounds: int) -> list[Spec]:
    """The measurements: interleaved rounds of the GETs (the /healthz ceiling first in each), then the cycle."""
    reads = [
        Spec("get", CEILING, "/healthz"),
        Spec("get", "GET flight submission", target.read_path),
        Spec("get", "GET submission status", target.status_path),
    ]
    return [*(reads * rounds), Spec("cycle", "create-update-delete", target.flight_path(target.cycle_flights[0]))]


def measure(spec: Spec, target: Target, options: Options, workdir: Path) -> Measurement:
    if options.loadgen == "wrk":
        return run_wrk(spec, target, options, workdir)
    return run_python(spec, target, options)


def warm_up(target: Target, options: Options, workdir: Path) -> None:
    """Unrecorded load first, so that connection pools and lazy imports are warm."""
    if options.warmup > 0:
        short = dataclasses.replace(options, duration=options.warmup)
        measure(Spec("get", "warm-up", target.read_path), target, short, workdir)


def run_backend(backend: str, options: Options) -> BackendResult:
    result = BackendResult(backend)
    with (
        tempfile.TemporaryDirectory(prefix=f"storeflight-bench-{backend}-") as tmp,
        backend_database(backend, options) as database_url,
    ):
        workdir = Path(tmp)
        store = store_options(workdir / "data", database_url)
        seeded = seed_admin(store)
        log_path = workdir / "server.log"
        with running_server(store, log_path, options.server_log_level) as port:
            target = seed(port, seeded, options.concurrency)
            warm_up(target, options, workdir)
            for spec in plan(target, options.rounds):
                print(f"  {backend}: {spec.name} ...", file=sys.stderr, flush=True)
                result.measurements.append(measure(spec, target, options, workdir))
        if options.keep_logs:
            print(f"--- {backend} server log ---\n{log_path.read_text()}", file=sys.stderr)
    return result


# --- report ------------------------------------------------------------------------------------------------


def describe_loadgen(options: Options) -> str:
    if options.loadgen == "wrk":
        return f"{wrk_version()}, {options.concurrency} threads x 1 keep-alive connection, Lua scripts"
    processes = max(1, min(options.concurrency, os.cpu_count() or 1))
    return f"Python http.client, {processes} processes, {options.concurrency} keep-alive connections in all"


def table(results: list[BackendResult]) -> str:
    head = ["backend", "measurement", "req/s", "cycles/s", "p50 ms", "p99 ms", "vs /healthz", "rounds", "errors"]
    rows = [head, ["---"] * len(head)]
    for result in results:
        ceiling = result.combined(CEILING).rps if result.measurements else 0.0
        for name in result.names():
            m = result.combined(name)
            ratio = f"{m.rps / ceiling:.2f}" if ceiling else "-"
            per_round = result.round_ratios(name) if name != CEILING and len(result.rounds(name)) > 1 else []
            spread = f"{min(per_round):.2f}-{max(per_round):.2f}" if per_round else ""
            cycles = f"{m.cycles_per_s:.0f}" if m.cycles_per_s is not None else ""
            rows.append(
                [
                    result.backend,
                    m.name,
                    f"{m.rps:.0f}",
                    cycles,
                    f"{m.p50_ms:.1f}",
                    f"{m.p99_ms:.1f}",
                    ratio,
                    spread,
                    str(m.errors),
                ]
            )
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = ("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |" for row in rows)
    return "\n".join(lines)


def report(results: list[BackendResult], options: Options) -> None:
    print(
        f"machine: {os.cpu_count()} CPUs shared by server and load generator, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )
    print(f"load generator: {describe_loadgen(options)}")
    print(
        f"{options.duration:g} s per measurement, {options.rounds} interleaved rounds of the GETs, "
        f"{options.concurrency} concurrent clients, server log level {options.server_log_level}; "
        "'vs /healthz' is req/s over the same server's /healthz req/s (all rounds; 'rounds': lowest-highest "
        "round), p50 and p99 are the worst round's"
    )
    print()
    print(table(results))


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    results = [run_backend(backend, options) for backend in options.backends]
    report(results, options)
    return 0


if __name__ == "__main__":
    sys.exit(main())
