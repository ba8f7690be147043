"""Text rules: lone surrogates and NUL are refused naming the field; stored ones render as U+FFFD."""

from __future__ import annotations

import pytest

from storeflight.domain import text
from storeflight.domain.errors import InvalidParameterValue


@pytest.mark.parametrize("value", ["", "plain", "Ünïcödé ✓", "emoji \U0001f680", "tab\tand\nnewline"])
def test_valid_text_passes_unchanged(value: str) -> None:
    assert text.problem(value) is None
    assert text.check(value, "f") == value
    assert text.readable(value) == value


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("a\ud800", "lone surrogate U+D800 at character 1"),
        ("\udfffb", "lone surrogate U+DFFF at character 0"),
        ("a\x00b", "NUL"),
    ],
)
def test_lone_surrogates_and_nul_are_refused_naming_the_field(value: str, reason: str) -> None:
    with pytest.raises(InvalidParameterValue) as caught:
        text.check(value, "flightPackages[0].fileName")
    assert caught.value.target == "flightPackages[0].fileName"
    assert reason in caught.value.message


def test_readable_replaces_each_lone_surrogate_and_the_result_encodes() -> None:
    assert text.readable("a\ud800b\udc00") == "a\ufffdb\ufffd"
    assert text.readable("x\ud800").encode("utf-8") == "x\ufffd".encode()
