"""The supervisor: starts the worker processes on the bound sockets, replaces one that dies, stops them all.

SIGTERM or SIGINT stops every worker gracefully (each finishes its requests, as a single server does) and
returns 0; a worker that could not start at all (its exit code STARTUP_FAILURE) stops the others and returns 1,
since its replacement would fail the same way. SIGUSR1 from a worker, sent after a commit, calls `on_wake`.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import threading
from collections.abc import Callable
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess

from storeflight.ops import exporter
from storeflight.workers import child
from storeflight.workers.spec import STARTUP_FAILURE, WorkerSpec

log = logging.getLogger("storeflight.workers")
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Supervisor:
    def __init__(
        self, spec: WorkerSpec, sockets: list[socket.socket], count: int, on_wake: Callable[[], None] = lambda: None
    ) -> None:
        self.spec, self.sockets, self.count, self.on_wake = spec, sockets, count, on_wake
        self.context = multiprocessing.get_context("spawn")  # a fresh interpreter: no threads or connections forked
        self.workers: list[BaseProcess] = []
        self.stopping = threading.Event()
        self.failed = False

    def run(self) -> int:
        """Serve until a stop signal (0) or a worker that cannot start (1)."""
        for number in STOP_SIGNALS:
            signal.signal(number, lambda *_: self.stopping.set())
        signal.signal(signal.SIGUSR1, lambda *_: self.on_wake())
        try:
            self.workers = [self._start() for _ in range(self.count)]
            log.info("started %d worker processes %s", self.count, [w.pid for w in self.workers])
            while not self.stopping.is_set():
                wait([w.sentinel for w in self.workers], timeout=0.5)
                self._replace_the_dead()
        finally:
            self._stop_all()
        return 1 if self.failed else 0

    def _start(self) -> BaseProcess:
        worker = self.context.Process(target=child.run, args=(self.spec, self.sockets), name="storeflight-http")
        worker.start()
        return worker

    def _replace_the_dead(self) -> None:
        for index, worker in enumerate(self.workers):
            if worker.is_alive() or self.stopping.is_set():
                continue
            worker.join()
            exporter.process_gone(worker.pid or 0)
            if worker.exitcode == STARTUP_FAILURE:
                log.error("worker %d could not start: stopping", worker.pid)
                self.failed = True
                self.stopping.set()
                return
            log.warning("worker %d exited (code %s): starting another", worker.pid, worker.exitcode)
            self.workers[index] = self._start()

    def _stop_all(self) -> None:
        for worker in self.workers:
            if worker.is_alive() and worker.pid is not None:
                worker.terminate()  # SIGTERM: uvicorn's graceful shutdown
        grace = float(self.spec.options.get("timeout_graceful_shutdown") or 10) + 5
        for worker in self.workers:
            worker.join(grace)
            if worker.is_alive():
                log.warning("worker %d did not stop in %.0f s: killing it", worker.pid, grace)
                worker.kill()
                worker.join()
            exporter.process_gone(worker.pid or 0)
