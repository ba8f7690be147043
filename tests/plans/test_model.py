"""Plan validation: rising steps, holds with the right fields, guards that make sense; camelCase JSON."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from storeflight.plans.model import Guard, Plan, Step


def test_a_plan_reads_and_writes_camel_case() -> None:
    plan = Plan.model_validate(
        {
            "steps": [{"percentage": 5, "hold": "duration", "seconds": 60}, {"percentage": 50, "hold": "guard"}],
            "guard": {"minSample": 500, "thresholds": [{"metric": "crashRate", "maxRate": 0.02}]},
        }
    )
    assert plan.guard is not None and plan.guard.min_sample == 500
    dumped = plan.model_dump(mode="json", by_alias=True)
    assert dumped["guard"]["thresholds"] == [{"metric": "crashRate", "maxRate": 0.02}]
    assert Plan.model_validate(dumped) == plan


@pytest.mark.parametrize(
    "body",
    [
        {"steps": []},
        {"steps": [{"percentage": 50, "seconds": 1}, {"percentage": 10, "seconds": 1}]},
        {"steps": [{"percentage": 10, "hold": "duration"}]},
        {"steps": [{"percentage": 10, "hold": "approval", "seconds": 5}]},
        {"steps": [{"percentage": 10, "hold": "guard"}]},
        {"steps": [{"percentage": 0, "seconds": 1}]},
        {"steps": [{"percentage": 10, "seconds": 1}], "guard": {"margin": 0.2, "tolerance": 0.3}},
        {"steps": [{"percentage": 10, "seconds": 1}], "guard": {"metrics": [], "thresholds": []}},
        {"steps": [{"percentage": 10, "seconds": 1}], "extra": 1},
    ],
)
def test_bad_plans_are_refused(body: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Plan.model_validate(body)


def test_defaults_are_the_documented_ones() -> None:
    guard = Guard()
    assert guard.alpha == 0.05 and guard.margin == 0.5 and guard.tolerance == 0
    assert [t.max_rate for t in guard.thresholds] == [0.0109]
    assert Step(percentage=10, seconds=0).hold == "duration"
