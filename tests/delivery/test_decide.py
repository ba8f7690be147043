"""Delivery decisions: ranking, rollout, halt, fallback, no downgrade, applicability, explanation."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from storeflight.delivery import (
    FlightView,
    PackageView,
    Reason,
    Rollout,
    Source,
    SubmissionView,
    bucket,
    decide,
    threshold,
)
from tests.delivery.builders import DESKTOP, app, device, package, submission

BASE = submission("s0", "1.0.0.0")
customers = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789@.", min_size=1, max_size=30)


def _flight(fid: str, rank: int, groups: set[str], latest: SubmissionView | None) -> FlightView:
    return FlightView(fid, f"flight {fid}", rank, frozenset(groups), latest)


def _ranked_app() -> tuple[SubmissionView, SubmissionView]:
    return submission("hi", "1.1.0.0"), submission("lo", "9.0.0.0")


@given(customers)
def test_highest_ranked_published_flight_wins_even_with_lower_version(customer: str) -> None:
    high, low = _ranked_app()
    flights = (_flight("f-low", 1, {"g1"}, low), _flight("f-high", 5, {"g2"}, high), _flight("f-top", 9, {"g2"}, None))
    decision = decide(app(BASE, flights), device(customer), frozenset({"g1", "g2"}))
    assert (decision.source, decision.flight_id, decision.submission_id) == (Source.FLIGHT, "f-high", "hi")
    assert [p.version for p in decision.packages] == ["1.1.0.0"]
    assert decision.explanation.flights == ("f-top", "f-high", "f-low")
    assert decision.explanation.chosen_flight == "f-high"
    assert any("f-top" in note for note in decision.explanation.notes)


@given(customers, st.sets(st.sampled_from(["x", "y", "z"])))
def test_customers_in_no_flight_group_get_non_flighted(customer: str, groups: set[str]) -> None:
    flights = (_flight("f", 1, {"g1"}, submission("fs", "2.0.0.0")),)
    decision = decide(app(BASE, flights), device(customer), frozenset(groups))
    assert (decision.source, decision.submission_id, decision.flight_id) == (Source.NON_FLIGHTED, "s0", None)
    assert decision.packages[0].version == "1.0.0.0"


@given(customers, st.floats(min_value=0, max_value=100))
def test_flight_members_never_get_non_flighted_packages(customer: str, percentage: float) -> None:
    flight_sub = submission("fs", "2.0.0.0", rollout=Rollout.IN_PROGRESS, percentage=percentage, fallback="0")
    xbox_only = SubmissionView("xb", (package("3.0.0.0", families=(("Windows.Xbox", "10.0.0.0"),)),))
    for sub in (flight_sub, xbox_only):
        decision = decide(app(BASE, (_flight("f", 1, {"g"}, sub),)), device(customer), frozenset({"g"}))
        assert decision.source == Source.FLIGHT
        assert decision.submission_id != BASE.id
        assert all(p.version != "1.0.0.0" for p in decision.packages)
    no_package = decide(app(BASE, (_flight("f", 1, {"g"}, xbox_only),)), device(customer), frozenset({"g"}))
    assert no_package.packages == () and no_package.reason == Reason.NO_FLIGHT_PACKAGE


def test_unpublished_flight_leaves_its_members_on_the_non_flighted_line() -> None:
    decision = decide(app(BASE, (_flight("f", 1, {"g"}, None),)), device(), frozenset({"g"}))
    assert decision.source == Source.NON_FLIGHTED and decision.submission_id == "s0"


def test_no_published_submission_is_a_clear_answer() -> None:
    decision = decide(app(None), device(), frozenset())
    assert (decision.source, decision.submission_id, decision.packages) == (Source.NONE, None, ())
    assert decision.reason == Reason.NOTHING_PUBLISHED


@settings(max_examples=200)
@given(customers, st.floats(min_value=0, max_value=100))
def test_rollout_inside_gets_new_outside_gets_fallback(customer: str, percentage: float) -> None:
    new = submission("s1", "1.1.0.0", rollout=Rollout.IN_PROGRESS, percentage=percentage, fallback="s0", seed="k")
    decision = decide(app(new, extra=(BASE,)), device(customer), frozenset())
    position, limit = bucket(customer, "k"), threshold(percentage)
    expected = ("s1", Reason.IN_ROLLOUT) if position < limit else ("s0", Reason.OUTSIDE_ROLLOUT)
    assert (decision.submission_id, decision.reason) == expected
    assert (decision.explanation.bucket, decision.explanation.threshold) == (position, limit)
    assert decision.explanation.in_rollout is (position < limit)


def test_outside_without_fallback_offers_nothing_newer() -> None:
    new = submission("s1", "1.1.0.0", rollout=Rollout.IN_PROGRESS, percentage=0.0)
    decision = decide(app(new), device(), frozenset())
    assert (decision.submission_id, decision.packages, decision.reason) == (None, (), Reason.NO_FALLBACK)


def test_finalized_and_rollout_off_give_everyone_the_latest() -> None:
    done = submission("s1", "1.1.0.0", rollout=Rollout.COMPLETE, percentage=100.0, fallback="s0")
    plain = submission("s2", "1.2.0.0", fallback="s0")
    for sub, reason in ((done, Reason.FINALIZED), (plain, Reason.LATEST)):
        decision = decide(app(sub, extra=(BASE,)), device("anyone"), frozenset())
        assert (decision.submission_id, decision.reason) == (sub.id, reason)
        assert decision.explanation.bucket is None


def test_manual_check_with_seek_gets_newest_outside_the_rollout() -> None:
    new = submission("s1", "1.1.0.0", rollout=Rollout.IN_PROGRESS, percentage=0.0, fallback="s0")
    manual = device(manual_check=True)
    assert decide(app(new, extra=(BASE,), seek=True), manual, frozenset()).reason == Reason.MANUAL_SEEK
    assert decide(app(new, extra=(BASE,), seek=False), manual, frozenset()).submission_id == "s0"
    assert decide(app(new, extra=(BASE,), seek=True), device(), frozenset()).submission_id == "s0"


@settings(max_examples=100)
@given(customers, st.floats(min_value=0, max_value=100), st.floats(min_value=0, max_value=100))
def test_halt_then_new_submission_keeps_the_order(customer: str, p_halted: float, p_new: float) -> None:
    halted = submission("s1", "1.1.0.0", rollout=Rollout.STOPPED, percentage=0.0, fallback="s0", seed="order")
    nobody_new = decide(app(halted, extra=(BASE,)), device(customer), frozenset())
    assert (nobody_new.submission_id, nobody_new.reason) == ("s0", Reason.HALTED)
    holder = decide(app(halted, extra=(BASE,)), device(customer, installed="1.1.0.0"), frozenset())
    assert holder.packages == () and holder.reason == Reason.NEWER_INSTALLED  # kept, never rolled back
    # The next submission copies the halted one's seed and falls back past it to the last finalized one.
    low, high = sorted((p_halted, p_new))
    nxt = submission("s2", "1.2.0.0", rollout=Rollout.IN_PROGRESS, percentage=high, fallback="s1", seed="order")
    had_halted = bucket(customer, "order") < threshold(low)
    decision = decide(app(nxt, extra=(BASE, halted)), device(customer), frozenset())
    if had_halted:
        assert decision.submission_id == "s2"
    assert decision.submission_id in {"s2", "s0"}


@given(st.lists(customers, min_size=2, max_size=50, unique=True))
def test_same_seed_same_bucket_ordering(ids: list[str]) -> None:
    halted = submission("s1", "1.1.0.0", rollout=Rollout.STOPPED, seed="same")
    nxt = submission("s2", "1.2.0.0", rollout=Rollout.IN_PROGRESS, seed=halted.seed)
    assert sorted(ids, key=lambda c: bucket(c, halted.seed)) == sorted(ids, key=lambda c: bucket(c, nxt.seed))


@given(customers, st.integers(0, 5), st.integers(0, 5))
def test_no_downgrade(customer: str, offered_minor: int, installed_minor: int) -> None:
    sub = submission("s", f"1.{offered_minor}.0.0")
    decision = decide(app(sub), device(customer, installed=f"1.{installed_minor}.0.0"), frozenset())
    if installed_minor > offered_minor:
        assert decision.packages == () and decision.reason == Reason.NEWER_INSTALLED
    else:
        assert [p.version for p in decision.packages] == [f"1.{offered_minor}.0.0"]


def test_versions_compare_numerically() -> None:
    decision = decide(app(submission("s", "1.10.0.0")), device(installed="1.9.0.0"), frozenset())
    assert decision.packages != ()


def test_applicability_by_architecture() -> None:
    sub = SubmissionView("s", (package("2.0.0.0", "x86"), package("2.0.0.0", "arm64"), package("1.0.0.0", "arm")))
    snapshot = app(sub)
    assert [p.architecture for p in decide(snapshot, device(), frozenset()).packages] == ["x86"]
    assert {p.architecture for p in decide(snapshot, device(architecture="arm64"), frozenset()).packages} == {
        "x86",
        "arm64",
    }
    assert [p.version for p in decide(snapshot, device(architecture="arm"), frozenset()).packages] == ["1.0.0.0"]
    none = decide(snapshot, device(architecture="mips"), frozenset())
    assert none.packages == () and none.reason == Reason.NO_PACKAGE and none.submission_id == "s"


def test_a_bundle_applies_by_its_payloads_architectures_not_its_own_neutral() -> None:
    bundle = PackageView("b", "app.msixbundle", "2.0.0.0", "neutral", DESKTOP, 100, "ab" * 32, architectures=("x86",))
    snapshot = app(SubmissionView("s", (bundle,)))
    for runs in ("x86", "x64", "arm64"):
        assert decide(snapshot, device(architecture=runs), frozenset()).packages == (bundle,), runs
    refused = decide(snapshot, device(architecture="arm"), frozenset())
    assert refused.packages == () and refused.reason == Reason.NO_PACKAGE
    plain_neutral = PackageView("n", "app.msix", "2.0.0.0", "neutral", DESKTOP, 100, "ab" * 32)
    assert decide(app(SubmissionView("t", (plain_neutral,))), device(architecture="arm"), frozenset()).packages


def test_applicability_by_family_and_min_os_with_resources() -> None:
    universal = (("Windows.Universal", "10.0.10240.0"),)
    sub = SubmissionView(
        "s",
        (
            package("3.0.0.0", families=(("Windows.Desktop", "10.0.22000.0"),)),
            package("2.0.0.0", families=(("Windows.Desktop", "10.0.17763.0"),)),
            package("2.0.0.0", "neutral", universal),
            package("1.0.0.0", "x64", (("Windows.Xbox", "10.0.0.0"),)),
        ),
    )
    snapshot = app(sub)
    new_os = decide(snapshot, device(os_version="10.0.22631.0"), frozenset())
    assert [p.version for p in new_os.packages] == ["3.0.0.0"]
    old_os = decide(snapshot, device(os_version="10.0.19045.0"), frozenset())
    assert sorted(p.architecture for p in old_os.packages) == ["neutral", "x64"]
    xbox = decide(snapshot, device(device_family="Windows.Xbox"), frozenset())
    assert [p.architecture for p in xbox.packages] == ["neutral"]
    ancient = decide(snapshot, device(os_version="10.0.9000.0"), frozenset())
    assert ancient.packages == () and ancient.reason == Reason.NO_PACKAGE


def test_bad_device_input_is_an_answer_not_an_error() -> None:
    decision = decide(app(BASE), device(os_version="banana", architecture="", installed="x.y"), frozenset())
    assert decision.packages == () and decision.reason == Reason.NO_PACKAGE


def test_mandatory_flags_come_from_the_chosen_submission() -> None:
    new = submission("s1", "1.1.0.0", rollout=Rollout.IN_PROGRESS, percentage=100.0, fallback="s0", mandatory=True)
    inside = decide(app(new, extra=(BASE,)), device(), frozenset())
    assert inside.is_mandatory
    halted_at_zero = submission("s1", "1.1.0.0", rollout=Rollout.IN_PROGRESS, fallback="s0", mandatory=True)
    outside = decide(app(halted_at_zero, extra=(BASE,)), device(), frozenset())
    assert outside.submission_id == "s0" and not outside.is_mandatory
