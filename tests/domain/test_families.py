"""One rule for which device families count: targetDeviceFamilies, certification and delivery all use it."""

from __future__ import annotations

from storeflight.delivery.snapshot import submission_view
from storeflight.domain.families import rendered, store_families
from storeflight.domain.models import DeliveryOptions, FileStatus, Package, Submission
from storeflight.ingest.manifest import store_device_families

DECLARED = [("Windows.Universal", "0.0.0.0"), ("Windows7.Desktop", "10.0.0.0"), ("Windows.Desktop", "10.0.17763.0")]


def test_only_windows_10_families_count() -> None:
    assert store_families(DECLARED) == [("Windows.Desktop", "10.0.17763.0")]
    assert rendered(DECLARED) == ["Windows.Desktop min version 10.0.17763.0"]
    assert store_device_families(DECLARED) == rendered(DECLARED)  # what the API shows
    assert store_families([("Windows.Desktop", "junk")]) == []


def test_delivery_sees_the_families_the_api_shows() -> None:
    package = Package(file_name="a.msix", file_status=FileStatus.UPLOADED, version="1.0.0.0", architecture="x64",
                      device_families=[("Windows.Universal", "0.0.0.0")])
    sub = Submission.model_construct(id="1", packages=[package], delivery=DeliveryOptions())
    view = submission_view(sub)
    assert view.packages[0].device_families == ()  # nothing to offer it to, as targetDeviceFamilies says

