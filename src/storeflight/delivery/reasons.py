"""Why a device gets what it gets: the reasons a delivery decision names."""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    LATEST = "the line's latest published submission (no rollout in progress)"
    FINALIZED = "the rollout of the latest submission is finalized"
    IN_ROLLOUT = "inside the rollout percentage of the latest submission"
    OUTSIDE_ROLLOUT = "outside the rollout percentage: the fallback submission"
    HALTED = "the rollout of the latest submission is halted: the fallback submission"
    MANUAL_SEEK = "manual check with 'always provide the newest packages' on: the latest submission"
    NO_FALLBACK = "not offered the latest submission and there is no fallback submission: nothing newer to offer"
    NO_PACKAGE = "no package of the submission applies to this device (architecture, device family, minimum OS)"
    NO_FLIGHT_PACKAGE = (
        "no package of the flight's submission applies to this device; flight members never get non-flighted packages"
    )
    NEWER_INSTALLED = "already on a newer version than the submission offered: no downgrade"
    NOTHING_PUBLISHED = "the app has no published submission"
