"""The rough-edges options `serve` and `worker` share: a profile file, a seed and two direct settings."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from storeflight.roughedges.profile import ProfileError, RoughProfile, load

RoughEdgesFile = Annotated[
    Path | None,
    typer.Option(
        "--rough-edges",
        envvar="STOREFLIGHT_ROUGH_EDGES",
        help="TOML profile of Store rough edges to reproduce: throttling, 503s, slow or stuck stages, short tokens.",
    ),
]
RoughSeed = Annotated[
    int | None,
    typer.Option("--rough-seed", envvar="STOREFLIGHT_ROUGH_SEED", min=0, help="Seed of the rough edges' draws."),
]
Rough503Rate = Annotated[
    float | None,
    typer.Option(
        "--rough-503-rate", envvar="STOREFLIGHT_ROUGH_503_RATE", min=0.0, max=1.0, help="Share of API calls given 503."
    ),
]
RoughRequestsPerMinute = Annotated[
    float | None,
    typer.Option(
        "--rough-requests-per-minute",
        envvar="STOREFLIGHT_ROUGH_REQUESTS_PER_MINUTE",
        min=0.001,
        help="Per-tenant API rate; beyond it calls get 429 with Retry-After (the Store allows about 20).",
    ),
]


def rough_profile(
    path: Path | None, seed: int | None, unavailable_rate: float | None, requests_per_minute: float | None
) -> RoughProfile | None:
    """The profile the options describe (flags over the file), None when none is given."""
    if path is None and unavailable_rate is None and requests_per_minute is None:
        return None
    try:
        base = load(path) if path is not None else RoughProfile()
        profile = base.with_flags(seed=seed, unavailable_rate=unavailable_rate, requests_per_minute=requests_per_minute)
    except ProfileError as error:
        raise typer.BadParameter(str(error), param_hint="--rough-edges") from None
    typer.secho(f"Rough edges are on (seed {profile.seed}): {summary(profile)}.", fg=typer.colors.YELLOW, err=True)
    return profile


def summary(profile: RoughProfile) -> str:
    parts = [f"{name} {b.requests_per_minute:g}/min" for name, b in sorted(profile.throttle.buckets().items())]
    if profile.unavailable.rate:
        parts.append(f"503 for {profile.unavailable.rate:.1%} of calls")
    if profile.stuck.share:
        parts.append(f"{profile.stuck.share:.0%} of commits stuck")
    timed = [s for s in ("CommitStarted", "PreProcessing", "Certification") if profile.stages.of(s)]
    if timed or profile.stages.scale != 1:
        parts.append(f"stage timing x{profile.stages.scale:g}")
    if profile.tokens.lifetime:
        parts.append(f"tokens last {profile.tokens.lifetime:g} s")
    return ", ".join(parts).replace("* ", "tenant ") or "nothing"
