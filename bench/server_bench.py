"""The HTTP server alone: uvicorn (httptools, uvloop) against granian, under the same wrk load, same run.

Is the HTTP server what limits storeflight's delivery rate? Both servers run the same two applications in
one process each: a bare ASGI callable answering a fixed 600-byte JSON body (the server's own ceiling), and
a Starlette app with one plain route answering the same body (what routing and the request/response objects
add). wrk (2 threads, 16 keep-alive connections) measures each in interleaved rounds whose order alternates.
granian is not a storeflight dependency: install it in the environment to include it
(`.venv/bin/pip install granian`); without it only uvicorn is measured.

    .venv/bin/python bench/server_bench.py --duration 5 --rounds 3
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from http_bench import free_port

BODY = b'{"ok":' + b'"' + b"x" * 590 + b'"}'
APPS = """
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

BODY = BODY_LITERAL
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]


async def bare(scope, receive, send):
    if scope["type"] != "http":
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                await send({"type": message["type"] + ".complete"})
                if message["type"] == "lifespan.shutdown":
                    return
        return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})


async def answer(request):
    return Response(BODY, media_type="application/json")


routed = Starlette(routes=[Route("/answer", answer)])
""".replace("BODY_LITERAL", repr(BODY))


def command(server: str, app: str, port: int) -> list[str]:
    target = f"bench_apps:{app}"
    if server == "uvicorn":
        return [
            sys.executable,
            "-m",
            "uvicorn",
            target,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--log-level",
            "warning",
            "--no-access-log",
        ]
    return granian_command(target, port)


def granian_command(target: str, port: int, *extra: str) -> list[str]:
    """granian serving the ASGI `target` in one process with uvloop, quietly (balrog_bench.py uses it too)."""
    options = ["--interface", "asgi", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    return [
        sys.executable,
        "-m",
        "granian",
        *options,
        "--loop",
        "uvloop",
        "--log-level",
        "warning",
        "--no-ws",
        *extra,
        target,
    ]


@contextlib.contextmanager
def running(server: str, app: str, workdir: Path) -> Iterator[int]:
    port = free_port()
    process = subprocess.Popen(
        command(server, app, port), cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            time.sleep(0.1)
        else:
            raise SystemExit(f"{server} did not start")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def wrk(port: int, duration: float) -> float:
    out = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{max(1, round(duration))}s", f"http://127.0.0.1:{port}/answer"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if match is None:
        raise SystemExit(out)
    return float(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    servers = ["uvicorn"] + (["granian"] if importlib.util.find_spec("granian") else [])
    results: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        (workdir / "bench_apps.py").write_text(APPS)
        for r in range(args.rounds):
            order = servers if r % 2 == 0 else servers[::-1]
            for app in ("bare", "routed"):
                for server in order:
                    with running(server, app, workdir) as port:
                        wrk(port, 1)  # warm up
                        results.setdefault((server, app), []).append(wrk(port, args.duration))
    print("| server | app | req/s per round | mean | vs uvicorn |")
    print("| --- | --- | --- | --- | --- |")
    for (server, app), rates in results.items():
        mean = sum(rates) / len(rates)
        base = sum(results[("uvicorn", app)]) / len(rates)
        rounds = ", ".join(f"{x:,.0f}" for x in rates)
        print(f"| {server} | {app} | {rounds} | {mean:,.0f} | {mean / base:.2f} |")


if __name__ == "__main__":
    main()
