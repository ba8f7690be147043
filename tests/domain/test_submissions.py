"""Pure submission rules: clone, PUT merge, package paths, percentages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storeflight.domain.errors import InvalidParameterValue
from storeflight.domain.lifecycle import Status
from storeflight.domain.models import FileStatus, Origin, Package, PackageRollout, RolloutStatus
from storeflight.domain.submissions import (
    Identity,
    PackageChange,
    SubmissionUpdate,
    apply_update,
    check_package_path,
    check_percentage,
    clone,
    fresh,
    merge_packages,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _identity(n: int = 1) -> Identity:
    return Identity(
        id=str(n),
        tenant_id="t",
        app_id="A",
        flight_id="f",
        origin=Origin.API,
        upload_blob_id=f"blob-{n}",
        upload_expires_at=NOW + timedelta(days=1),
        now=NOW,
    )


def _uploaded(name: str, pid: str) -> Package:
    return Package(file_name=name, file_status=FileStatus.UPLOADED, id=pid, version="1.0.0.0", architecture="x64")


def test_clone_copies_settings_and_resets_status_rollout_and_upload() -> None:
    source = fresh(_identity(1)).model_copy(
        update={
            "status": Status.PUBLISHED,
            "notes_for_certification": "n",
            "packages": [
                _uploaded("a.msix", "11"),
                _uploaded("gone.msix", "12").model_copy(update={"file_status": FileStatus.PENDING_DELETE}),
            ],
            "delivery": fresh(_identity()).delivery.model_copy(
                update={
                    "rollout": PackageRollout(
                        is_package_rollout=True,
                        percentage=50.0,
                        status=RolloutStatus.IN_PROGRESS,
                        fallback_submission_id="9",
                    )
                }
            ),
        }
    )
    copy = clone(source, _identity(2))
    assert copy.status == Status.PENDING_COMMIT and copy.id == "2" and copy.upload_blob_id == "blob-2"
    assert [p.file_name for p in copy.packages] == ["a.msix"]
    assert copy.packages[0].version == "1.0.0.0"
    assert copy.delivery.rollout == PackageRollout()
    assert copy.notes_for_certification == "n"


def test_merge_keeps_metadata_marks_deletes_and_adds_new_packages() -> None:
    current = [_uploaded("a.msix", "11"), _uploaded("b.msix", "12")]
    result = merge_packages(
        current,
        [
            PackageChange(file_name="a.msix", file_status=FileStatus.UPLOADED),
            PackageChange(file_name="renamed-by-client", file_status=FileStatus.PENDING_DELETE, id="12"),
            PackageChange(file_name="c.msix", file_status=FileStatus.PENDING_UPLOAD),
        ],
    )
    assert [(p.file_name, p.file_status, p.version) for p in result] == [
        ("a.msix", FileStatus.UPLOADED, "1.0.0.0"),
        ("b.msix", FileStatus.PENDING_DELETE, "1.0.0.0"),
        ("c.msix", FileStatus.PENDING_UPLOAD, ""),
    ]


def test_a_package_left_out_of_the_put_is_dropped() -> None:
    assert merge_packages([_uploaded("a.msix", "11")], []) == []


def _change(name: str, status: FileStatus) -> PackageChange:
    return PackageChange(file_name=name, file_status=status)


DELETE, UPLOAD, KEEP = FileStatus.PENDING_DELETE, FileStatus.PENDING_UPLOAD, FileStatus.UPLOADED


@pytest.mark.parametrize("order", [(DELETE, UPLOAD), (UPLOAD, DELETE)])
def test_one_name_may_leave_and_arrive_in_the_same_put(order: tuple[FileStatus, FileStatus]) -> None:
    current = [_uploaded("installer.msix", "11")]
    result = merge_packages(current, [_change("installer.msix", status) for status in order])
    assert sorted((p.file_status, p.id, p.version) for p in result) == [
        (DELETE, "11", "1.0.0.0"), (UPLOAD, "", ""),
    ]


def test_the_same_replacement_put_twice_gives_the_same_list() -> None:
    """StoreBroker-style clients PUT the whole object again: the PendingUpload entry stays new."""
    changes = [_change("installer.msix", DELETE), _change("installer.msix", UPLOAD)]
    once = merge_packages([_uploaded("installer.msix", "11")], changes)
    assert merge_packages(once, changes) == once


@pytest.mark.parametrize(
    "statuses",
    [(UPLOAD, UPLOAD), (KEEP, KEEP), (KEEP, UPLOAD), (UPLOAD, KEEP), (DELETE, DELETE), (KEEP, DELETE),
     (DELETE, UPLOAD, UPLOAD), (DELETE, UPLOAD, DELETE)],
)
def test_other_repeats_of_a_name_stay_refused(statuses: tuple[FileStatus, ...]) -> None:
    current = [_uploaded("installer.msix", "11")]
    with pytest.raises(InvalidParameterValue, match="listed twice"):
        merge_packages(current, [_change("installer.msix", status) for status in statuses])


def test_pending_delete_of_a_new_package_is_refused() -> None:
    current = [Package(file_name="new.msix", file_status=FileStatus.PENDING_UPLOAD)]
    with pytest.raises(InvalidParameterValue, match=r"new\.msix"):
        merge_packages(current, [PackageChange(file_name="new.msix", file_status=FileStatus.PENDING_DELETE)])


def test_apply_update_changes_only_what_was_sent() -> None:
    base = fresh(_identity()).model_copy(update={"notes_for_certification": "keep"})
    updated = apply_update(base, SubmissionUpdate(is_package_rollout=True, package_rollout_percentage=12.5))
    assert updated.notes_for_certification == "keep"
    assert updated.delivery.rollout.is_package_rollout and updated.delivery.rollout.percentage == 12.5
    assert updated.delivery.rollout.status == RolloutStatus.NOT_STARTED


@pytest.mark.parametrize(
    "name",
    [
        "",
        " ",
        "/abs.msix",
        "\\abs.msix",
        "C:/x.msix",
        "a/../b.msix",
        "a//b.msix",
        "./a.msix",
        "a\x00.msix",
        "a/",
        "x" * 1025,
    ],
)
def test_bad_package_paths_are_refused(name: str) -> None:
    with pytest.raises(InvalidParameterValue):
        check_package_path(name)


@pytest.mark.parametrize("name", ["a.msix", "dir/sub/a.appxbundle", "0_app.msixupload", "महसुस.appx"])
def test_relative_package_paths_are_accepted(name: str) -> None:
    check_package_path(name)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_percentage_is_accepted_exactly_within_0_to_100(value: float) -> None:
    if 0.0 <= value <= 100.0:
        assert check_percentage(value) == value
    else:
        with pytest.raises(InvalidParameterValue):
            check_percentage(value)


def test_a_clone_of_a_halted_submission_keeps_its_rollout_order() -> None:
    halted = fresh(_identity(1)).model_copy(
        update={
            "status": Status.PUBLISHED,
            "rollout_seed": "seed-of-1",
            "delivery": fresh(_identity()).delivery.model_copy(
                update={"rollout": PackageRollout(is_package_rollout=True, status=RolloutStatus.STOPPED)}
            ),
        }
    )
    assert clone(halted, _identity(2)).rollout_seed == "seed-of-1"
    finalized = halted.model_copy(
        update={
            "delivery": halted.delivery.model_copy(
                update={
                    "rollout": PackageRollout(is_package_rollout=True, percentage=100.0, status=RolloutStatus.COMPLETE)
                }
            )
        }
    )
    assert clone(finalized, _identity(3)).rollout_seed == ""
