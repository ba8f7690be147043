"""Running a worker in the background of another process (the server's embedded pipeline)."""

from __future__ import annotations

import threading

from storeflight.pipeline.worker import Worker


class BackgroundWorker:
    """A worker on a daemon thread; `stop()` lets the current stage finish, then returns."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker
        self.thread = threading.Thread(target=worker.run_forever, name="storeflight-pipeline", daemon=True)

    def start(self) -> BackgroundWorker:
        self.thread.start()
        return self

    def wake(self) -> None:
        """Look for due work now (called after a commit in this process)."""
        self.worker.wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        self.worker.stop()
        self.thread.join(timeout)
