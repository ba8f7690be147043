"""The memoised decision (`delivery.lines`) gives exactly the decisions of the plain reference, on random snapshots."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from storeflight.delivery import AppView, Device, FlightView, PackageView, Rollout, SubmissionView, decide
from storeflight.delivery.bucket import bucket, bucket_in, seeded
from tests.delivery import reference

GROUPS = ("g1", "g2", "g3", "g4", "nowhere")
VERSIONS = ("1.0.0.0", "1.2.0.0", "2.0.0.0", "10.0.0.0")
OS = ("10.0.10240.0", "10.0.17763.0", "10.0.22631.0", "9")
FAMILIES = (("Windows.Desktop", "10.0.17763.0"), ("Windows.Xbox", "10.0.0.0"), ("Windows.Universal", "10.0.10240.0"))
STATUSES = (Rollout.NOT_STARTED, Rollout.IN_PROGRESS, Rollout.STOPPED, Rollout.COMPLETE)

packages = st.builds(
    lambda i, v, a, fams: PackageView(f"p{i}", f"f{i}.msix", v, a, tuple(fams), 1, "00"),
    st.integers(0, 10**6),
    st.sampled_from(VERSIONS),
    st.sampled_from(("x64", "x86", "arm64", "neutral")),
    st.lists(st.sampled_from(FAMILIES), min_size=1, max_size=2),
)


@st.composite
def snapshots(draw: st.DrawFn) -> AppView:
    count = draw(st.integers(1, 6))
    ids = [f"s{i}" for i in range(count)]
    subs = {
        sid: SubmissionView(
            sid,
            tuple(draw(st.lists(packages, max_size=3))),
            is_rollout=draw(st.booleans()),
            percentage=draw(st.sampled_from((0.0, 0.5, 25.0, 50.0, 99.9, 100.0))),
            rollout_status=draw(st.sampled_from(STATUSES)),
            fallback_id=draw(st.sampled_from([*ids, "0", "missing"])),  # chains, loops, dangling
            seed=draw(st.sampled_from(("a", "b", sid))),
            is_mandatory=draw(st.booleans()),
        )
        for sid in ids
    }
    optional = st.sampled_from([None, *subs.values()])
    flights = tuple(
        FlightView(
            f"f{i}",
            f"flight {i}",
            draw(st.integers(0, 3)),
            frozenset(draw(st.sets(st.sampled_from(GROUPS)))),
            draw(optional),
        )
        for i in range(draw(st.integers(0, 5)))
    )
    return AppView("app", draw(optional), flights, subs, is_seek_enabled=draw(st.booleans()))


devices = st.builds(
    Device,
    st.text(alphabet="abcxyz@.é", min_size=1, max_size=12),
    st.sampled_from(("Windows.Desktop", "Windows.Xbox", "Windows.Team")),
    st.sampled_from(OS),
    st.sampled_from(("x64", "x86", "arm64", "arm")),
    st.sampled_from((None, "", "1.0.0.0", "1.5.0.0", "3.0.0.0")),
    st.booleans(),
)
group_sets = st.lists(st.sampled_from(GROUPS), max_size=4).flatmap(
    lambda gs: st.sampled_from((frozenset(gs), tuple(gs), list(gs), set(gs)))
)


@settings(max_examples=150, deadline=None)
@given(snapshots(), st.lists(st.tuples(devices, group_sets), min_size=1, max_size=30))
def test_memoised_decisions_equal_the_reference(app: AppView, asks: list[tuple[Device, object]]) -> None:
    for _ in range(2):  # cold, then from the memos
        for device, groups in asks:
            assert decide(app, device, groups) == reference.decide(app, device, groups)  # type: ignore[arg-type]


@given(st.text(max_size=40), st.text(max_size=40))
def test_a_seeded_hasher_gives_the_plain_bucket(seed: str, customer: str) -> None:
    assert bucket_in(seeded(seed), customer) == bucket(customer, seed)
