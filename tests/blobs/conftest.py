"""`blobs`: every BlobStore backend, each test on a fresh, empty one (a folder, or an Azurite container)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from storeflight.blobs.azure import AzureBlobStore
from storeflight.blobs.local import LocalBlobStore
from storeflight.blobs.protocol import BlobStore


@pytest.fixture(params=["local", "azure"])
def blobs(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "local":
        return LocalBlobStore(tmp_path / "blobs", "conformance-key")
    azurite = request.getfixturevalue("azurite")
    return AzureBlobStore(azurite.connection_string, f"c{uuid.uuid4().hex}")
