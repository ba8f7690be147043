"""Running a worker in the background of another process (the server's embedded pipeline), in several slots."""

from __future__ import annotations

import threading

from storeflight.pipeline.worker import Worker


class BackgroundWorker:
    """Worker slots on daemon threads; `stop()` lets the current stages finish, then returns.

    Each slot is a worker of its own (its own lease owner name), so one long stage holds one slot only;
    `claim_next` hands a free slot to a tenant with no stage running before another stage of a busy tenant.
    """

    def __init__(self, worker: Worker, slots: int = 1) -> None:
        if slots < 1:
            raise ValueError("a pipeline needs at least one worker slot")
        self.worker = worker
        self.workers = [worker, *(worker.sibling(index) for index in range(2, slots + 1))]
        self.threads = [
            threading.Thread(target=slot.run_forever, name=f"storeflight-pipeline-{index}", daemon=True)
            for index, slot in enumerate(self.workers, start=1)
        ]

    def start(self) -> BackgroundWorker:
        for thread in self.threads:
            thread.start()
        return self

    def wake(self) -> None:
        """Look for due work now (called after a commit in this process)."""
        for slot in self.workers:
            slot.wake.set()

    def stop(self, timeout: float | None = 30.0) -> None:
        for slot in self.workers:
            slot.stop()
        for thread in self.threads:
            thread.join(timeout)
