"""The SQLite write lock: one holder at a time across open files (so across processes), and per process."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from storeflight.storage.write_lock import WriteLock


def test_a_second_holder_on_the_same_database_waits_until_the_first_lets_go(tmp_path: Path) -> None:
    first, second = WriteLock(tmp_path / "db"), WriteLock(tmp_path / "db")  # two open files, as two processes
    order: list[str] = []
    with first.held():
        waiter = threading.Thread(target=lambda: _hold(second, order))
        waiter.start()
        waiter.join(0.3)
        assert waiter.is_alive() and order == []  # still waiting in flock
        order.append("first done")
    waiter.join(5)
    assert order == ["first done", "second"]
    assert (tmp_path / "db.write-lock").stat().st_mode & 0o077 == 0
    first.close()
    second.close()


def test_without_a_file_the_lock_still_queues_this_process() -> None:
    lock = WriteLock(None)
    order: list[str] = []
    with lock.held():
        waiter = threading.Thread(target=lambda: _hold(lock, order))
        waiter.start()
        time.sleep(0.1)
        order.append("first done")
    waiter.join(5)
    assert order == ["first done", "second"]


def _hold(lock: WriteLock, order: list[str]) -> None:
    with lock.held():
        order.append("second")
