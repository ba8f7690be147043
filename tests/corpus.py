"""The shared package corpus (../shared/corpus): where it is, what it expects, and skipping without it."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
CORPUS_REQUIRED = os.environ.get("CI") == "true" or os.environ.get("STOREFLIGHT_REQUIRE_CORPUS") == "1"
MISSING = "(corpus missing)"


def corpus_dir() -> Path:
    """The corpus folder; skips the test when it is absent (a user's machine), fails in CI."""
    if not (CORPUS / "EXPECTED.json").is_file():
        message = f"the package corpus is not at {CORPUS} (a checkout of ../shared/corpus next to the repository)"
        if CORPUS_REQUIRED:
            pytest.fail(f"{message}; it is required because CI=true or STOREFLIGHT_REQUIRE_CORPUS=1")
        pytest.skip(f"{message}; set STOREFLIGHT_REQUIRE_CORPUS=1 to make its absence a failure")
    return CORPUS


def _expected() -> dict[str, dict[str, dict[str, Any]]]:
    try:
        return dict(json.loads((CORPUS / "EXPECTED.json").read_text(encoding="utf-8")))
    except FileNotFoundError:
        return {"valid": {}, "invalid": {}}


EXPECTED = _expected()


def names(kind: str) -> list[str]:
    """Parameters for a test over the valid or invalid packages: a placeholder that skips when absent."""
    return sorted(EXPECTED[kind]) or [MISSING]
