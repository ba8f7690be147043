"""The hot paths' counts, kept in the process and added to the metrics once a second.

A request costs a dictionary update under an uncontended lock (about a microsecond) instead of three writes to
the multiprocess files (counter, histogram sum, histogram bucket: several microseconds, measured). `flush`
moves what was counted into the metrics; a background thread calls it every `every` seconds, and the process
calls it once more before it exits, so /metrics lags the truth by at most about a second.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Callable
from typing import Any

from prometheus_client import Counter, Histogram

Key = tuple[str, ...]


class Tally:
    def __init__(self, requests: Counter, latency: Histogram, decisions: Counter, every: float = 1.0) -> None:
        self.requests, self.latency, self.decisions, self.every = requests, latency, decisions, every
        self._bounds: list[float] = list(latency._upper_bounds)  # the last is +Inf: every value has a bucket
        self._lock = threading.Lock()
        self._counts: dict[Key, int] = {}  # (route, method, status) -> requests
        self._times: dict[Key, list[float]] = {}  # (route, method) -> [sum of seconds, count per bucket...]
        self._decided: dict[Key, int] = {}  # (reason, source) -> decisions
        self._stop = threading.Event()
        self._children: dict[Key, Any] = {}  # (metric tag, *labels) -> the label child, bound once

    def request(self, route: str, method: str, status: str, seconds: float) -> None:
        bucket = bisect_left(self._bounds, seconds) + 1
        with self._lock:
            key = (route, method, status)
            self._counts[key] = self._counts.get(key, 0) + 1
            times = self._times.get(key[:2])
            if times is None:
                times = self._times[key[:2]] = [0.0] * (len(self._bounds) + 1)
            times[0] += seconds
            times[bucket] += 1

    def decided(self, reason: str, source: str) -> None:
        with self._lock:
            self._decided[(reason, source)] = self._decided.get((reason, source), 0) + 1

    def flush(self) -> None:
        """Add what was counted since the last flush to the metrics."""
        with self._lock:
            counts, times, decided = self._counts, self._times, self._decided
            self._counts, self._times, self._decided = {}, {}, {}
        for key, count in counts.items():
            self._child("r", self.requests.labels, key).inc(count)
        for key, (total, *buckets) in times.items():
            child = self._child("l", self.latency.labels, key)
            child._sum.inc(total)  # prometheus-client has no bulk observe; its histogram is a sum and buckets
            for index, observed in enumerate(buckets):
                if observed:
                    child._buckets[index].inc(observed)
        for key, count in decided.items():
            self._child("d", self.decisions.labels, key).inc(count)

    def _child(self, tag: str, labels: Callable[..., Any], key: Key) -> Any:
        found = self._children.get((tag, *key))
        if found is None:
            found = self._children[(tag, *key)] = labels(*key)
        return found

    def start(self) -> Tally:
        threading.Thread(target=self._run, name="storeflight-metrics-flush", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.flush()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.flush()
