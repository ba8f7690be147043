"""Guard quality on synthetic fleets: halt rates for worse and equal releases, and reports until a halt.

Each scenario runs `--runs` simulated rollouts of the default guarded plan (1% -> 5% -> 25% -> 50% ->
finalize, each step held until the guard rules out a regression of the margin) on a fleet of 20,000 devices
that each report every hour (5 launches, an update attempt in 20% of reports; fallback rates 0.5% crashes per
launch and 2% failed updates). The guard is checked after every hour of reports. Pure, seeded, no server.

    .venv/bin/python bench/guard_sim.py --runs 200 --seed 1
"""

from __future__ import annotations

import argparse
import time

from storeflight.plans.model import Guard
from storeflight.plans.simulate import Fleet, Scenario, default_plan, simulate

SCENARIOS = (
    Scenario("crashes worse by the margin (x1.5)", 1.5),
    Scenario("update failures worse by the margin (x1.5)", 1.0, 1.5),
    Scenario("crashes worse by twice the margin (x2)", 2.0),
    Scenario("equal release", 1.0),
    Scenario("better release (x0.8)", 0.8, 0.8),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--margin", type=float, default=0.5)
    args = parser.parse_args()
    plan, fleet = default_plan(Guard(margin=args.margin)), Fleet()
    print(f"{args.runs} rollouts per scenario, margin {args.margin:.0%}, alpha {plan.guard.alpha if plan.guard else 0}")
    print(f"{'scenario':45} {'halted':>7} {'finalized':>9} {'reports to halt: median':>24} {'p95':>10}")
    started = time.perf_counter()
    for scenario in SCENARIOS:
        s = simulate(plan, fleet, scenario, args.runs, args.seed)
        median, p95 = s.reports_to_halt(0.5), s.reports_to_halt(0.95)
        print(
            f"{scenario.name:45} {s.halt_rate:7.1%} {s.finish_rate:9.1%} "
            f"{median if median is not None else '-':>24} {p95 if p95 is not None else '-':>10}"
        )
    print(f"({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
