"""Dates: every ISO 8601 form in, the Store's 7-digit form out, 1601 meaning unset."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storeflight.domain.dates import UNSET, parse, render
from storeflight.domain.errors import InvalidParameterValue


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2016-06-17T21:29:44.1234567Z", "2016-06-17T21:29:44.1234560Z"),
        ("1970-01-01T00:00:00.000Z", "1970-01-01T00:00:00.0000000Z"),
        ("2020-02-24T22:07:53+02:00", "2020-02-24T20:07:53.0000000Z"),
        ("2020-02-24T22:07:53", "2020-02-24T22:07:53.0000000Z"),
        (UNSET, UNSET),
        ("1601-01-01T00:00:00Z", UNSET),
        ("", UNSET),
        (None, UNSET),
    ],
)
def test_parse_and_render(text: str | None, expected: str) -> None:
    assert render(parse(text, field="d")) == expected


@pytest.mark.parametrize("text", ["tomorrow", "2020-13-01T00:00:00Z", "2020-02-30", "12:00"])
def test_invalid_dates_name_the_field(text: str) -> None:
    with pytest.raises(InvalidParameterValue, match="targetPublishDate"):
        parse(text, field="targetPublishDate")


@given(st.datetimes(min_value=datetime(1700, 1, 1), max_value=datetime(9999, 1, 1), timezones=st.just(UTC)))
def test_render_then_parse_round_trips(value: datetime) -> None:
    assert parse(render(value), field="d") == value


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00-05:00"])
def test_offsets_past_the_representable_years_are_invalid_not_a_crash(text: str) -> None:
    with pytest.raises(InvalidParameterValue) as caught:
        parse(text, field="targetPublishDate")
    assert caught.value.target == "targetPublishDate"
    assert "outside the years 1 to 9999" in caught.value.message


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00-01:00"])
def test_the_extreme_representable_dates_are_accepted(text: str) -> None:
    assert parse(text, field="d") is not None
