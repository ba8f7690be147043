"""Delivery decisions: which submission's packages a customer's device gets, and why. Pure, in-memory."""

from storeflight.delivery.bucket import BUCKETS, bucket, inside, threshold
from storeflight.delivery.decide import Reason, decide
from storeflight.delivery.model import (
    NO_FALLBACK,
    AppView,
    Decision,
    Device,
    Explanation,
    FlightView,
    PackageView,
    Rollout,
    Source,
    SubmissionView,
)

__all__ = [
    "BUCKETS",
    "NO_FALLBACK",
    "AppView",
    "Decision",
    "Device",
    "Explanation",
    "FlightView",
    "PackageView",
    "Reason",
    "Rollout",
    "Source",
    "SubmissionView",
    "bucket",
    "decide",
    "inside",
    "threshold",
]
