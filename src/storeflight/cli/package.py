"""`storeflight package new|check`: build a test package of your own identity, and check package files locally.

`new` writes a small, valid, unsigned MSIX (the same writer the demo uses), enough to publish an app end to
end. `check` runs the validator the server's pipeline runs, on this machine, before anything is uploaded;
`publish` and `submission update` run it too, so a file the pipeline would refuse never creates a submission.
The validator is imported only when a file is checked, which keeps every other command quick to start.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from storeflight.cli.output import CliError, ExitCode, JsonOption, Output, guard

if TYPE_CHECKING:
    from storeflight.ingest.info import PackageInfo

app = typer.Typer(
    rich_markup_mode=None,
    help="Build a test package, or check package files as the server would.",
    no_args_is_help=True,
)

_HINT = "fix the package, or check it with `storeflight package check FILE`"


def check_files(files: list[Path]) -> list[PackageInfo]:
    """Validate each package file as the pipeline does; CliError (validation) naming the first defect."""
    from storeflight.ingest.archive import ArchiveLimits  # noqa: PLC0415 - imported only when a file is checked
    from storeflight.ingest.packages import PackageInvalid, validate_package  # noqa: PLC0415

    found = []
    for path in files:
        try:
            found.append(validate_package(path, path.name, ArchiveLimits()))
        except PackageInvalid as invalid:
            raise CliError(ExitCode.VALIDATION, f"not a valid package: {invalid.details}", _HINT) from None
        except OSError as error:
            raise CliError(ExitCode.VALIDATION, f"cannot read {path}: {error.strerror or error}") from None
    return found


def _summary(info: PackageInfo) -> dict[str, Any]:
    architectures = sorted({p.architecture for p in info.payload} or {info.architecture})
    return {
        "fileName": info.file_name,
        "kind": info.kind,
        "identityName": info.identity_name,
        "publisher": info.publisher,
        "version": info.version,
        "architectures": architectures,
        "targetDeviceFamilies": info.target_device_families,
        "size": info.size,
        "sha256": info.sha256,
    }


@app.command("check")
def check(
    files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, help="Package files to check.")],
    json_output: JsonOption = False,
) -> None:
    """Check package files with the server's validator (block map, manifests, bundle payloads)."""
    out = Output(json_output)
    with guard(out):
        shown = [_summary(info) for info in check_files(files)]
    rows = [(s["fileName"], s["identityName"], s["version"], ", ".join(s["architectures"])) for s in shown]
    out.result(shown, lambda: out.table("valid packages", ["file", "identity", "version", "architectures"], rows))


@app.command("new")
def new(
    identity: Annotated[str, typer.Option("--identity", help="Identity name, e.g. Contoso.Notes.")],
    publisher: Annotated[str, typer.Option("--publisher", help='Publisher, e.g. "CN=Contoso".')],
    version: Annotated[str, typer.Option("--version", help="Four-part version.")] = "1.0.0.0",
    architecture: Annotated[str, typer.Option("--architecture", help="x64, x86, arm64, arm or neutral.")] = "x64",
    device_family: Annotated[str, typer.Option("--device-family", help="Target device family.")] = "Windows.Desktop",
    min_os: Annotated[str, typer.Option("--min-os", help="Minimum OS version.")] = "10.0.17763.0",
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="File to write (default: a name from the identity, version and architecture, in this folder).",
        ),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Write a small valid (unsigned) MSIX of this identity, e.g. to publish the README's app end to end."""
    from storeflight.msixbuild import PackageSpec, write_msix  # noqa: PLC0415

    architecture = _checked(identity, version, architecture)
    target = output or Path(f"{identity}_{version}_{architecture}.msix")
    spec = PackageSpec(identity, publisher, version, architecture, identity, device_family, min_os)
    out = Output(json_output)
    with guard(out):
        try:
            write_msix(target, spec)
        except OSError as error:
            raise CliError(ExitCode.ERROR, f"cannot write {target}: {error.strerror or error}") from None
        try:
            summary = _summary(check_files([target])[0])  # what the server will read from it
        except CliError:
            target.unlink(missing_ok=True)
            raise
    summary["path"] = str(target)
    out.result(summary, lambda: out.say(f"wrote {target} ({identity} {version} {architecture})"))


def _checked(identity: str, version: str, architecture: str) -> str:
    """The options the package's manifest will carry, checked by the validator's own rules (usage errors)."""
    from storeflight.ingest.errors import Defect  # noqa: PLC0415
    from storeflight.ingest.manifest import check_architecture, check_identity_name, check_version  # noqa: PLC0415

    for check, value, option in ((check_identity_name, identity, "--identity"), (check_version, version, "--version")):
        try:
            check(value, option)
        except Defect as defect:
            raise typer.BadParameter(defect.message, param_hint=option) from None
    try:
        return check_architecture(architecture, "--architecture")
    except Defect as defect:
        raise typer.BadParameter(defect.message, param_hint="--architecture") from None
