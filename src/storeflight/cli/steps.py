"""What `publish` and `storeflight submission` share: the package and delivery options, the changes they
make to a submission, the upload with its progress bar, and the wait with its live status line."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

from storeflight.cli.output import CliError, ExitCode, Output
from storeflight.cli.session import Session
from storeflight.client import Package, StoreClient, Submission, SubmissionStatus, build_package_zip
from storeflight.client.wait import Until


class PublishMode(StrEnum):
    IMMEDIATE = "Immediate"
    MANUAL = "Manual"
    SPECIFIC_DATE = "SpecificDate"


PackageFiles = Annotated[
    list[Path] | None,
    typer.Option("--add", exists=True, dir_okay=False, help="Add this package (.msix, .appx, bundles, ...); repeat."),
]
ReplaceFiles = Annotated[
    list[Path] | None,
    typer.Option(
        "--replace", exists=True, dir_okay=False, help="Mark every existing package PendingDelete and add this one."
    ),
]
RolloutOption = Annotated[
    float | None, typer.Option("--rollout", min=0.0, max=100.0, help="Gradual rollout at this percentage.")
]
NoRolloutOption = Annotated[bool, typer.Option("--no-rollout", help="Publish to everyone at once.")]
MandatoryOption = Annotated[
    bool | None, typer.Option("--mandatory/--not-mandatory", help="Mark the update mandatory (or not).")
]
MandatoryDate = Annotated[
    datetime | None, typer.Option("--mandatory-date", help="When the mandatory update takes effect (UTC).")
]
PublishModeOption = Annotated[
    PublishMode | None, typer.Option("--publish-mode", help="When to publish once certified.")
]
PublishDate = Annotated[datetime | None, typer.Option("--publish-date", help="With SpecificDate: when (UTC).")]
NotesOption = Annotated[str | None, typer.Option("--notes", help="Notes for certification.")]
TimeoutOption = Annotated[float, typer.Option("--timeout", min=0.0, help="Give up waiting after this many seconds.")]
PollOption = Annotated[float, typer.Option("--poll-interval", min=0.05, help="Seconds between status checks.")]


@dataclass
class Changes:
    """What `update` and `publish` change in a submission."""

    add: list[Path]
    replace: list[Path]
    rollout: float | None = None
    no_rollout: bool = False
    mandatory: bool | None = None
    mandatory_date: datetime | None = None
    publish_mode: PublishMode | None = None
    publish_date: datetime | None = None
    notes: str | None = None

    @property
    def uploads(self) -> list[Path]:
        return [*self.replace, *self.add]

    def check(self) -> None:
        names = [p.name for p in self.uploads]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise typer.BadParameter(f"package file names must be unique: {', '.join(twice)}")
        if self.rollout is not None and self.no_rollout:
            raise typer.BadParameter("--rollout and --no-rollout exclude each other")

    def apply(self, sub: Submission) -> None:
        self._packages(sub)
        if self.rollout is not None or self.no_rollout:
            rollout = sub.rollout()
            rollout.is_package_rollout = not self.no_rollout
            rollout.package_rollout_percentage = 0.0 if self.no_rollout else float(self.rollout or 0.0)
        if self.mandatory is not None or self.mandatory_date is not None:
            sub.rollout()  # makes packageDeliveryOptions exist
            assert sub.package_delivery_options is not None
            sub.package_delivery_options.is_mandatory_update = bool(self.mandatory or self.mandatory_date)
            sub.package_delivery_options.mandatory_update_effective_date = self.mandatory_date
        if self.publish_mode is not None:
            sub.target_publish_mode = self.publish_mode.value
        if self.publish_date is not None:
            sub.target_publish_date = self.publish_date
        if self.notes is not None:
            sub.notes_for_certification = self.notes

    def _packages(self, sub: Submission) -> None:
        if self.replace:
            for package in sub.application_packages:
                package.file_status = "PendingDelete"
        current = {p.file_name.lower() for p in sub.application_packages if p.file_status != "PendingDelete"}
        clash = [p.name for p in self.add if p.name.lower() in current]
        if clash:
            raise CliError(
                ExitCode.VALIDATION,
                f"the submission already has {', '.join(clash)}",
                "use --replace to swap every package, or rename the file",
            )
        sub.application_packages.extend(Package(file_name=p.name, file_status="PendingUpload") for p in self.uploads)


def upload(out: Output, client: StoreClient, sub: Submission, files: list[Path]) -> dict[str, float]:
    """Zip the packages and upload the ZIP to the submission's fileUploadUrl with a progress bar.

    Returns the seconds spent zipping and uploading (publish reports them)."""
    if not sub.file_upload_url:
        raise CliError(ExitCode.VALIDATION, f"submission {sub.id} has no fileUploadUrl (made in Partner Center?)")
    with tempfile.TemporaryDirectory(prefix="storeflight-upload-") as work:
        started = time.perf_counter()
        archive = build_package_zip(files, Path(work) / "packages.zip")
        zipped = time.perf_counter()
        with _progress(out, archive.stat().st_size) as report:
            client.upload(sub.file_upload_url, archive, progress=report)
        return {"zip": round(zipped - started, 4), "upload": round(time.perf_counter() - zipped, 4)}


@contextmanager
def _progress(out: Output, total: int) -> Iterator[Callable[[int, int], None]]:
    if not out.err.is_terminal or out.json:
        out.note(f"uploading {_size(total)} of packages ...")
        yield lambda _sent, _total: None
        out.note("upload finished")
        return
    columns = ("{task.description}", BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, console=out.err, transient=False) as bar:
        task = bar.add_task("uploading", total=total or None)
        yield lambda sent, size: bar.update(task, completed=sent, total=size)


def _size(count: int) -> str:
    return f"{count / 2**20:.1f} MiB" if count >= 2**20 else f"{count / 1024:.0f} KiB"


def wait(
    s: Session, app_id: str, sub_id: str, flight_id: str | None, timeout: float, poll: float, until: Until = "published"
) -> SubmissionStatus:
    """Poll until a final state, showing each new status (a live line on a terminal, else a line each)."""
    live = s.out.err.is_terminal and not s.out.json
    with s.out.err.status(f"submission {sub_id}: waiting ...") if live else nullcontext() as line:

        def show(status: SubmissionStatus) -> None:
            if line is not None:
                line.update(f"submission {sub_id}: [bold]{status.status}[/]")
            else:
                s.out.note(f"submission {sub_id}: {status.status}")

        return s.client.wait(
            app_id, sub_id, flight_id, timeout=timeout, poll_interval=poll, until=until, on_change=show
        )
