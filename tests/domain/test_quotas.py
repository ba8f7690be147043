"""Quota arithmetic: what fits, what is refused (naming the quota and its limit), and 0 as no limit."""

from __future__ import annotations

import pytest

from storeflight.domain.errors import QuotaExceeded
from storeflight.domain.quotas import UNLIMITED, Quotas


def test_adding_up_to_the_limit_fits_and_one_more_is_refused() -> None:
    quotas = Quotas(groups=3)
    quotas.check("groups", 2, 1)
    with pytest.raises(QuotaExceeded) as refused:
        quotas.check("groups", 3, 1)
    assert (refused.value.quota, refused.value.limit, refused.value.used) == ("groups", 3, 3)
    assert refused.value.code == "QuotaExceeded"


def test_wire_names_are_used_in_errors() -> None:
    with pytest.raises(QuotaExceeded, match="The storedBytes quota of this tenant is 10: 8 in use"):
        Quotas(stored_bytes=10).check("stored_bytes", 8, 3)


def test_zero_means_no_limit_and_removing_never_fails() -> None:
    UNLIMITED.check("members", 10**12, 10**12)
    assert UNLIMITED.remaining("stored_bytes", 10**15) is None
    Quotas(members=1).check("members", 5, 0)  # over already (the quota was lowered): removing still works
    assert Quotas(stored_bytes=100).remaining("stored_bytes", 130) == 0


def test_negative_limits_are_rejected() -> None:
    with pytest.raises(ValueError, match="flights quota cannot be negative"):
        Quotas(flights=-1)
