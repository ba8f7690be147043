"""StoreClient against a real storeflight server: every endpoint, paging, upload, wait, rollout, delivery."""

from __future__ import annotations

from pathlib import Path

import pytest

from storeflight.client import (
    AuthError,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    Package,
    StoreClient,
    Submission,
    SubmissionFailed,
    SubmissionStatus,
)
from tests.client.conftest import SimulatedTime, config_for, package_file
from tests.support import Tenant

PIPELINE = [
    "CommitStarted",
    "PreProcessing",
    "Certification",
    "Release",
    "PendingPublication",
    "Publishing",
    "Published",
]


def submit(
    client: StoreClient, app_id: str, flight_id: str | None, packages: list[Path], **fields: object
) -> Submission:
    """Create (or reuse the flight's first) submission, add the packages, PUT, upload and commit."""
    if flight_id is not None:
        pending = client.get_flight(app_id, flight_id).pending_flight_submission
        sub = client.get_submission(app_id, pending.id, flight_id) if pending else None
    else:
        sub = None
    sub = sub or client.create_submission(app_id, flight_id)
    sub.application_packages.extend(Package(file_name=p.name) for p in packages)
    for name, value in fields.items():
        setattr(sub, name, value)
    updated = client.update_submission(app_id, sub, flight_id)
    assert updated.file_upload_url
    client.upload_packages(updated.file_upload_url, packages)
    assert client.commit_submission(app_id, sub.id, flight_id).status == "CommitStarted"
    return updated


def test_applications_are_listed_a_page_at_a_time_and_iterated(tenant: Tenant, client: StoreClient) -> None:
    assert list(client.iter_applications()) == []  # the Store answers "no apps" with 404: an empty list here
    assert client.list_applications().value == []
    ids = [tenant.create_app() for _ in range(3)]
    page = client.list_applications(top=2)
    assert [a.id for a in page.value] == ids[:2]
    assert page.total_count == 3 and page.next_link is not None
    assert [a.id for a in client.iter_applications(page_size=2)] == ids
    app = client.get_application(ids[2])
    assert app.id == ids[2] and app.primary_name.startswith("App ")
    assert app.last_published_application_submission is not None  # the baseline
    assert app.pending_application_submission is None  # omitted key: None
    assert app.raw["id"] == ids[2]


def test_flights_can_be_created_listed_changed_and_deleted(client: StoreClient, app_id: str) -> None:
    assert client.list_flights(app_id) == []  # the Store answers 404 when an app has no flights
    group = client.create_group("insiders", ["a@example.com"])
    first = client.create_flight(app_id, "alpha", [group.id])
    second = client.create_flight(app_id, "beta", [group.id])
    third = client.create_flight(app_id, "gamma", [group.id], rank_higher_than="Non-flighted submission")
    assert first.pending_flight_submission is not None
    assert [f.friendly_name for f in client.list_flights(app_id, page_size=2)] == ["beta", "alpha", "gamma"]
    renamed = client.update_flight(app_id, first.flight_id, name="alpha-2", rank_higher_than="beta")
    assert renamed.friendly_name == "alpha-2" and renamed.group_ids == [group.id]
    assert [f.flight_id for f in client.list_flights(app_id)] == [first.flight_id, second.flight_id, third.flight_id]
    assert client.get_flight(app_id, first.flight_id).rank_higher_than == "beta"
    client.delete_flight(app_id, second.flight_id)
    with pytest.raises(NotFoundError):
        client.get_flight(app_id, second.flight_id)
    assert len(client.list_flights(app_id)) == 2


def test_list_flights_of_an_unknown_app_is_not_found(client: StoreClient) -> None:
    with pytest.raises(NotFoundError) as caught:
        client.list_flights("9ZZZZZZZZZZZ")
    assert caught.value.status == 404 and caught.value.code == "ResourceNotFound"


def test_groups_and_their_members(client: StoreClient) -> None:
    group = client.create_group("testers", ["B@example.com", "a@example.com"])
    assert group.member_count == 2 and group.created_date is not None
    assert client.list_members(group.id) == ["a@example.com", "b@example.com"]
    grown = client.add_members(group.id, ["c@example.com", "a@example.com"])
    assert grown.member_count == 3
    assert client.list_members(group.id, page_size=2) == ["a@example.com", "b@example.com", "c@example.com"]
    assert client.remove_members(group.id, ["b@example.com"]).member_count == 2
    assert client.rename_group(group.id, "renamed").name == "renamed"
    other = client.create_group("others")
    assert [g.id for g in client.list_groups(page_size=1)] == [group.id, other.id]
    client.delete_group(other.id)
    with pytest.raises(NotFoundError):
        client.get_group(other.id)


def test_a_flight_submission_goes_to_published_and_wait_reports_each_change(
    client: StoreClient, app_id: str, tmp_path: Path
) -> None:
    flight = client.create_flight(app_id, "beta", [client.create_group("g", ["x@example.com"]).id])
    sub = submit(client, app_id, flight.flight_id, [package_file(tmp_path)], notes_for_certification="Tested.")
    assert [p.file_status for p in sub.application_packages] == ["PendingUpload"]
    seen: list[SubmissionStatus] = []
    final = client.wait(app_id, sub.id, flight.flight_id, poll_interval=10, on_change=seen.append)
    assert final.status == "Published"
    assert [s.status for s in seen] == PIPELINE
    assert final.status_details.certification_reports  # the report link survives the model
    published = client.get_submission(app_id, sub.id, flight.flight_id)
    (package,) = published.flight_packages
    assert (package.file_status, package.version, package.architecture) == ("Uploaded", "1.2.3.0", "x64")
    assert client.get_flight(app_id, flight.flight_id).last_published_flight_submission.id == sub.id  # type: ignore[union-attr]


def test_upload_in_parallel_blocks_reports_progress(client: StoreClient, app_id: str, tmp_path: Path) -> None:
    sub = client.create_submission(app_id)
    package = package_file(tmp_path / "in", noise=300_000)
    sub.application_packages.append(Package(file_name=package.name))
    sub = client.update_submission(app_id, sub)
    calls: list[tuple[int, int]] = []
    assert sub.file_upload_url is not None
    client.upload_packages(sub.file_upload_url, [package], progress=lambda done, total: calls.append((done, total)))
    archive_size = calls[-1][1]
    assert calls[-1][0] == archive_size > package.stat().st_size
    # again in 64 KiB blocks, four at a time, then the block list: the pipeline accepts what arrived
    blocks: list[int] = []
    client.upload_packages(sub.file_upload_url, [package], block_size=64 * 1024, progress=lambda d, _: blocks.append(d))
    assert len(blocks) >= 3 and blocks[-1] == archive_size
    client.commit_submission(app_id, sub.id)
    assert client.wait(app_id, sub.id).status == "Published"


def test_an_upload_with_a_forged_signature_is_an_auth_error(client: StoreClient, app_id: str, tmp_path: Path) -> None:
    sub = client.create_submission(app_id)
    assert sub.file_upload_url is not None and "sig=" in sub.file_upload_url
    forged = sub.file_upload_url.replace("sig=", "sig=AAAA")
    with pytest.raises(AuthError) as caught:
        client.upload_packages(forged, [package_file(tmp_path)])
    assert caught.value.status == 403 and caught.value.code == "AuthenticationFailed"
    assert "upload failed" in caught.value.message


def test_manual_mode_rests_in_release_until_published(client: StoreClient, app_id: str, tmp_path: Path) -> None:
    sub = submit(client, app_id, None, [package_file(tmp_path)], target_publish_mode="Manual")
    resting = client.wait(app_id, sub.id)
    assert resting.status == "Release"  # it would not move without someone publishing it
    assert client.wait(app_id, sub.id, until="certified").status == "Release"
    assert client.publish_submission(app_id, sub.id).status == "Release"
    assert client.wait(app_id, sub.id).status == "Published"  # this client published it: wait goes on


def test_a_failed_submission_raises_with_its_errors(client: StoreClient, app_id: str) -> None:
    sub = client.create_submission(app_id)
    sub.application_packages.append(Package(file_name="missing.msix"))
    client.update_submission(app_id, sub)
    client.commit_submission(app_id, sub.id)  # nothing uploaded
    with pytest.raises(SubmissionFailed) as caught:
        client.wait(app_id, sub.id)
    assert caught.value.status_obj.status == "CommitFailed"
    assert caught.value.status_obj.status_details.errors[0].code == "InvalidArchive"
    client.delete_submission(app_id, sub.id)
    with pytest.raises(NotFoundError):
        client.get_submission(app_id, sub.id)


def test_wait_on_an_uncommitted_submission_fails_at_once(client: StoreClient, app_id: str) -> None:
    sub = client.create_submission(app_id)
    with pytest.raises(SubmissionFailed) as caught:
        client.wait(app_id, sub.id)
    assert caught.value.status_obj.status == "PendingCommit"


def test_rollout_set_halt_and_finalize(client: StoreClient, app_id: str, tmp_path: Path) -> None:
    group = client.create_group("ring", [f"user{i}@example.com" for i in range(20)])
    subs = {}
    for name in ("halted", "finalized"):
        flight = client.create_flight(app_id, name, [group.id])
        subs[name] = (flight.flight_id, _rollout_submission(client, app_id, flight.flight_id, tmp_path / name))
    flight_id, sid = subs["halted"]
    rollout = client.get_rollout(app_id, sid, flight_id)
    assert (rollout.package_rollout_status, rollout.package_rollout_percentage) == ("PackageRolloutInProgress", 10.0)
    assert rollout.fallback_submission_id != "0"
    assert client.set_rollout_percentage(app_id, sid, 50.5, flight_id).package_rollout_percentage == 50.5
    halted = client.halt_rollout(app_id, sid, flight_id)
    assert (halted.package_rollout_status, halted.package_rollout_percentage) == ("PackageRolloutStopped", 0.0)
    with pytest.raises(ConflictError) as caught:
        client.halt_rollout(app_id, sid, flight_id)
    assert caught.value.code == "InvalidState"
    flight_id, sid = subs["finalized"]
    done = client.finalize_rollout(app_id, sid, flight_id)
    assert (done.package_rollout_status, done.package_rollout_percentage) == ("PackageRolloutComplete", 100.0)


def _rollout_submission(client: StoreClient, app_id: str, flight_id: str, folder: Path) -> str:
    pending = client.get_flight(app_id, flight_id).pending_flight_submission
    assert pending is not None
    sub = client.get_submission(app_id, pending.id, flight_id)
    rollout = sub.rollout()
    rollout.is_package_rollout, rollout.package_rollout_percentage = True, 10.0
    package = package_file(folder, version="2.0.0.0")
    sub.application_packages.append(Package(file_name=package.name))
    url = client.update_submission(app_id, sub, flight_id).file_upload_url
    assert url is not None
    client.upload_packages(url, [package])
    client.commit_submission(app_id, sub.id, flight_id)
    assert client.wait(app_id, sub.id, flight_id).status == "Published"
    return sub.id


def test_delivery_explains_which_flight_a_customer_gets(client: StoreClient, app_id: str, tmp_path: Path) -> None:
    group = client.create_group("ring", ["member@example.com"])
    flight = client.create_flight(app_id, "ring", [group.id])
    sub = submit(client, app_id, flight.flight_id, [package_file(tmp_path, version="3.0.0.0")])
    client.wait(app_id, sub.id, flight.flight_id)
    answer = client.check_delivery(app_id, "member@example.com", explain=True, os_version="10.0.19045.0")
    assert (answer.source, answer.flight_id, answer.submission_id) == ("flight", flight.flight_id, sub.id)
    (package,) = answer.packages
    assert package.version == "3.0.0.0" and len(package.sha256) == 64 and package.size > 0
    assert answer.explanation is not None and answer.explanation.chosen_flight == flight.flight_id
    outsider = client.check_delivery(app_id, "someone@example.com")
    assert outsider.source != "flight" and outsider.explanation is None


def test_app_submissions_are_created_updated_and_deleted(client: StoreClient, app_id: str) -> None:
    sub = client.create_submission(app_id)
    assert sub.flight_id is None and sub.status == "PendingCommit" and sub.target_publish_date is None
    sub.notes_for_certification = "Please look at the helper."
    updated = client.update_submission(app_id, sub)
    assert updated.notes_for_certification == "Please look at the helper."
    assert client.get_status(app_id, sub.id).status == "PendingCommit"
    client.delete_submission(app_id, sub.id)
    assert client.get_application(app_id).pending_application_submission is None


def test_errors_carry_status_code_message_and_correlation_id(client: StoreClient, app_id: str) -> None:
    with pytest.raises(NotFoundError) as missing:
        client.get_flight(app_id, "00000000-0000-0000-0000-000000000000")
    error = missing.value
    assert (error.status, error.code) == (404, "ResourceNotFound")
    assert error.message and error.correlation_id and error.correlation_id in str(error)
    flight = client.create_flight(app_id, "beta", [client.create_group("g").id])
    with pytest.raises(ConflictError) as conflict:
        client.create_submission(app_id, flight.flight_id)  # the flight's first submission is still pending
    assert (conflict.value.status, conflict.value.code) == (409, "InvalidState")
    with pytest.raises(InvalidRequestError) as invalid:
        client.create_flight(app_id, "other", ["1234567890123456789"])
    assert (invalid.value.status, invalid.value.code) == (400, "InvalidParameterValue")


def test_wrong_credentials_are_an_auth_error(tenant: Tenant) -> None:
    config = config_for(tenant, client_secret="wrong")
    with StoreClient(config) as client, pytest.raises(AuthError) as caught:
        client.list_applications()
    assert (caught.value.status, caught.value.code) == (401, "invalid_client")


def test_the_v2_token_endpoint_works_too(tenant: Tenant, time_: SimulatedTime) -> None:
    tenant.create_app()
    with StoreClient(config_for(tenant, token_version="v2"), sleep=time_.sleep, clock=time_.clock) as client:
        assert len(client.list_applications().value) == 1
        assert client.token_fetches == 1
