"""Blob storage for uploaded archives, behind a small Protocol (`protocol.py`).

Backends: `local.py` (files in the data folder, served by `http/blobs.py`; the default) and `azure.py`
(Azure Blob Storage, which clients upload to directly). `open_blob_store` picks one from the settings.
"""

from __future__ import annotations

from collections.abc import Callable

from storeflight.blobs.local import LocalBlobStore
from storeflight.blobs.protocol import BlobStore, BlockLimits
from storeflight.config import Settings
from storeflight.signing.keys import KeyPair

BACKENDS = ("local", "azure")


def open_blob_store(settings: Settings, *, sas_key: str | Callable[[], KeyPair]) -> BlobStore:
    """The backend the settings name. `sas_key` (a key, or what gives the current keys) signs the local
    backend's upload URLs."""
    if settings.blob_backend == "local":
        limits = BlockLimits(settings.max_blob_blocks, settings.max_staged_blocks, settings.max_staged_bytes)
        return LocalBlobStore(
            settings.data_dir / "blobs", sas_key, limits=limits, min_free_bytes=settings.min_free_bytes
        )
    if settings.blob_backend == "azure":
        if not settings.azure_connection_string:
            raise ValueError("the azure blob backend needs a connection string")
        try:
            from storeflight.blobs.azure import AzureBlobStore  # noqa: PLC0415 - optional dependency
        except ImportError as error:
            raise ValueError(
                'the azure blob backend needs azure-storage-blob: pip install "storeflight[azure]"'
            ) from error
        return AzureBlobStore(settings.azure_connection_string, settings.azure_container)
    raise ValueError(f"unknown blob backend {settings.blob_backend!r}; choose one of {', '.join(BACKENDS)}")
