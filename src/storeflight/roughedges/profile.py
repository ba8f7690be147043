"""The rough-edges profile: a TOML file (or a few flags) parsed and checked. Everything is off by default."""

from __future__ import annotations

import math
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_DURATION = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|h)?\s*$")
MAX_SECONDS = 30 * 86400.0  # nothing in a profile lasts longer than 30 days
MAX_PROFILE_BYTES = 64 * 1024
OPERATIONS = ("commit", "status", "read", "write")
STAGES = ("CommitStarted", "PreProcessing", "Certification", "Release", "PendingPublication", "Publishing")


class ProfileError(ValueError):
    """The profile cannot be used; the message names the setting and the problem."""


def _seconds(value: object) -> object:
    """`90`, `1.5`, `"90s"`, `"250ms"`, `"5m"`, `"2h"` -> seconds; anything else is left for validation to reject."""
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match is None:
            raise ValueError(f"{value!r} is not a duration (a number of seconds, or a number with ms, s, m or h)")
        return float(match.group(1)) * _UNITS[match.group(2) or "s"]
    return value


Seconds = Annotated[float, BeforeValidator(_seconds), Field(ge=0, le=MAX_SECONDS, allow_inf_nan=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Bucket(_Strict):
    """A token bucket: `requests_per_minute` on average, up to `burst` at once (default: one minute's worth)."""

    requests_per_minute: float = Field(gt=0, le=1e6, allow_inf_nan=False)
    burst: int | None = Field(default=None, ge=1, le=1_000_000)

    @property
    def capacity(self) -> float:
        return float(self.burst) if self.burst is not None else max(1.0, self.requests_per_minute)


class Throttle(_Strict):
    """A bucket per tenant for every API call, and optional stricter ones per operation, applied on top."""

    requests_per_minute: float | None = Field(default=None, gt=0, le=1e6, allow_inf_nan=False)
    burst: int | None = Field(default=None, ge=1, le=1_000_000)
    commit: Bucket | None = None
    status: Bucket | None = None
    read: Bucket | None = None
    write: Bucket | None = None

    def buckets(self) -> dict[str, Bucket]:
        """Rules by operation; `"*"` is the tenant-wide one."""
        rules = {op: getattr(self, op) for op in OPERATIONS if getattr(self, op) is not None}
        if self.requests_per_minute is not None:
            rules["*"] = Bucket(requests_per_minute=self.requests_per_minute, burst=self.burst)
        return rules


class Unavailable(_Strict):
    rate: float = Field(default=0.0, ge=0, le=1, allow_inf_nan=False)
    retry_after: Seconds = 0.0


class Fixed(_Strict):
    distribution: Literal["fixed"]
    value: Seconds


class Uniform(_Strict):
    distribution: Literal["uniform"]
    low: Seconds
    high: Seconds

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.low > self.high:
            raise ValueError("low must not be above high")
        return self


class Exponential(_Strict):
    distribution: Literal["exponential"]
    mean: Seconds
    max: Seconds = MAX_SECONDS


class LogNormal(_Strict):
    distribution: Literal["lognormal"]
    median: Seconds = Field(gt=0)
    sigma: float = Field(default=0.5, ge=0, le=5, allow_inf_nan=False)
    max: Seconds = MAX_SECONDS


Distribution = Annotated[Fixed | Uniform | Exponential | LogNormal, Field(discriminator="distribution")]


class Stages(_Strict):
    """How long a submission stays in each pipeline status, before `scale` (e.g. 0.001: hours become seconds)."""

    scale: float = Field(default=1.0, gt=0, le=1000, allow_inf_nan=False)
    commit_started: Distribution | None = Field(default=None, alias="CommitStarted")
    pre_processing: Distribution | None = Field(default=None, alias="PreProcessing")
    certification: Distribution | None = Field(default=None, alias="Certification")
    release: Distribution | None = Field(default=None, alias="Release")
    pending_publication: Distribution | None = Field(default=None, alias="PendingPublication")
    publishing: Distribution | None = Field(default=None, alias="Publishing")

    def of(self, status: str) -> Distribution | None:
        name = re.sub(r"(?<!^)([A-Z])", r"_\1", status).lower()
        found: Distribution | None = getattr(self, name, None) if status in STAGES else None
        return found


class Stuck(_Strict):
    """A `share` of commits stays in CommitStarted for `duration` (scaled like the stages) before moving on."""

    share: float = Field(default=0.0, ge=0, le=1, allow_inf_nan=False)
    duration: Seconds = 3600.0


class Tokens(_Strict):
    lifetime: Seconds | None = Field(default=None, ge=1)


class RoughProfile(_Strict):
    seed: int = Field(default=0, ge=0, le=2**63 - 1)
    throttle: Throttle = Field(default_factory=Throttle)
    unavailable: Unavailable = Field(default_factory=Unavailable)
    stages: Stages = Field(default_factory=Stages)
    stuck: Stuck = Field(default_factory=Stuck)
    tokens: Tokens = Field(default_factory=Tokens)

    @property
    def api_active(self) -> bool:
        """Whether API requests need looking at (throttling or 503s)."""
        return bool(self.throttle.buckets()) or self.unavailable.rate > 0

    def with_flags(
        self,
        *,
        seed: int | None = None,
        unavailable_rate: float | None = None,
        requests_per_minute: float | None = None,
    ) -> RoughProfile:
        """The profile with the direct command-line flags applied over it (validated like the file)."""
        data = self.model_dump(by_alias=True, exclude_none=True)
        if seed is not None:
            data["seed"] = seed
        if unavailable_rate is not None:
            data.setdefault("unavailable", {})["rate"] = unavailable_rate
        if requests_per_minute is not None:
            data.setdefault("throttle", {})["requests_per_minute"] = requests_per_minute
        return parse(data)


def parse(data: dict[str, Any]) -> RoughProfile:
    try:
        return RoughProfile.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors())
        raise ProfileError(f"invalid rough-edges profile: {problems}") from None


def load(path: Path) -> RoughProfile:
    """Read and check a TOML profile (at most 64 KiB)."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_PROFILE_BYTES + 1)
    except OSError as error:
        raise ProfileError(f"cannot read the rough-edges profile {path}: {error.strerror}") from None
    if len(raw) > MAX_PROFILE_BYTES:
        raise ProfileError(f"the rough-edges profile {path} is larger than {MAX_PROFILE_BYTES} bytes")
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ProfileError(f"the rough-edges profile {path} is not valid TOML: {error}") from None
    return parse(data)


def scaled(seconds: float, scale: float) -> float:
    return min(MAX_SECONDS, max(0.0, seconds * scale)) if math.isfinite(seconds) else MAX_SECONDS
