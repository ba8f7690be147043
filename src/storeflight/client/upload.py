"""Packages to `fileUploadUrl`: one ZIP with every package at its root, uploaded in blocks with the Azure SDK."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

from azure.core.exceptions import AzureError, HttpResponseError, ServiceRequestError, ServiceResponseError
from azure.storage.blob import BlobClient

from storeflight.client.errors import NetworkError, StoreError, error_class

Progress = Callable[[int, int], None]
BLOCK_SIZE = 4 * 1024 * 1024


def build_package_zip(packages: list[Path], dest: Path) -> Path:
    """Write `dest`: each package at the ZIP's root under its base name, which is the `fileName` to use.

    Packages are already compressed, so they are stored as they are. Two packages with the same base name
    (compared without case, as Windows does) are refused, as is a missing file.
    """
    names: dict[str, Path] = {}
    for package in packages:
        path = Path(package)
        if not path.is_file():
            raise FileNotFoundError(f"no package file at {path}")
        key = path.name.lower()
        if key in names:
            raise ValueError(f"two packages are named {path.name}: {names[key]} and {path}")
        names[key] = path
    if not names:
        raise ValueError("no packages to put in the ZIP")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for path in names.values():
            archive.write(path, arcname=path.name)
    return dest


def upload_file(
    upload_url: str,
    zip_path: Path,
    *,
    progress: Progress | None = None,
    concurrency: int = 4,
    block_size: int = BLOCK_SIZE,
    verify: bool | str = True,
) -> None:
    """Upload `zip_path` to the SAS URL with azure-storage-blob: Put Block in parallel, then Put Block List.

    `progress(sent, total)` is called as bytes go out (the SDK's `progress_hook`). Azure errors become
    StoreError subclasses carrying the HTTP status and Azure's error code.
    """
    total = zip_path.stat().st_size
    blob = BlobClient.from_blob_url(
        upload_url.replace("+", "%2B"),  # the service once sent unencoded base64 signatures
        max_block_size=block_size,
        max_single_put_size=block_size,
        connection_verify=verify,
    )

    def hook(current: int, maybe_total: int | None) -> None:
        if progress is not None:
            progress(current, maybe_total or total)

    try:
        with blob, zip_path.open("rb") as data:
            blob.upload_blob(data, length=total, overwrite=True, max_concurrency=concurrency, progress_hook=hook)
    except AzureError as error:
        raise _store_error(error) from error


def _store_error(error: AzureError) -> StoreError:
    if isinstance(error, HttpResponseError) and error.status_code is not None:
        status = int(error.status_code)
        headers = getattr(error.response, "headers", None) or {}
        return error_class(status)(
            f"upload failed: {error.reason or error.message}",
            status=status,
            code=getattr(error, "error_code", None),
            correlation_id=headers.get("x-ms-request-id"),
        )
    if isinstance(error, ServiceRequestError | ServiceResponseError):
        return NetworkError(f"upload failed: {error.message}")
    return StoreError(f"upload failed: {error.message}")
