"""What webhooks cost and how delivery holds up: the outbox write on a rollout change, and a slow receiver.

1. Outbox: a rollout percentage change (the use case, in its own transaction, with its audit record), timed
   for a tenant without webhooks and for one with `--webhooks` webhooks that all want the event, alternating
   round by round. Prints the medians and their ratio.
2. A slow neighbour: `--events` events delivered by one worker to a fast receiver on 127.0.0.1, once with that
   webhook alone and once with another webhook of the same tenant whose receiver takes `--slow` seconds to
   answer every request, alternating, `--repeats` times each. Prints the median time until the fast receiver
   has them all, and the ratio.

    .venv/bin/python bench/webhooks_bench.py --backends sqlite,postgres --rounds 100
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from delivery_seed import open_store
from http_bench import postgres_database

from storeflight.domain import dates
from storeflight.domain.models import PackageRollout, RolloutStatus
from storeflight.domain.rollout import RolloutAction
from storeflight.services import admin, rollout
from storeflight.services.context import Caller, Context
from storeflight.services.submissions import Parent
from storeflight.storage.sql import SqlStore
from storeflight.webhooks import service
from storeflight.webhooks.worker import WebhookWorker, WebhookWorkerSettings


def _tenant(store: SqlStore, hooks: list[str]) -> tuple[Context, str, str]:
    """A tenant whose app's published submission is mid-rollout, with a webhook per URL: (ctx, app, sub)."""
    tenant = str(uuid.uuid4())
    ctx = Context(caller=Caller(tenant, "bench"))
    with store.transaction(write=True) as tx:
        app = admin.create_app(tx, tenant_id=tenant, name="W", identity_name="W.App", publisher="CN=W", now=ctx.now)
        sub = tx.last_published(f"app:{app.id}")
        assert sub is not None
        state = PackageRollout(is_package_rollout=True, percentage=10.0, status=RolloutStatus.IN_PROGRESS)
        tx.save_submission(sub.model_copy(update={"delivery": sub.delivery.model_copy(update={"rollout": state})}))
        for url in hooks:
            service.create(tx, ctx, service.spec(url, None, None, True))
    return ctx, app.id, sub.id


def _change(store: SqlStore, ctx: Context, app_id: str, sub_id: str, pct: float) -> float:
    began = time.perf_counter()
    with store.transaction(write=True) as tx:
        rollout.change(tx, ctx, Parent(app_id), sub_id, RolloutAction.UPDATE, pct)
    return time.perf_counter() - began


def outbox(backend: str, store: SqlStore, args: argparse.Namespace) -> str:
    off = _tenant(store, [])
    on = _tenant(store, [f"http://127.0.0.1:9/{i}" for i in range(args.webhooks)])  # never delivered here
    times: dict[str, list[float]] = {"off": [], "on": []}
    for round_ in range(args.rounds):
        pct = 20.0 + round_ % 50
        times["off"].append(_change(store, *off, pct))
        times["on"].append(_change(store, *on, pct))
    a, b = (statistics.median(times[k]) * 1000 for k in ("off", "on"))
    return f"| {backend} | rollout change, {args.webhooks} webhooks | {a:.2f} | {b:.2f} | **{b / a:.2f}** |"


class _Receiver:
    def __init__(self, delay: float) -> None:
        self.count = 0
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                time.sleep(delay)
                with outer.lock:
                    outer.count += 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@contextmanager
def _receivers(slow: float) -> Iterator[tuple[_Receiver, _Receiver]]:
    fast, slowly = _Receiver(0.0), _Receiver(slow)
    try:
        yield fast, slowly
    finally:
        for r in (fast, slowly):
            r.server.shutdown()
            r.server.server_close()


def _deliver(store: SqlStore, args: argparse.Namespace, with_slow: bool) -> float:
    """Seconds until the fast receiver has every event."""
    with _receivers(args.slow) as (fast, slow):
        ctx, app_id, sub_id = _tenant(store, [fast.url, *([slow.url] if with_slow else [])])
        for i in range(args.events):
            _change(store, ctx, app_id, sub_id, 20.0 + i % 50)
        worker = WebhookWorker(store, WebhookWorkerSettings(idle=0.01))
        began = time.perf_counter()
        worker.start()
        while fast.count < args.events:
            time.sleep(0.005)
        took = time.perf_counter() - began
        worker.stop(timeout=args.slow * 2 + 5)
    return took


def neighbour(backend: str, store: SqlStore, args: argparse.Namespace) -> str:
    _deliver(store, args, with_slow=False)  # warm: connections, the server key
    times: dict[bool, list[float]] = {False: [], True: []}
    for _ in range(args.repeats):
        for with_slow in (False, True):
            times[with_slow].append(_deliver(store, args, with_slow))
    alone, beside = statistics.median(times[False]), statistics.median(times[True])
    what = f"{args.events} events, fast receiver, beside one answering in {args.slow:g} s"
    return f"| {backend} | {what} | {alone * 1000:.0f} | {beside * 1000:.0f} | **{beside / alone:.2f}** |"


def run_backend(backend: str, url: str, args: argparse.Namespace) -> list[str]:
    store = open_store(url)
    rows = [outbox(backend, store, args), neighbour(backend, store, args)]
    for row in rows:
        print(row, flush=True)
    store.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--backends", default="sqlite", help="Comma-separated: sqlite,postgres.")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--webhooks", type=int, default=3)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--slow", type=float, default=1.0)
    parser.add_argument("--repeats", type=int, default=3, help="Delivery runs of each kind (medians).")
    args = parser.parse_args()
    print(f"Python {platform.python_version()}, {platform.system()} {platform.release()}; {args.rounds} rounds; "
          f"{dates.utcnow():%Y-%m-%d}", flush=True)
    table = ["| backend | what | without ms (median) | with ms (median) | with / without |",
             "| --- | --- | --- | --- | --- |"]
    with tempfile.TemporaryDirectory(prefix="webhooks-bench-") as tmp:
        for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
            if backend == "postgres":
                with postgres_database(args.postgres_url) as url:
                    table += run_backend(backend, url, args)
            else:
                table += run_backend(backend, f"sqlite:///{Path(tmp) / 'webhooks.db'}", args)
    print("\n".join(table))


if __name__ == "__main__":
    main()
