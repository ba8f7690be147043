"""SQLite writers in several processes: queued on a file lock vs left to SQLite's busy handler.

Run: .venv/bin/python bench/sqlite_writers_bench.py [--processes 2] [--threads 4] [--writes 300] [--rounds 3]
Each process (spawned, like `serve --workers`) runs --threads threads, each doing --writes small write
transactions (read a setting, write it) on one SQLite database in WAL mode with BEGIN IMMEDIATE and a 10 s
busy timeout. Mode "flock": every write transaction holds storeflight's WriteLock (thread lock, then an
exclusive flock beside the database). Mode "busy": the thread lock only, so writers of different processes
meet in SQLite's busy handler. Rounds interleave the two modes; printed: writes/s and per-write latency
p50/p99/max (including the wait for the lock), and the flock/busy ratios.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from storeflight.storage.engine import make_engine
from storeflight.storage.migrate import migrate
from storeflight.storage.sql import SqlStore
from storeflight.storage.write_lock import WriteLock


def _writer(url: str, mode: str, threads: int, writes: int, start_at: float, out: multiprocessing.Queue) -> None:
    store = SqlStore(make_engine(url))
    if mode == "busy":
        store._write_lock = WriteLock(None)
    latencies: list[float] = []
    lock = threading.Lock()

    def run(index: int) -> None:
        key = f"bench-{multiprocessing.current_process().pid}-{index}"
        mine: list[float] = []
        for n in range(writes):
            began = time.perf_counter()
            with store.transaction(write=True) as tx:
                tx.get_setting(key)
                tx.set_setting(key, str(n))
            mine.append(time.perf_counter() - began)
        with lock:
            latencies.extend(mine)

    pool = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    time.sleep(max(0.0, start_at - time.time()))
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    store.close()
    out.put(latencies)


def one_round(url: str, mode: str, args: argparse.Namespace) -> tuple[float, list[float]]:
    context = multiprocessing.get_context("spawn")
    out: multiprocessing.Queue = context.Queue()
    start_at = time.time() + 1.5  # every process imported and connected before the first write
    workers = [
        context.Process(target=_writer, args=(url, mode, args.threads, args.writes, start_at, out))
        for _ in range(args.processes)
    ]
    for worker in workers:
        worker.start()
    latencies: list[float] = []
    for _ in workers:
        latencies.extend(out.get())
    elapsed = time.time() - start_at
    for worker in workers:
        worker.join()
    return len(latencies) / elapsed, latencies


def quantile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000)[round(q * 1000) - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--writes", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        engine = make_engine(url)
        migrate(engine)
        engine.dispose()
        print(
            f"{args.processes} processes x {args.threads} threads x {args.writes} write transactions, "
            f"{args.rounds} interleaved rounds"
        )
        results: dict[str, list[tuple[float, list[float]]]] = {"flock": [], "busy": []}
        for number in range(args.rounds):
            for mode in ("flock", "busy") if number % 2 == 0 else ("busy", "flock"):
                rate, latencies = one_round(url, mode, args)
                results[mode].append((rate, latencies))
                print(
                    f"round {number + 1} {mode:5}: {rate:7.0f} writes/s  p50 {quantile(latencies, 0.5) * 1e3:6.2f} ms"
                    f"  p99 {quantile(latencies, 0.99) * 1e3:7.2f} ms  max {max(latencies) * 1e3:7.1f} ms"
                )
        summary = {}
        for mode, rounds in results.items():
            every = [x for _, lat in rounds for x in lat]
            summary[mode] = (statistics.median(r for r, _ in rounds), quantile(every, 0.99), max(every))
            rate, p99, worst = summary[mode]
            print(f"{mode:5} median {rate:7.0f} writes/s, p99 {p99 * 1e3:7.2f} ms, max {worst * 1e3:7.1f} ms")
        (fr, fp, fm), (br, bp, bm) = summary["flock"], summary["busy"]
        print(f"flock/busy: throughput {fr / br:.2f}x, p99 {fp / bp:.2f}x, max {fm / bm:.2f}x")


if __name__ == "__main__":
    main()
