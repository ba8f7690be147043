"""Which statuses end a wait, per publish mode and goal."""

from __future__ import annotations

import pytest

from storeflight.client import FINAL_STATES, SubmissionFailed, SubmissionStatus, WaitTimeout
from storeflight.client.wait import Watch, is_final

PIPELINE = ["CommitStarted", "PreProcessing", "Certification", "Release", "PendingPublication", "Publishing"]


@pytest.mark.parametrize("mode", ["Immediate", "Manual", "SpecificDate", "SomethingNew"])
def test_published_is_final_for_every_mode_and_goal(mode: str) -> None:
    assert is_final("Published", mode, "published")
    assert is_final("Published", mode, "certified")


def test_only_manual_submissions_stop_at_release_when_waiting_for_published() -> None:
    assert is_final("Release", "Manual", "published")
    assert not is_final("Release", "Manual", "published", stop_when_resting=False)
    assert not is_final("Release", "Immediate", "published")
    assert not is_final("Release", "SpecificDate", "published")  # it moves on by itself at its date
    assert not is_final("PendingPublication", "Manual", "published")


@pytest.mark.parametrize("mode", ["Immediate", "Manual", "SpecificDate"])
def test_certified_means_release_or_later(mode: str) -> None:
    assert [s for s in PIPELINE if is_final(s, mode, "certified")] == ["Release", "PendingPublication", "Publishing"]
    assert FINAL_STATES["certified"][mode] >= {"Release", "Published"}


@pytest.mark.parametrize(
    "status",
    ["CommitFailed", "PreProcessingFailed", "CertificationFailed", "PublishFailed", "Canceled", "PendingCommit"],
)
def test_failed_and_unmoving_statuses_raise(status: str) -> None:
    watch = Watch("Immediate", "published", deadline=100.0)
    with pytest.raises(SubmissionFailed) as caught:
        watch.done(SubmissionStatus(status=status))
    assert caught.value.status_obj.status == status and caught.value.code == status


def test_a_watch_reports_changes_only_and_times_out_with_the_last_status() -> None:
    watch = Watch("Immediate", "published", deadline=100.0)
    changes = [watch.changed(SubmissionStatus(status=s)) for s in ["CommitStarted", "CommitStarted", "PreProcessing"]]
    assert changes == [True, False, True] and watch.seen == ["CommitStarted", "PreProcessing"]
    assert watch.next_sleep(now=40.0, poll_interval=30.0) == 0.25  # just changed: look again soon
    for _ in range(8):
        watch.changed(SubmissionStatus(status="PreProcessing"))
    assert watch.next_sleep(now=40.0, poll_interval=30.0) == 30.0  # 0.25 doubled 8 times, capped
    assert watch.next_sleep(now=90.0, poll_interval=30.0) == 10.0  # never sleeps past the deadline
    with pytest.raises(WaitTimeout) as caught:
        watch.next_sleep(now=100.0, poll_interval=30.0)
    assert caught.value.last_status is not None and caught.value.last_status.status == "PreProcessing"


def test_pauses_start_short_after_each_change_and_double_up_to_the_interval() -> None:
    watch = Watch("Immediate", "published", deadline=1000.0)
    pauses = []
    for status in ["CommitStarted"] * 4 + ["PreProcessing"] * 3:
        watch.changed(SubmissionStatus(status=status))
        pauses.append(watch.next_sleep(now=0.0, poll_interval=1.0))
    assert pauses == [0.25, 0.5, 1.0, 1.0, 0.25, 0.5, 1.0]
