"""Every corpus package through the whole pipeline, alone as a new package of an app of its identity."""

from __future__ import annotations

import pytest

from storeflight.pipeline.worker import Worker, WorkerSettings
from tests.corpus import EXPECTED, corpus_dir, names
from tests.pipeline.test_end_to_end import drain, submit, zip_of
from tests.support import Tenant


def _run(tenant: Tenant, name: str, expected: dict[str, str]) -> dict[str, object]:
    data = (corpus_dir() / ("valid" if name in EXPECTED["valid"] else "invalid") / name).read_bytes()
    app = tenant.create_app(
        identity=expected.get("identityName", "Any.App"), publisher=expected.get("publisher", "CN=Any")
    )
    base = f"applications/{app}/submissions"
    sid = submit(
        tenant,
        base,
        [{"fileName": name, "fileStatus": "PendingUpload"}],
        zip_of({name: data}),
        notesForCertification="Corpus test.",
    )
    drain(Worker(tenant.server.store, tenant.server.state.blobs, WorkerSettings()))
    body: dict[str, object] = tenant.http.get(f"{base}/{sid}").json()
    return body


@pytest.mark.parametrize("name", names("valid"))
def test_valid_corpus_packages_are_published_with_their_metadata(tenant: Tenant, name: str) -> None:
    expected = EXPECTED["valid"].get(name) or {}
    body = _run(tenant, name, expected)
    assert body["status"] == "Published", body["statusDetails"]
    (entry,) = body["applicationPackages"]  # type: ignore[misc]
    assert entry["id"].isdigit() and entry["fileStatus"] == "Uploaded"
    fields = ("version", "architecture", "languages", "capabilities", "targetDeviceFamilies")
    compared = [f for f in fields if f in expected]
    assert {"version", "architecture"} <= set(compared)
    assert {f: entry[f] for f in compared} == {f: expected[f] for f in compared}


@pytest.mark.parametrize("name", names("invalid"))
def test_invalid_corpus_packages_fail_preprocessing_naming_package_and_defect(tenant: Tenant, name: str) -> None:
    body = _run(tenant, name, EXPECTED["invalid"].get(name) or {})
    assert body["status"] == "PreProcessingFailed", body["statusDetails"]
    (error,) = body["statusDetails"]["errors"]  # type: ignore[index]
    assert error["code"] == "PackageValidationFailed"
    assert error["details"].startswith(f"{name}: ")
