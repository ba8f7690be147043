"""Small builders for delivery snapshots."""

from __future__ import annotations

from storeflight.delivery import NO_FALLBACK, AppView, Device, FlightView, PackageView, Rollout, SubmissionView

DESKTOP = (("Windows.Desktop", "10.0.17763.0"),)


def package(version: str, arch: str = "x64", families: tuple[tuple[str, str], ...] = DESKTOP) -> PackageView:
    return PackageView(f"p-{version}-{arch}", f"app_{version}_{arch}.msix", version, arch, families, 100, "ab" * 32)


def submission(
    sub_id: str,
    version: str,
    *,
    rollout: str | None = None,
    percentage: float = 0.0,
    fallback: str = NO_FALLBACK,
    seed: str | None = None,
    mandatory: bool = False,
) -> SubmissionView:
    return SubmissionView(
        sub_id,
        (package(version),),
        is_rollout=rollout is not None,
        percentage=percentage,
        rollout_status=rollout or Rollout.NOT_STARTED,
        fallback_id=fallback,
        seed=seed or f"seed-{sub_id}",
        is_mandatory=mandatory,
    )


def app(
    non_flighted: SubmissionView | None,
    flights: tuple[FlightView, ...] = (),
    extra: tuple[SubmissionView, ...] = (),
    seek: bool = False,
) -> AppView:
    subs = [s for s in (non_flighted, *extra, *(f.latest for f in flights)) if s is not None]
    return AppView("app", non_flighted, flights, {s.id: s for s in subs}, is_seek_enabled=seek)


def device(customer: str = "c@example.com", installed: str | None = None, **kw: object) -> Device:
    values: dict[str, object] = {
        "device_family": "Windows.Desktop",
        "os_version": "10.0.19045.0",
        "architecture": "x64",
    }
    values.update(kw)
    return Device(customer, installed_version=installed, **values)  # type: ignore[arg-type]
