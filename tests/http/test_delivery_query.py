"""The delivery endpoint's hand-written query reader: defaults, every refusal, and the OpenAPI description."""

from __future__ import annotations

import pytest
from starlette.datastructures import QueryParams

from storeflight.domain.errors import InvalidParameterValue
from storeflight.http.delivery_query import OPENAPI_PARAMETERS, read_device, read_query


def test_defaults_fill_everything_but_the_customer() -> None:
    device, explain = read_device({"customerId": "  ada@example.com "})
    assert device.customer_id == "ada@example.com"
    assert (device.device_family, device.os_version, device.architecture) == ("Windows.Desktop", "10.0.0.0", "x64")
    assert device.installed_version is None
    assert (device.manual_check, explain) == (False, False)


def test_values_are_read_and_architecture_lower_cased() -> None:
    query = {
        "customerId": "c1",
        "deviceFamily": "Windows.Xbox",
        "osVersion": "10.0.19045.0",
        "architecture": "ARM64",
        "installedVersion": "1.2.3.4",
        "manualCheck": "TRUE",
        "explain": "1",
    }
    device, explain = read_device(query)
    assert device == ("c1", "Windows.Xbox", "10.0.19045.0", "arm64", "1.2.3.4", True)
    assert explain is True


@pytest.mark.parametrize(
    ("query", "target"),
    [
        ({}, "customerId"),
        ({"customerId": "   "}, "customerId"),
        ({"customerId": "x" * 321}, "customerId"),
        ({"customerId": "c", "deviceFamily": ""}, "deviceFamily"),
        ({"customerId": "c", "architecture": "x" * 17}, "architecture"),
        ({"customerId": "c", "osVersion": "ten"}, "osVersion"),
        ({"customerId": "c", "osVersion": "1.2.3.4.5"}, "osVersion"),
        ({"customerId": "c", "installedVersion": "1.x"}, "installedVersion"),
        ({"customerId": "c", "manualCheck": "maybe"}, "manualCheck"),
        ({"customerId": "c", "explain": "2"}, "explain"),
    ],
)
def test_bad_values_name_the_parameter(query: dict[str, str], target: str) -> None:
    with pytest.raises(InvalidParameterValue) as raised:
        read_device(query)
    assert raised.value.target == target
    assert target in raised.value.message


def test_empty_versions_mean_not_given() -> None:
    device, _ = read_device({"customerId": "c", "osVersion": "", "installedVersion": ""})
    assert (device.os_version, device.installed_version) == ("0", None)


def test_openapi_describes_every_parameter_read() -> None:
    names = {p["name"]: p for p in OPENAPI_PARAMETERS}
    assert set(names) == {
        "customerId", "deviceFamily", "osVersion", "architecture", "installedVersion", "manualCheck", "explain"
    }
    assert names["customerId"]["required"] is True
    assert not any(p["required"] for n, p in names.items() if n != "customerId")
    assert names["explain"]["schema"]["type"] == "boolean"


@pytest.mark.parametrize(
    "raw",
    [
        b"customerId=ada%40example.com&explain=true",
        b"customerId=a+b&customerId=c%2Bd&x",
        b"&&customerId=%E2%82%AC%ZZ&deviceFamily=&=v",
        b"customerId=caf\xe9",
        b"",
    ],
)
def test_query_reading_matches_starlette(raw: bytes) -> None:
    assert read_query(raw) == dict(QueryParams(raw))
