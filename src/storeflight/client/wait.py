"""Which submission statuses end a wait. Pure: the clients poll, this module decides.

A wait ends well when the status is final for the publish mode and the goal (`until`):

- `until="certified"`: certification passed, i.e. `Release` or any later status.
- `until="published"`: `Published`; and, for `Manual` submissions, also `Release`, where they rest until
  someone publishes them (Partner Center's button, or storeflight's `publish` extension). The submission
  would not move on its own, so waiting longer could only time out. The clients do wait on past `Release`
  after they published the submission themselves (`publish_submission`), or when told to with
  `stop_when_resting=False`.
- `SpecificDate` submissions also rest in `Release`, but only until their date: they move on without anyone
  acting, so for `until="published"` the wait goes on (give it a long enough timeout, or wait
  `until="certified"`).
- `PendingPublication` is not a resting state: storeflight and the service pass through it on their own.

A wait ends badly (SubmissionFailed) on any `...Failed` status, on `Canceled`, and on `PendingCommit`: the
submission was never committed, or the service aborted the commit (StoreBroker treats that fall-back the same
way); neither moves without the user.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from storeflight.client.errors import SubmissionFailed, WaitTimeout
from storeflight.client.models import SubmissionStatus

Until = Literal["published", "certified"]
MODES = ("Immediate", "Manual", "SpecificDate")
CERTIFIED = frozenset({"Release", "PendingPublication", "Publishing", "Published"})
FAILED = frozenset(
    {"CommitFailed", "PreProcessingFailed", "CertificationFailed", "ReleaseFailed", "PublishFailed", "Canceled"}
)
NOT_COMMITTED = "PendingCommit"
# until -> targetPublishMode -> statuses that end the wait successfully (when resting counts as final)
FINAL_STATES: Mapping[str, Mapping[str, frozenset[str]]] = {
    "published": {
        "Immediate": frozenset({"Published"}),
        "Manual": frozenset({"Published", "Release"}),
        "SpecificDate": frozenset({"Published"}),
    },
    "certified": dict.fromkeys(MODES, CERTIFIED),
}
RESTING = frozenset({"Release"})
FIRST_POLL = 0.25  # seconds: the first pause after a status change


def is_final(status: str, mode: str, until: Until, *, stop_when_resting: bool = True) -> bool:
    """True when a wait for `until` ends well at `status` for a submission in publish `mode`."""
    finals = FINAL_STATES[until].get(mode, FINAL_STATES[until]["Immediate"])
    if until == "published" and not stop_when_resting:
        finals = finals - RESTING
    return status in finals


def is_failed(status: str) -> bool:
    return status in FAILED or status.endswith("Failed") or status == NOT_COMMITTED


@dataclass
class Watch:
    """The state of one wait: the deadline, the last status, and the decision after each poll."""

    mode: str
    until: Until
    deadline: float
    stop_when_resting: bool = True
    last: SubmissionStatus | None = None
    seen: list[str] = field(default_factory=list)
    unchanged_polls: int = 0

    def changed(self, status: SubmissionStatus) -> bool:
        """Record a polled status; True when it differs from the previous one (or is the first)."""
        is_new = self.last is None or self.last.status != status.status
        self.last = status
        if is_new:
            self.seen.append(status.status)
            self.unchanged_polls = 0
        else:
            self.unchanged_polls += 1
        return is_new

    def done(self, status: SubmissionStatus) -> bool:
        """True when the wait ends well; SubmissionFailed when it ends badly."""
        if is_failed(status.status):
            raise SubmissionFailed(_failure_message(status), status)
        return is_final(status.status, self.mode, self.until, stop_when_resting=self.stop_when_resting)

    def next_sleep(self, now: float, poll_interval: float) -> float:
        """How long to sleep before the next poll; WaitTimeout when the deadline has passed.

        After each change the pauses start short and double up to `poll_interval`, so a stage that takes no
        time costs no fixed wait, and a long one is polled no more often than asked."""
        remaining = self.deadline - now
        if remaining <= 0:
            last = self.last.status if self.last else "no status"
            raise WaitTimeout(f"gave up waiting for the submission to be {self.until} (last status: {last})", self.last)
        return min(poll_interval, FIRST_POLL * 2.0**self.unchanged_polls, remaining)


def _failure_message(status: SubmissionStatus) -> str:
    if status.status == NOT_COMMITTED:
        return "the submission is PendingCommit: it was not committed, or the service aborted the commit"
    errors = "; ".join(f"{e.code}: {e.details}" for e in status.status_details.errors)
    return f"the submission ended in {status.status}" + (f" ({errors})" if errors else "")
