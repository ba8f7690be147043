"""A device counts in the cohort delivery places it in: inside the rollout, on the fallback, or all."""

from __future__ import annotations

from storeflight.delivery import FlightView, bucket, decide, threshold
from storeflight.delivery.model import Rollout
from storeflight.telemetry.cohort import NON_FLIGHTED, Cohort, Placement, place, submission_of
from tests.delivery import builders as b

CUSTOMERS = [f"device-{i}@example.com" for i in range(2000)]


def _rollout_app(percentage: float, status: str = Rollout.IN_PROGRESS) -> object:
    old = b.submission("100", "1.0.0.0")
    new = b.submission("200", "2.0.0.0", rollout=status, percentage=percentage, fallback="100")
    return b.app(new, extra=(old,))


def test_cohorts_follow_the_delivery_decision_exactly() -> None:
    app = _rollout_app(25.0)
    inside = 0
    for customer in CUSTOMERS:
        placement = place(app, customer, ())  # type: ignore[arg-type]
        decision = decide(app, b.device(customer), ())  # type: ignore[arg-type]
        expected = Cohort.ROLLOUT if decision.submission_id == "200" else Cohort.FALLBACK
        assert placement == Placement(NON_FLIGHTED, "200", expected)
        inside += expected is Cohort.ROLLOUT
    assert 400 < inside < 600  # about a quarter of 2,000


def test_a_halted_rollout_keeps_its_cohorts_apart_by_bucket() -> None:
    app = _rollout_app(25.0, Rollout.STOPPED)
    for customer in CUSTOMERS[:300]:
        in_bucket = bucket(customer, "seed-200") < threshold(25.0)
        assert place(app, customer, ()).cohort is (Cohort.ROLLOUT if in_bucket else Cohort.FALLBACK)  # type: ignore[arg-type]


def test_no_rollout_in_progress_is_one_cohort() -> None:
    for status in (Rollout.COMPLETE,):
        assert place(_rollout_app(25.0, status), "c", ()).cohort is Cohort.ALL  # type: ignore[arg-type]
    assert place(b.app(b.submission("1", "1.0.0.0")), "c", ()) == Placement(NON_FLIGHTED, "1", Cohort.ALL)
    assert place(b.app(None), "c", ()) == Placement(NON_FLIGHTED, "", Cohort.ALL)


def test_flight_members_count_on_their_flight_line() -> None:
    flight_sub = b.submission("300", "3.0.0.0", rollout=Rollout.IN_PROGRESS, percentage=100.0, fallback="100")
    flight = FlightView("f-1", "beta", 1, frozenset({"g1"}), flight_sub)
    app = b.app(b.submission("100", "1.0.0.0"), flights=(flight,))
    assert place(app, "c", ("g1",)) == Placement("f-1", "300", Cohort.ROLLOUT)
    assert place(app, "c", ()) == Placement(NON_FLIGHTED, "100", Cohort.ALL)


def test_an_events_submission_is_found_by_its_version_or_its_name() -> None:
    app = _rollout_app(25.0)
    placement = Placement(NON_FLIGHTED, "200", Cohort.FALLBACK)
    assert submission_of(app, placement, "1.0.0.0", None) == "100"  # type: ignore[arg-type]
    assert submission_of(app, placement, "2.0.0.0", None) == "200"  # type: ignore[arg-type]
    assert submission_of(app, placement, "2.0.0.0", "100") == "100"  # type: ignore[arg-type]
    assert submission_of(app, placement, "2.0.0.0", "999") == "200"  # type: ignore[arg-type]
    assert submission_of(app, placement, "9.9.9.9", None) == ""  # type: ignore[arg-type]
