"""A small reference updater for apps that do not use App Installer: check, download, verify, report.

It speaks storeflight's device endpoints only, with a delivery key and a customer id or with a per-device URL
(`DeviceEndpoint`): `check` asks for the device's decision, `download` fetches the offered package into a
folder, resuming a partial file with an HTTP Range request and checking size and SHA-256, and `report` posts
events (each with its own id, so a batch sent again after a lost answer counts once). `update` does the
three in order and reports `installed`, or `updateFailed` with an error code. Installing the package itself
is the caller's (`install`); without one, the verified file is taken as installed.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

CHUNK = 1 << 20
VERIFY_FAILED = "0x8008020C"  # what this updater reports when a download does not match its SHA-256 or size
DOWNLOAD_FAILED = "0x80072EFD"  # a download that could not complete
INSTALL_FAILED = "0x80073CF3"  # the caller's install step raised


class UpdateError(Exception):
    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class DeviceEndpoint:
    """Where a device asks: `base` is `.../devices/v1/d/{token}` or `.../devices/v1/apps/{appId}` (then with
    `key` and `customer_id`)."""

    base: str
    key: str | None = None
    customer_id: str | None = None

    @classmethod
    def with_key(cls, server: str, app_id: str, key: str, customer_id: str) -> DeviceEndpoint:
        return cls(f"{server.rstrip('/')}/devices/v1/apps/{quote(app_id, safe='')}", key, customer_id)

    @classmethod
    def with_url(cls, device_url: str) -> DeviceEndpoint:
        return cls(device_url.rstrip("/"))

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"} if self.key else {}

    @property
    def params(self) -> dict[str, str]:
        return {"customerId": self.customer_id} if self.customer_id else {}


@dataclass(frozen=True)
class Offer:
    submission_id: str
    package_id: str
    file_name: str
    version: str
    size: int
    sha256: str
    url: str


@dataclass
class Outcome:
    offer: Offer | None  # None: nothing newer to install
    installed: str | None  # the version installed afterwards
    error: UpdateError | None = None
    reports: list[dict[str, Any]] = field(default_factory=list)  # the answers of the report posts


class Updater:
    """One device's updater. `installed_version` is what the device runs now (None: not installed)."""

    def __init__(
        self,
        endpoint: DeviceEndpoint,
        folder: Path,
        *,
        installed_version: str | None = None,
        architecture: str = "x64",
        device_family: str = "Windows.Desktop",
        os_version: str = "10.0.22621.0",
        http: httpx.Client | None = None,
    ) -> None:
        self.endpoint, self.folder = endpoint, Path(folder)
        self.installed_version = installed_version
        self.device = {"architecture": architecture, "deviceFamily": device_family, "osVersion": os_version}
        self.http = http or httpx.Client(timeout=30)
        self.pending: list[dict[str, Any]] = []  # events not yet acknowledged by the server

    def _url(self, path: str) -> str:
        return f"{self.endpoint.base}/{path}"

    def check(self) -> Offer | None:
        """The package the server offers this device, or None when there is nothing newer."""
        params = {**self.endpoint.params, **self.device}
        if self.installed_version:
            params["installedVersion"] = self.installed_version
        answer = self.http.get(self._url("decision"), params=params, headers=self.endpoint.headers)
        answer.raise_for_status()
        body = answer.json()
        packages = body.get("packages") or []
        if not packages or packages[0].get("version") == self.installed_version:
            return None
        p = packages[0]
        url = p.get("downloadUrl") or self._url(f"packages/{quote(p['id'], safe='')}/{quote(p['fileName'], safe='')}")
        return Offer(body["submissionId"], p["id"], p["fileName"], p["version"], int(p["size"]), p["sha256"], url)

    def download(self, offer: Offer, *, stop_after: int | None = None) -> Path:
        """The verified package file; resumes a partial download left in the folder. `stop_after` bytes (for
        tests) leaves the download unfinished, as a lost connection would."""
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / f"{offer.package_id}-{offer.file_name}"
        partial = target.with_name(target.name + ".partial")
        have = partial.stat().st_size if partial.exists() else 0
        headers = {**self.endpoint.headers, **({"Range": f"bytes={have}-"} if have else {})}
        try:
            with self.http.stream("GET", offer.url, headers=headers, follow_redirects=True) as answer:
                if answer.status_code == 416 and have == offer.size:
                    pass  # complete already: verify below
                elif answer.status_code == 416:
                    partial.unlink()  # not a prefix of this package: start over next time
                    raise UpdateError("the partial download does not fit the package", DOWNLOAD_FAILED)
                elif answer.status_code == 206 and have:
                    self._write(answer, partial, "ab", stop_after)
                elif answer.status_code == 200:
                    self._write(answer, partial, "wb", stop_after)  # no resume offered: start over
                else:
                    raise UpdateError(f"download answered {answer.status_code}", DOWNLOAD_FAILED)
        except httpx.HTTPError as error:
            raise UpdateError(f"download failed: {error}", DOWNLOAD_FAILED) from error
        if stop_after is not None and partial.stat().st_size < offer.size:
            raise UpdateError("download interrupted", DOWNLOAD_FAILED)
        self._verify(partial, offer)
        partial.replace(target)
        return target

    @staticmethod
    def _write(answer: httpx.Response, partial: Path, mode: str, stop_after: int | None) -> None:
        written = 0
        with partial.open(mode) as out:
            for chunk in answer.iter_bytes(CHUNK):
                if stop_after is not None and written + len(chunk) > stop_after:
                    out.write(chunk[: stop_after - written])
                    return
                out.write(chunk)
                written += len(chunk)

    @staticmethod
    def _verify(partial: Path, offer: Offer) -> None:
        digest = hashlib.sha256()
        with partial.open("rb") as source:
            for chunk in iter(lambda: source.read(CHUNK), b""):
                digest.update(chunk)
        if partial.stat().st_size != offer.size or digest.hexdigest() != offer.sha256.lower():
            partial.unlink()
            raise UpdateError("the download does not match its size and SHA-256", VERIFY_FAILED)

    def event(self, kind: str, version: str | None = None, **extra: Any) -> None:
        """Queue an event (sent by the next `report`)."""
        self.pending.append(
            {"id": str(uuid.uuid4()), "type": kind, "version": version or self.installed_version, **extra}
        )

    def report(self) -> dict[str, Any] | None:
        """Send the queued events; kept queued (and sent again, counted once) if the answer is lost."""
        if not self.pending:
            return None
        answer = self.http.post(
            self._url("reports"),
            json={"events": self.pending},
            params=self.endpoint.params,
            headers=self.endpoint.headers,
        )
        answer.raise_for_status()
        self.pending = []
        body: dict[str, Any] = answer.json()
        return body

    def update(self, install: Callable[[Path, Offer], None] | None = None) -> Outcome:
        """Check, download, verify, install and report the outcome."""
        offer = self.check()
        if offer is None:
            return Outcome(None, self.installed_version)
        try:
            path = self.download(offer)
            if install is not None:
                try:
                    install(path, offer)
                except Exception as error:
                    raise UpdateError(f"install failed: {error}", INSTALL_FAILED) from error
        except UpdateError as error:
            self.event("updateFailed", offer.version, errorCode=error.code, submissionId=offer.submission_id)
            outcome = Outcome(offer, self.installed_version, error)
        else:
            self.installed_version = offer.version
            self.event("installed", offer.version, submissionId=offer.submission_id, packageId=offer.package_id)
            outcome = Outcome(offer, offer.version)
        sent = self.report()
        outcome.reports = [sent] if sent is not None else []
        return outcome
