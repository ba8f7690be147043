"""The profile at work, without a server: 429 then 503 decisions, commit holds and scaled stage times."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storeflight.domain.errors import Throttled, Unavailable
from storeflight.roughedges.gate import RoughEdges
from storeflight.roughedges.profile import parse


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def outcomes(edges: RoughEdges, count: int) -> list[str]:
    seen = []
    for _ in range(count):
        try:
            edges.check("tenant", "read")
            seen.append("ok")
        except Throttled as error:
            seen.append(f"429:{error.retry_after}")
        except Unavailable:
            seen.append("503")
    return seen


def test_throttling_answers_with_the_stores_message() -> None:
    edges = RoughEdges(parse({"throttle": {"requests_per_minute": 20}}), clock=Clock())
    assert outcomes(edges, 21) == ["ok"] * 20 + ["429:3"]
    with pytest.raises(Throttled) as raised:
        edges.check("tenant", "read")
    assert raised.value.message == "Rate limit is exceeded. Try again in 3 seconds."


def test_503s_come_at_the_chosen_rate_and_repeat_with_the_seed() -> None:
    profile = parse({"seed": 3, "unavailable": {"rate": 0.3, "retry_after": 2.5}})
    first = outcomes(RoughEdges(profile), 400)
    assert first == outcomes(RoughEdges(profile), 400)
    assert first != outcomes(RoughEdges(profile.with_flags(seed=4)), 400)
    assert 80 < first.count("503") < 160
    edges = RoughEdges(profile)
    with pytest.raises(Unavailable) as raised:
        for _ in range(100):
            edges.check("tenant", "read")
    assert raised.value.retry_after == 3


def test_a_share_of_commits_is_stuck_and_stage_times_are_scaled() -> None:
    profile = parse(
        {
            "seed": 8,
            "stages": {"scale": 0.01, "Certification": {"distribution": "fixed", "value": "1h"}},
            "stuck": {"share": 0.25, "duration": "2h"},
        }
    )
    edges = RoughEdges(profile)
    holds = [edges.commit_delay("tenant") for _ in range(400)]
    stuck = [h for h in holds if h is not None]
    assert set(stuck) == {timedelta(seconds=72)}
    assert 60 < len(stuck) < 140  # about a quarter; the others have no CommitStarted rule
    assert edges.stage_delay("tenant", "Certification") == timedelta(seconds=36)
    assert edges.stage_delay("tenant", "PreProcessing") is None
    again = RoughEdges(profile)
    assert [again.commit_delay("tenant") for _ in range(400)] == holds
