"""Profile parsing: TOML and flags, durations with units, and clear errors for anything unusable."""

from __future__ import annotations

from pathlib import Path

import pytest

from storeflight.roughedges.profile import (
    MAX_PROFILE_BYTES,
    Exponential,
    LogNormal,
    ProfileError,
    RoughProfile,
    Uniform,
    load,
    parse,
)

EXAMPLE = """
seed = 7

[throttle]
requests_per_minute = 20

[throttle.commit]
requests_per_minute = 2
burst = 1

[unavailable]
rate = 0.05
retry_after = "10s"

[stages]
scale = 0.001
CommitStarted = { distribution = "lognormal", median = "2m", sigma = 0.6 }
PreProcessing = { distribution = "uniform", low = "1m", high = "10m" }
Certification = { distribution = "exponential", mean = "45m", max = "4h" }

[stuck]
share = 0.1
duration = "3h"

[tokens]
lifetime = "5m"
"""


def test_an_empty_profile_turns_nothing_on() -> None:
    profile = RoughProfile()
    assert not profile.api_active
    assert profile.throttle.buckets() == {}
    assert profile.stuck.share == 0 and profile.tokens.lifetime is None
    assert profile.stages.of("Certification") is None


def test_a_full_profile_is_read_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "rough.toml"
    path.write_text(EXAMPLE)
    profile = load(path)
    assert profile.seed == 7 and profile.api_active
    buckets = profile.throttle.buckets()
    assert buckets["*"].requests_per_minute == 20 and buckets["*"].capacity == 20
    assert buckets["commit"].capacity == 1 and "read" not in buckets
    assert profile.unavailable.rate == 0.05 and profile.unavailable.retry_after == 10
    assert profile.stages.scale == 0.001
    assert profile.stages.of("CommitStarted") == LogNormal(distribution="lognormal", median=120, sigma=0.6)
    assert profile.stages.of("PreProcessing") == Uniform(distribution="uniform", low=60, high=600)
    assert profile.stages.of("Certification") == Exponential(distribution="exponential", mean=2700, max=14400)
    assert profile.stages.of("Published") is None
    assert profile.stuck.duration == 3 * 3600 and profile.tokens.lifetime == 300


@pytest.mark.parametrize(
    ("data", "names"),
    [
        ({"throttle": {"requests_per_minut": 20}}, "throttle.requests_per_minut"),
        ({"throttle": {"requests_per_minute": 0}}, "throttle.requests_per_minute"),
        ({"unavailable": {"rate": 1.5}}, "unavailable.rate"),
        ({"unavailable": {"retry_after": "ten seconds"}}, "unavailable.retry_after"),
        ({"stages": {"Certification": {"distribution": "gamma", "mean": 3}}}, "stages.Certification"),
        ({"stages": {"Certification": {"distribution": "uniform", "low": 9, "high": 3}}}, "low must not be above"),
        ({"stages": {"Certification": {"distribution": "lognormal", "median": 0}}}, "median"),
        ({"stages": {"scale": float("nan")}}, "stages.scale"),
        ({"stuck": {"duration": "800h"}, "tokens": {"lifetime": 0}}, "stuck.duration"),
        ({"seed": -1}, "seed"),
    ],
)
def test_unusable_settings_are_named_in_the_error(data: dict[str, object], names: str) -> None:
    with pytest.raises(ProfileError, match="invalid rough-edges profile") as raised:
        parse(data)
    assert names in str(raised.value)


def test_files_that_are_not_toml_or_too_large_are_refused(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[throttle\n")
    with pytest.raises(ProfileError, match="not valid TOML"):
        load(broken)
    huge = tmp_path / "huge.toml"
    huge.write_text("# " + "x" * MAX_PROFILE_BYTES)
    with pytest.raises(ProfileError, match="larger than"):
        load(huge)
    with pytest.raises(ProfileError, match="cannot read"):
        load(tmp_path / "missing.toml")


def test_flags_apply_over_the_file_and_are_validated_the_same_way() -> None:
    base = parse({"seed": 1, "throttle": {"commit": {"requests_per_minute": 2}}})
    changed = base.with_flags(seed=9, unavailable_rate=0.25, requests_per_minute=30)
    assert changed.seed == 9 and changed.unavailable.rate == 0.25
    assert set(changed.throttle.buckets()) == {"*", "commit"}
    assert base.with_flags() == base
    with pytest.raises(ProfileError, match=r"unavailable\.rate"):
        base.with_flags(unavailable_rate=2.0)
