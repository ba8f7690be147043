"""Delivery decisions per second, in-process on one core (issue 4).

Builds an AppView with 1,000 flights over 10,000 flight groups (a realistic mix: most flights published,
a third rolling out, some halted or finalized, packages for x86/x64/arm64 and Desktop/Xbox/Universal) and
times `decide` for random devices: 70% of customers in no group, the rest in 1-3 groups.

    .venv/bin/python bench/decide_bench.py --decisions 1000000 --reference
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

from storeflight.delivery import (
    AppView,
    Decision,
    Device,
    FlightView,
    PackageView,
    Rollout,
    SubmissionView,
    decide,
)

ARCHES = ("x64", "x86", "arm64")
FAMILIES = ("Windows.Desktop", "Windows.Xbox", "Windows.Mobile")
OS_VERSIONS = ("10.0.17763.0", "10.0.19045.0", "10.0.22631.0", "10.0.10586.0")


def _packages(version: str, n: int) -> tuple[PackageView, ...]:
    main = tuple(
        PackageView(
            f"p{n}-{arch}",
            f"app_{version}_{arch}.msix",
            version,
            arch,
            (("Windows.Desktop", "10.0.17763.0"), ("Windows.Xbox", "10.0.19041.0")),
            10_000_000,
            "00" * 32,
        )
        for arch in ("x64", "x86", "arm64")
    )
    resources = PackageView(
        f"p{n}-res",
        f"res_{version}.msix",
        version,
        "neutral",
        (("Windows.Universal", "10.0.10240.0"),),
        500_000,
        "11" * 32,
    )
    old = PackageView(f"p{n}-old", f"app_old_{n}.msix", "0.9.0.0", "x64", (("Windows.Desktop", "10.0.0.0"),), 1, "2")
    return (*main, resources, old)


def build_app(rng: random.Random, n_flights: int, n_groups: int) -> AppView:
    subs: dict[str, SubmissionView] = {}
    base = SubmissionView("s-base", _packages("1.0.0.0", 0))
    subs[base.id] = base
    flights = []
    for i in range(n_flights):
        kind = rng.random()
        prev = SubmissionView(
            f"s{i}-a", _packages(f"1.1.{i}.0", i * 2), True, 100.0, Rollout.COMPLETE, base.id, f"seed-{i}-a"
        )
        subs[prev.id] = prev
        status = Rollout.IN_PROGRESS if kind < 0.35 else Rollout.STOPPED if kind < 0.45 else Rollout.COMPLETE
        latest = SubmissionView(
            f"s{i}-b",
            _packages(f"1.2.{i}.0", i * 2 + 1),
            kind < 0.7,
            rng.uniform(1, 99),
            status,
            prev.id,
            f"seed-{i}-b",
            is_mandatory=kind < 0.1,
        )
        subs[latest.id] = latest
        groups = frozenset(f"g{rng.randrange(n_groups)}" for _ in range(rng.randint(5, 15)))
        flights.append(FlightView(f"f{i}", f"flight {i}", i, groups, latest if kind < 0.95 else None))
    return AppView("app", base, tuple(flights), subs, is_seek_enabled=True)


def devices(rng: random.Random, count: int, n_groups: int) -> list[tuple[Device, frozenset[str]]]:
    out = []
    for i in range(count):
        groups = (
            frozenset()
            if rng.random() < 0.7
            else frozenset(f"g{rng.randrange(n_groups)}" for _ in range(rng.randint(1, 3)))
        )
        installed = None if rng.random() < 0.5 else f"1.{rng.randint(0, 3)}.0.0"
        device = Device(
            f"customer-{i}@example.com",
            rng.choice(FAMILIES),
            rng.choice(OS_VERSIONS),
            rng.choice(ARCHES),
            installed,
            rng.random() < 0.05,
        )
        out.append((device, groups))
    return out


def measure(
    decide_fn: Callable[[AppView, Device, frozenset[str]], Decision],
    app: AppView,
    pool: list[tuple[Device, frozenset[str]]],
    count: int,
) -> tuple[int, int, float, float]:
    """Decisions made, those with packages, wall seconds and CPU seconds (what one core spent: robust on a
    shared machine)."""
    for device, groups in pool[:10_000]:  # warm the version caches
        decide_fn(app, device, groups)
    done, with_packages, start, cpu_start = 0, 0, time.perf_counter(), time.process_time()
    while done < count:
        for device, groups in pool[: count - done]:
            with_packages += bool(decide_fn(app, device, groups).packages)
        done += min(len(pool), count - done)
    return done, with_packages, time.perf_counter() - start, time.process_time() - cpu_start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--decisions", type=int, default=1_000_000)
    parser.add_argument("--flights", type=int, default=1_000)
    parser.add_argument("--groups", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument(
        "--reference", action="store_true", help="Also time the plain reference decision (tests/delivery/reference.py)"
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)
    app = build_app(rng, args.flights, args.groups)
    pool = devices(rng, min(args.decisions, 200_000), args.groups)
    done, with_packages, elapsed, cpu = measure(decide, app, pool, args.decisions)
    print(
        f"flights={args.flights} groups={args.groups} decisions={done} elapsed={elapsed:.2f}s "
        f"decisions/s={done / elapsed:,.0f} per-decision={elapsed / done * 1e6:.2f}us "
        f"with-packages={with_packages / done:.1%} cpu={cpu:.2f}s decisions-per-cpu-second={done / cpu:,.0f}"
    )
    if args.reference:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from tests.delivery import reference  # noqa: PLC0415 - only for this comparison

        fresh = build_app(random.Random(args.seed), args.flights, args.groups)  # no memos from the first run
        ref_done, _, _, ref_cpu = measure(reference.decide, fresh, pool, args.decisions)
        print(
            f"reference decisions-per-cpu-second={ref_done / ref_cpu:,.0f}; "
            f"memoised / reference = {(done / cpu) / (ref_done / ref_cpu):.2f}"
        )


if __name__ == "__main__":
    main()
