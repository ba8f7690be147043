"""The changes `publish` and `submission update` make to a submission, on the client's own model."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from storeflight.cli.output import CliError, ExitCode
from storeflight.cli.steps import Changes, PublishMode
from storeflight.client import Submission


def _submission(*files: str) -> Submission:
    packages = [{"fileName": name, "fileStatus": "Uploaded"} for name in files]
    return Submission.model_validate({"id": "1", "status": "PendingCommit", "applicationPackages": packages})


def test_add_keeps_the_packages_and_replace_marks_them_pending_delete() -> None:
    added = _submission("old.msix")
    Changes([Path("new.msix")], []).apply(added)
    assert [(p.file_name, p.file_status) for p in added.application_packages] == [
        ("old.msix", "Uploaded"),
        ("new.msix", "PendingUpload"),
    ]
    replaced = _submission("old.msix")
    Changes([], [Path("new.msix")]).apply(replaced)
    assert [(p.file_name, p.file_status) for p in replaced.application_packages] == [
        ("old.msix", "PendingDelete"),
        ("new.msix", "PendingUpload"),
    ]


def test_adding_a_file_the_submission_has_is_a_validation_error() -> None:
    with pytest.raises(CliError) as raised:
        Changes([Path("OLD.msix")], []).apply(_submission("old.msix"))
    assert raised.value.code == ExitCode.VALIDATION


def test_rollout_mandatory_mode_and_notes_are_set_even_without_delivery_options() -> None:
    sub = _submission()
    Changes([], [], rollout=25, mandatory=True, publish_mode=PublishMode.MANUAL, notes="hi").apply(sub)
    options = sub.package_delivery_options
    assert options is not None and options.package_rollout is not None
    assert (options.package_rollout.is_package_rollout, options.package_rollout.package_rollout_percentage) == (
        True,
        25.0,
    )
    assert options.is_mandatory_update is True
    assert (sub.target_publish_mode, sub.notes_for_certification) == ("Manual", "hi")


@pytest.mark.parametrize(
    "changes",
    [Changes([Path("a/x.msix"), Path("b/x.msix")], []), Changes([], [], rollout=10, no_rollout=True)],
)
def test_contradictory_options_are_refused(changes: Changes) -> None:
    with pytest.raises(typer.BadParameter):
        changes.check()
