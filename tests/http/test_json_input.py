"""The JSON input layer: bounded depth and number length, and valid text in every string, named by JSON path."""

from __future__ import annotations

import pytest

from storeflight.domain.errors import InvalidParameterValue
from storeflight.http.json_input import MAX_DEPTH, MAX_NUMBER_CHARS, parse


def _refused(raw: str) -> InvalidParameterValue:
    with pytest.raises(InvalidParameterValue) as caught:
        parse(raw)
    return caught.value


def test_ordinary_bodies_parse_as_json() -> None:
    raw = '{"flightPackages": [{"fileName": "a.msix", "fileStatus": "PendingUpload"}], "n": 25.5, "m": -3}'
    assert parse(raw) == {
        "flightPackages": [{"fileName": "a.msix", "fileStatus": "PendingUpload"}],
        "n": 25.5,
        "m": -3,
    }


def test_escapes_of_valid_characters_are_kept() -> None:
    assert parse(r'{"a": "\u00e9\ud83d\ude80", "b": "\\ud800 is only text"}') == {
        "a": "é\U0001f680",
        "b": "\\ud800 is only text",
    }


@pytest.mark.parametrize(
    ("raw", "target"),
    [
        (r'{"notesForCertification": "\ud800"}', "notesForCertification"),
        (r'{"flightPackages": [{"fileName": "ok"}, {"fileName": "x\udc00"}]}', "flightPackages[1].fileName"),
        (r'{"packageDeliveryOptions": {"packageRollout": {"x": "\u0000"}}}', "packageDeliveryOptions.packageRollout.x"),
        (r'{"groupIds": ["1", "a\u0000"]}', "groupIds[1]"),
        (r'"\ud800"', "body"),
        (r'{"a": "\u00e9\udc00"}', "a"),
        (r'{"a": "\ud83d\ud83d\ude80"}', "a"),
        (r'{"a": "\\ud83d\udc00"}', "a"),
        (r'{"a": "\ud83d"}', "a"),
        (r'["\ud800"]', "[0]"),
    ],
)
def test_bad_text_anywhere_is_refused_naming_its_json_path(raw: str, target: str) -> None:
    error = _refused(raw)
    assert error.target == target
    assert target in error.message


def test_a_bad_property_name_is_refused() -> None:
    error = _refused(r'{"listings": {"en\ud800": 1}}')
    assert error.target == "listings.en\ufffd"
    error.message.encode("utf-8")  # the message itself can be sent


def test_nesting_is_bounded() -> None:
    assert parse("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    for depth in (MAX_DEPTH + 1, 5_000, 100_000):
        error = _refused("[" * depth + "]" * depth)
        assert "nests more than" in error.message and error.target == "body"


@pytest.mark.parametrize("literal", ["1" * 4_301, "1" * (MAX_NUMBER_CHARS + 1), "0." + "1" * 400, "1" * 400])
def test_overlong_numbers_are_refused(literal: str) -> None:
    assert "longer than" in _refused(f'{{"percentage": {literal}}}').message


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999", "-1e400"])
def test_numbers_that_are_not_finite_are_refused(literal: str) -> None:
    assert "not finite" in _refused(f'{{"percentage": {literal}}}').message


def test_malformed_json_is_refused() -> None:
    assert "not valid JSON" in _refused('{"a": ').message
