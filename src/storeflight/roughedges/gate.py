"""The profile at work: which API calls are refused, and how long each pipeline stage takes."""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

from storeflight.domain.errors import Throttled, Unavailable
from storeflight.roughedges.draw import Streams
from storeflight.roughedges.profile import RoughProfile, scaled
from storeflight.roughedges.throttle import Throttle

log = logging.getLogger("storeflight.roughedges")


class RoughEdges:
    """One per process. `check` is called for every API request; the delays by the commit and the pipeline.

    `counts` tells how often each edge showed: "429", "503", "stuck" (logged at INFO as well).
    """

    def __init__(self, profile: RoughProfile, clock: Callable[[], float] = time.monotonic) -> None:
        self.profile = profile
        self.clock = clock
        self.streams = Streams(profile.seed)
        rules = profile.throttle.buckets()
        self.throttle = Throttle(rules) if rules else None
        retry_after = profile.unavailable.retry_after
        self._retry_after_503 = math.ceil(retry_after) if retry_after > 0 else None
        self.counts: Counter[str] = Counter()

    def check(self, tenant: str, operation: str) -> None:
        """Throttled (429) past the tenant's rate, then Unavailable (503) at the profile's rate; else nothing."""
        if self.throttle is not None:
            wait = self.throttle.admit(tenant, operation, self.clock())
            if wait:
                self._note("429", "429 for tenant %s (%s), retry after %d s", tenant, operation, wait)
                raise Throttled(wait)
        rate = self.profile.unavailable.rate
        if rate > 0 and self.streams.uniform(tenant, "unavailable") < rate:
            self._note("503", "503 for tenant %s (%s)", tenant, operation)
            raise Unavailable(self._retry_after_503)

    def commit_delay(self, tenant: str) -> timedelta | None:
        """How long a new commit stays in CommitStarted (stuck ones much longer); None: no rule, at once."""
        stuck = self.profile.stuck
        if stuck.share > 0 and self.streams.uniform(tenant, "stuck") < stuck.share:
            hold = scaled(stuck.duration, self.profile.stages.scale)
            self._note("stuck", "a commit of tenant %s stays in CommitStarted for %.1f s", tenant, hold)
            return timedelta(seconds=hold)
        return self.stage_delay(tenant, "CommitStarted")

    def stage_delay(self, tenant: str, status: str) -> timedelta | None:
        """How long a submission entering `status` stays there; None when the profile has no rule for it."""
        distribution = self.profile.stages.of(status)
        if distribution is None:
            return None
        drawn = self.streams.seconds(distribution, tenant, "stage", status)
        return timedelta(seconds=scaled(drawn, self.profile.stages.scale))

    def _note(self, edge: str, message: str, *args: object) -> None:
        self.counts[edge] += 1
        log.info("rough edges: " + message, *args)
