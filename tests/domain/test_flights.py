"""Flight ranking."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storeflight.domain.errors import InvalidParameterValue
from storeflight.domain.flights import NON_FLIGHTED, find_rank_target, ordered, rank_higher_than, reranked
from storeflight.domain.models import Flight

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _flight(name: str, rank: int) -> Flight:
    return Flight(
        id=f"id-{name}", tenant_id="t", app_id="A", friendly_name=name, group_ids=["1"], rank=rank, created_at=NOW
    )


def test_rank_higher_than_names_the_next_lower_flight() -> None:
    flights = [_flight("a", 3), _flight("b", 2), _flight("c", 1)]
    assert [rank_higher_than(f, flights) for f in flights] == ["b", "c", NON_FLIGHTED]


def test_find_rank_target_by_name_id_or_non_flighted() -> None:
    flights = [_flight("a", 2), _flight("b", 1)]
    assert find_rank_target("a", flights) == flights[0]
    assert find_rank_target("ID-B", flights) == flights[1]
    assert find_rank_target("non-flighted submission", flights) is None
    with pytest.raises(InvalidParameterValue):
        find_rank_target("zzz", flights)


@given(st.integers(min_value=0, max_value=8), st.data())
def test_reranking_keeps_a_dense_order_with_the_new_flight_where_asked(size: int, data: st.DataObject) -> None:
    flights = [_flight(f"f{i}", size - i) for i in range(size)]
    below = data.draw(st.sampled_from([None, *flights])) if flights else None
    at_top = data.draw(st.booleans())
    ranks = reranked(flights, "new", below, at_top=at_top)
    assert sorted(ranks.values()) == list(range(1, size + 2))
    new_order = [f for f, _ in sorted(ranks.items(), key=lambda kv: -kv[1])]
    old_order = [f.id for f in ordered(flights)]
    assert [f for f in new_order if f != "new"] == old_order
    position = new_order.index("new")
    if at_top:
        assert position == 0
    elif below is None:
        assert position == size
    else:
        assert new_order[position + 1] == below.id
