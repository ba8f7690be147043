"""App Installer files per device, over HTTP, each validated against the project's XSD of the 2018 schema."""

from __future__ import annotations

from datetime import timedelta

import httpx

from storeflight.audit.record import ADMIN
from storeflight.devices import service
from storeflight.domain import dates
from storeflight.pipeline.worker import Worker
from tests.corpus import EXPECTED, corpus_dir
from tests.devices.conftest import NAMESPACE, enroll, new_key, publish, valid_installer
from tests.pipeline.test_end_to_end import IDENTITY, drain, submit, zip_of
from tests.support import Tenant


def installer(url: str) -> httpx.Response:
    response = httpx.get(url, timeout=30)  # no headers at all, as App Installer asks
    return response


def test_a_package_file_names_the_package_and_is_its_own_uri(tenant: Tenant, app: str) -> None:
    urls = enroll(tenant, app, new_key(tenant, app), "ann@example.com", architecture="x64")
    response = installer(urls["appInstallerUrl"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/appinstaller"
    document = valid_installer(response.content)
    assert document.tag == f"{NAMESPACE}AppInstaller"  # the 2018 namespace: Windows 10 1809+ accepts it
    assert document.get("Uri") == urls["appInstallerUrl"] and document.get("Version") == "1.2.3.0"
    (main,) = document.findall(f"{NAMESPACE}MainPackage")
    assert (main.get("Name"), main.get("Publisher")) == (IDENTITY.name, IDENTITY.publisher)
    assert (main.get("Version"), main.get("ProcessorArchitecture")) == ("1.2.3.0", "x64")
    assert main.get("Uri").startswith(urls["deviceUrl"] + "/packages/")
    assert httpx.get(main.get("Uri")).status_code == 200
    on_launch = document.find(f"{NAMESPACE}UpdateSettings/{NAMESPACE}OnLaunch")
    assert on_launch.attrib == {"HoursBetweenUpdateChecks": "24"}


def test_architectures_arm64_and_x64_get_the_x64_package_and_x86_nothing(tenant: Tenant, app: str) -> None:
    key = new_key(tenant, app)
    for architecture in ("arm64", "x64"):
        urls = enroll(tenant, app, key, f"{architecture}@example.com", architecture=architecture)
        document = valid_installer(installer(urls["appInstallerUrl"]).content)
        assert f"architecture={architecture}" in document.get("Uri")
        assert document.find(f"{NAMESPACE}MainPackage").get("ProcessorArchitecture") == "x64"
    urls = enroll(tenant, app, key, "x86@example.com", architecture="x86")
    nothing = installer(urls["appInstallerUrl"])
    assert nothing.status_code == 404
    assert nothing.json()["message"].startswith("Nothing to install for this device: no package of the submission")


def test_a_bundle_is_the_main_bundle(tenant: Tenant, worker: Worker) -> None:
    name = "BundleWithIntlPackage.appxbundle"
    bundle = (corpus_dir() / "valid" / name).read_bytes()  # skips (or fails in CI) without the corpus first
    facts = EXPECTED["valid"][name]
    app_id = tenant.create_app(identity=facts["identityName"], publisher=facts["publisher"])
    submit(
        tenant,
        f"applications/{app_id}/submissions",
        [{"fileName": name, "fileStatus": "PendingUpload"}],
        zip_of({name: bundle}),
    )
    drain(worker)
    urls = enroll(tenant, app_id, new_key(tenant, app_id), "b@example.com", architecture="x64")
    document = valid_installer(installer(urls["appInstallerUrl"]).content)
    assert document.find(f"{NAMESPACE}MainPackage") is None
    main = document.find(f"{NAMESPACE}MainBundle")
    assert (main.get("Name"), main.get("Publisher")) == (facts["identityName"], facts["publisher"])
    download = httpx.get(main.get("Uri"))
    assert download.status_code == 200 and download.headers["content-type"] == "application/appxbundle"
    assert download.content == bundle


def test_a_mandatory_update_prompts_and_blocks_only_past_its_effective_date(tenant: Tenant, worker: Worker) -> None:
    seen = {}
    for when, delta in (("before", timedelta(days=3)), ("after", timedelta(days=-1))):
        app_id = tenant.create_app(identity=IDENTITY.name, publisher=IDENTITY.publisher)
        date = dates.render(dates.utcnow() + delta)
        options = {"isMandatoryUpdate": True, "mandatoryUpdateEffectiveDate": date}
        publish(tenant, worker, f"applications/{app_id}/submissions", packageDeliveryOptions=options)
        urls = enroll(tenant, app_id, new_key(tenant, app_id), "m@example.com")
        document = valid_installer(installer(urls["appInstallerUrl"]).content)
        seen[when] = dict(document.find(f"{NAMESPACE}UpdateSettings/{NAMESPACE}OnLaunch").attrib)
    assert seen["before"] == {"HoursBetweenUpdateChecks": "24"}
    assert seen["after"] == {"HoursBetweenUpdateChecks": "24", "ShowPrompt": "true", "UpdateBlocksActivation": "true"}


def test_the_app_settings_shape_update_settings(tenant: Tenant, app: str) -> None:
    changes = {
        "hoursBetweenUpdateChecks": 0,
        "automaticBackgroundTask": True,
        "forceUpdateFromAnyVersion": True,
    }
    with tenant.server.store.transaction(write=True) as tx:
        service.update_settings(tx, tenant.tenant_id, app, changes, by=ADMIN)
    tenant.server.state.devices.forget()
    urls = enroll(tenant, app, new_key(tenant, app), "s@example.com")
    document = valid_installer(installer(urls["appInstallerUrl"]).content)
    update = document.find(f"{NAMESPACE}UpdateSettings")
    assert update.find(f"{NAMESPACE}OnLaunch").get("HoursBetweenUpdateChecks") == "0"
    assert update.find(f"{NAMESPACE}AutomaticBackgroundTask") is not None
    assert update.find(f"{NAMESPACE}ForceUpdateFromAnyVersion").text == "true"


def test_a_halted_rollout_gives_everyone_the_fallback_file(tenant: Tenant, app: str, worker: Worker) -> None:
    base = f"applications/{app}/submissions"
    options = {"packageRollout": {"isPackageRollout": True, "packageRolloutPercentage": 50.0}}
    sid = publish(tenant, worker, base, version="2.0.0.0", packageDeliveryOptions=options)
    key = new_key(tenant, app)
    customers = [f"user{i}@example.com" for i in range(30)]
    urls = {c: enroll(tenant, app, key, c)["appInstallerUrl"] for c in customers}
    versions = {c: valid_installer(installer(u).content).get("Version") for c, u in urls.items()}
    assert set(versions.values()) == {"1.2.3.0", "2.0.0.0"}  # 50%: some in, some out
    assert tenant.http.post(f"{base}/{sid}/haltpackagerollout").status_code == 200
    tenant.server.state.delivery.refresh()
    for customer, url in urls.items():
        document = valid_installer(installer(url).content)
        assert document.get("Version") == "1.2.3.0", customer
        assert document.find(f"{NAMESPACE}UpdateSettings/{NAMESPACE}ForceUpdateFromAnyVersion") is None


VCLIBS = ("Microsoft.VCLibs.140.00", "CN=Microsoft Corporation, O=Microsoft Corporation, L=Redmond, S=Washington, C=US")


def _framework(version: str, architecture: str, name: str = VCLIBS[0]) -> dict[str, str]:
    uri = f"https://frameworks.example/{name}.{architecture}.{version}.appx"
    return {"name": name, "publisher": VCLIBS[1], "version": version, "architecture": architecture, "uri": uri}


def test_a_package_lists_the_declared_frameworks_it_depends_on(tenant: Tenant, worker: Worker) -> None:
    name = "TestAppxPackage_x64.appx"  # its manifest depends on Microsoft.VCLibs.140.00 14.0.24123.0 or newer
    package = (corpus_dir() / "valid" / name).read_bytes()
    facts = EXPECTED["valid"][name]
    app_id = tenant.create_app(identity=facts["identityName"], publisher=facts["publisher"])
    files = [{"fileName": name, "fileStatus": "PendingUpload"}]
    submit(tenant, f"applications/{app_id}/submissions", files, zip_of({name: package}))
    drain(worker)
    good, old, other_arch = _framework("14.0.30704.0", "x64"), _framework("14.0.20000.0", "x64"), _framework(
        "14.0.30704.0", "x86"
    )
    unrelated = _framework("2.8.6.0", "x64", name="Microsoft.UI.Xaml.2.8")
    declared = [old, other_arch, good, unrelated]
    changed = tenant.http.patch(f"applications/{app_id}/devicesettings", json={"frameworks": declared})
    assert changed.status_code == 200 and changed.json()["frameworks"] == declared, changed.text
    urls = enroll(tenant, app_id, new_key(tenant, app_id), "fw@example.com", architecture="x64")
    response = installer(urls["appInstallerUrl"])
    assert response.status_code == 200, response.text
    document = valid_installer(response.content)
    listed = document.find(f"{NAMESPACE}Dependencies").findall(f"{NAMESPACE}Package")
    assert [dict(p.attrib) for p in listed] == [
        {
            "Name": good["name"],
            "Publisher": good["publisher"],
            "Version": good["version"],
            "ProcessorArchitecture": "x64",
            "Uri": good["uri"],
        }
    ]
    cleared = tenant.http.patch(f"applications/{app_id}/devicesettings", json={"frameworks": []})
    assert cleared.status_code == 200 and cleared.json()["frameworks"] == []
    tenant.server.state.devices.forget()
    assert valid_installer(installer(urls["appInstallerUrl"]).content).find(f"{NAMESPACE}Dependencies") is None


def test_framework_settings_are_checked_entry_by_entry(tenant: Tenant, app: str) -> None:
    bad = [
        ({"frameworks": "x"}, "frameworks must be a list"),
        ({"frameworks": [{"name": "A.B"}]}, "frameworks[0] must be an object"),
        ({"frameworks": [{**_framework("1.0.0.0", "x64"), "uri": "ftp://x/y"}]}, "frameworks[0].uri"),
        ({"frameworks": [_framework("1.0.0.0", "x64"), _framework("1.0", "x64")]}, "frameworks[1].version"),
        ({"frameworks": [_framework("1.0.0.0", "sparc")]}, "frameworks[0].architecture"),
    ]
    for body, message in bad:
        response = tenant.http.patch(f"applications/{app}/devicesettings", json=body)
        assert response.status_code == 400 and message in response.json()["message"], (body, response.text)
    assert tenant.http.get(f"applications/{app}/devicesettings").json()["frameworks"] == []  # nothing kept
