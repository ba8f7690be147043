"""Identifier formats and the package family name."""

from __future__ import annotations

import re

from storeflight.domain.ids import (
    new_decimal_id,
    new_flight_id,
    new_store_id,
    package_family_name,
    publisher_hash,
)

MICROSOFT = "CN=Microsoft Corporation, O=Microsoft Corporation, L=Redmond, S=Washington, C=US"


def test_publisher_hash_matches_windows() -> None:
    assert publisher_hash(MICROSOFT) == "8wekyb3d8bbwe"
    assert package_family_name("20477fca-282d-49fb-b03e-371dca074f0f", MICROSOFT) == (
        "20477fca-282d-49fb-b03e-371dca074f0f_8wekyb3d8bbwe"
    )


def test_publisher_hash_is_13_chars_of_the_windows_base32_alphabet() -> None:
    for publisher in ("CN=Contoso", "CN=A, O=B", "CN=Ünïcødé"):
        assert re.fullmatch(r"[0-9a-hjkmnp-tv-z]{13}", publisher_hash(publisher))


def test_id_formats() -> None:
    assert re.fullmatch(r"[0-9A-Z]{12}", new_store_id())
    assert re.fullmatch(r"\d{19}", new_decimal_id())
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", new_flight_id())
    assert len({new_store_id() for _ in range(1000)}) == 1000
