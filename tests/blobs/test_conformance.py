"""The BlobStore contract, run against every backend (local files, and Azure Blob Storage via Azurite)."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from azure.storage.blob import BlobClient

from storeflight.blobs.local import LocalBlobStore
from storeflight.blobs.protocol import (
    BlobMd5Mismatch,
    BlobNotFound,
    BlobStore,
    BlobTooLarge,
    BlockInfo,
    BlockKind,
    BlockRef,
    InvalidBlockList,
)

CAP = 10 * 1024 * 1024


def _md5(data: bytes) -> bytes:
    return hashlib.md5(data, usedforsecurity=False).digest()


def _chunks(data: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def _content(blobs: BlobStore, name: str) -> bytes:
    with blobs.local_copy(name) as path:
        return path.read_bytes()


def test_a_missing_blob_has_no_properties_and_no_copy(blobs: BlobStore) -> None:
    assert blobs.properties("missing") is None
    with pytest.raises(BlobNotFound), blobs.local_copy("missing"):
        pass


def test_put_streams_a_blob_and_reports_its_properties(blobs: BlobStore) -> None:
    data = os.urandom(300_000)
    info = blobs.put("one", _chunks(data), max_bytes=CAP)
    assert (info.name, info.size, info.content_md5) == ("one", len(data), _md5(data))
    assert info.etag.startswith('"') and info.etag.endswith('"')
    assert abs(info.last_modified - datetime.now(UTC)) < timedelta(minutes=1)
    props = blobs.properties("one")
    assert props is not None
    assert (props.size, props.etag, props.content_md5) == (len(data), info.etag, _md5(data))
    assert _content(blobs, "one") == data


def test_put_of_a_multi_block_stream_keeps_every_byte(blobs: BlobStore) -> None:
    data = os.urandom(9 * 1024 * 1024 + 17)  # more than two of the azure backend's 4 MiB blocks
    info = blobs.put("big", _chunks(data, 1024 * 1024 + 3), max_bytes=CAP)
    assert info.size == len(data)
    assert info.content_md5 == _md5(data)
    assert _content(blobs, "big") == data


def test_an_empty_blob_is_a_blob(blobs: BlobStore) -> None:
    info = blobs.put("empty", iter([]), max_bytes=CAP)
    assert info.size == 0
    assert _content(blobs, "empty") == b""


def test_put_replaces_the_blob_and_changes_its_etag(blobs: BlobStore) -> None:
    first = blobs.put("x", [b"first"], max_bytes=CAP)
    second = blobs.put("x", [b"second version"], max_bytes=CAP)
    assert second.etag != first.etag
    assert _content(blobs, "x") == b"second version"


def test_put_past_the_cap_stores_nothing_and_stops_reading(blobs: BlobStore) -> None:
    blobs.put("capped", [b"old"], max_bytes=CAP)
    read: list[int] = []

    def endless() -> Iterator[bytes]:
        while True:
            read.append(1)
            yield b"x" * 1000

    with pytest.raises(BlobTooLarge):
        blobs.put("capped", endless(), max_bytes=10_500)
    assert len(read) == 11  # the chunk that crossed the cap was the last one read
    assert _content(blobs, "capped") == b"old"
    with pytest.raises(BlobTooLarge):
        blobs.put("fresh", [b"y" * 2000], max_bytes=1999)
    assert blobs.properties("fresh") is None


def test_put_checks_the_md5_it_is_given(blobs: BlobStore) -> None:
    data = b"archive bytes"
    assert blobs.put("m", [data], max_bytes=CAP, content_md5=_md5(data)).content_md5 == _md5(data)
    with pytest.raises(BlobMd5Mismatch):
        blobs.put("m", [b"other bytes"], max_bytes=CAP, content_md5=_md5(data))
    assert _content(blobs, "m") == data
    with pytest.raises(BlobMd5Mismatch):
        blobs.put("n", _chunks(os.urandom(5 * 1024 * 1024)), max_bytes=CAP, content_md5=_md5(b""))
    assert blobs.properties("n") is None


def test_a_stream_that_breaks_leaves_no_blob_behind(blobs: BlobStore) -> None:
    blobs.put("b", [b"kept"], max_bytes=CAP)

    def broken() -> Iterator[bytes]:
        yield os.urandom(5 * 1024 * 1024)
        raise ConnectionResetError("client went away")

    for name in ("b", "new"):
        with pytest.raises(ConnectionResetError):
            blobs.put(name, broken(), max_bytes=CAP)
    assert _content(blobs, "b") == b"kept"
    assert blobs.properties("new") is None


def test_blocks_are_committed_in_list_order_not_arrival_order(blobs: BlobStore) -> None:
    parts = {f"block-{i:03d}": os.urandom(50_000 + i) for i in range(6)}
    threads = [
        threading.Thread(target=blobs.put_block, args=("blocks", block_id, [data]), kwargs={"max_bytes": CAP})
        for block_id, data in reversed(parts.items())
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert blobs.properties("blocks") is None  # staged blocks are not a blob
    order = sorted(parts)
    info = blobs.commit_blocks("blocks", order, max_bytes=CAP)
    expected = b"".join(parts[block_id] for block_id in order)
    assert info.size == len(expected)
    assert info.content_md5 in (None, _md5(expected))
    assert _content(blobs, "blocks") == expected


def test_put_block_returns_the_size_and_enforces_cap_and_md5(blobs: BlobStore) -> None:
    assert blobs.put_block("pb", "a", _chunks(b"z" * 100_000), max_bytes=CAP) == 100_000
    with pytest.raises(BlobTooLarge):
        blobs.put_block("pb", "b", [b"z" * 101], max_bytes=100)
    with pytest.raises(BlobMd5Mismatch):
        blobs.put_block("pb", "c", [b"data"], max_bytes=CAP, content_md5=_md5(b"other"))
    with pytest.raises(InvalidBlockList):
        blobs.commit_blocks("pb", ["b"], max_bytes=CAP)
    with pytest.raises(InvalidBlockList):
        blobs.commit_blocks("pb", ["c"], max_bytes=CAP)


def test_restaging_a_block_replaces_it(blobs: BlobStore) -> None:
    blobs.put_block("r", "a", [b"old"], max_bytes=CAP)
    blobs.put_block("r", "a", [b"new"], max_bytes=CAP)
    blobs.commit_blocks("r", ["a"], max_bytes=CAP)
    assert _content(blobs, "r") == b"new"


def test_an_unknown_block_fails_the_commit_and_keeps_the_blob(blobs: BlobStore) -> None:
    blobs.put("k", [b"kept"], max_bytes=CAP)
    blobs.put_block("k", "a", [b"aaa"], max_bytes=CAP)
    with pytest.raises(InvalidBlockList):
        blobs.commit_blocks("k", ["a", "nope"], max_bytes=CAP)
    assert _content(blobs, "k") == b"kept"


def test_a_commit_past_the_cap_fails_and_keeps_the_blob(blobs: BlobStore) -> None:
    blobs.put("c", [b"kept"], max_bytes=CAP)
    blobs.put_block("c", "a", [b"a" * 600], max_bytes=CAP)
    blobs.put_block("c", "b", [b"b" * 600], max_bytes=CAP)
    with pytest.raises(BlobTooLarge):
        blobs.commit_blocks("c", ["a", "b"], max_bytes=1000)
    assert _content(blobs, "c") == b"kept"
    blobs.commit_blocks("c", ["a", "b"], max_bytes=1200)
    assert _content(blobs, "c") == b"a" * 600 + b"b" * 600


def test_block_kinds_look_blocks_up_as_azure_does(blobs: BlobStore) -> None:
    for block_id, data in (("a", b"A1"), ("b", b"B1")):
        blobs.put_block("k", block_id, [data], max_bytes=CAP)
    blobs.commit_blocks("k", [BlockRef("a"), BlockRef("b", BlockKind.UNCOMMITTED)], max_bytes=CAP)
    blobs.put_block("k", "a", [b"A2"], max_bytes=CAP)
    blobs.put_block("k", "c", [b"C1"], max_bytes=CAP)
    refs = [BlockRef("b", BlockKind.COMMITTED), BlockRef("a"), BlockRef("c", BlockKind.UNCOMMITTED)]
    blobs.commit_blocks("k", refs, max_bytes=CAP)
    assert _content(blobs, "k") == b"B1A2C1"  # Latest: the staged version wins over the committed one
    with pytest.raises(InvalidBlockList):  # committed, not staged
        blobs.commit_blocks("k", [BlockRef("b", BlockKind.UNCOMMITTED)], max_bytes=CAP)
    with pytest.raises(InvalidBlockList):  # staged blocks went with the last commit
        blobs.commit_blocks("k", [BlockRef("x", BlockKind.COMMITTED)], max_bytes=CAP)
    blobs.commit_blocks("k", [BlockRef("c", BlockKind.COMMITTED)], max_bytes=CAP)
    assert _content(blobs, "k") == b"C1"


def test_the_block_list_shows_committed_and_staged_blocks_in_order(blobs: BlobStore) -> None:
    assert blobs.block_list("bl") is None
    blobs.put_block("bl", "id-b", [b"BB"], max_bytes=CAP)
    blobs.put_block("bl", "id-a", [b"A"], max_bytes=CAP)
    assert blobs.block_list("bl") == ([], [BlockInfo("id-b", 2), BlockInfo("id-a", 1)])  # staged only: no blob yet
    blobs.commit_blocks("bl", ["id-a", "id-b"], max_bytes=CAP)
    blobs.put_block("bl", "id-c", [b"CCC"], max_bytes=CAP)
    assert blobs.block_list("bl") == ([BlockInfo("id-a", 1), BlockInfo("id-b", 2)], [BlockInfo("id-c", 3)])


def test_a_block_listed_twice_is_an_invalid_list_and_writes_nothing(blobs: BlobStore) -> None:
    blobs.put("twice", [b"kept"], max_bytes=CAP)
    blobs.put_block("twice", "a", [b"x" * 1000], max_bytes=CAP)
    with pytest.raises(InvalidBlockList):
        blobs.commit_blocks("twice", ["a"] * 512, max_bytes=CAP)
    with pytest.raises(InvalidBlockList):  # the same id as two kinds is still the same block
        blobs.commit_blocks("twice", [BlockRef("a"), BlockRef("a", BlockKind.UNCOMMITTED)], max_bytes=CAP)
    assert _content(blobs, "twice") == b"kept"


def test_committing_the_same_list_again_keeps_the_blob(blobs: BlobStore) -> None:
    blobs.put_block("again", "a", [b"AAA"], max_bytes=CAP)
    blobs.put_block("again", "b", [b"BBB"], max_bytes=CAP)
    first = blobs.commit_blocks("again", ["a", "b"], max_bytes=CAP)
    second = blobs.commit_blocks("again", ["a", "b"], max_bytes=CAP)  # a client retrying its commit
    assert second.size == first.size == 6
    assert _content(blobs, "again") == b"AAABBB"


def test_put_discards_staged_blocks(blobs: BlobStore) -> None:
    block_id = "0" * 64  # the length the SDKs use (Azure wants one id length per blob)
    blobs.put_block("d", block_id, [b"aaa"], max_bytes=CAP)
    blobs.put("d", [b"whole"], max_bytes=CAP)
    with pytest.raises(InvalidBlockList):
        blobs.commit_blocks("d", [block_id], max_bytes=CAP)
    assert _content(blobs, "d") == b"whole"


def test_delete_removes_the_blob_and_its_staged_blocks(blobs: BlobStore) -> None:
    blobs.put("gone", [b"data"], max_bytes=CAP)
    blobs.put_block("gone", "a", [b"aaa"], max_bytes=CAP)
    blobs.delete("gone")
    assert blobs.properties("gone") is None
    blobs.put_block("staged-only", "a", [b"aaa"], max_bytes=CAP)
    blobs.delete("staged-only")
    for name in ("gone", "staged-only"):
        with pytest.raises(InvalidBlockList):
            blobs.commit_blocks(name, ["a"], max_bytes=CAP)
    blobs.delete("never-existed")


def test_the_local_copy_is_a_seekable_file_with_the_content(blobs: BlobStore) -> None:
    data = os.urandom(200_000)
    blobs.put("copy", [data], max_bytes=CAP)
    with blobs.local_copy("copy") as path, path.open("rb") as file:
        file.seek(100_000)
        assert file.read(10) == data[100_000:100_010]
        assert path.stat().st_size == len(data)


def test_the_upload_url_is_a_path_style_sas_for_this_blob(blobs: BlobStore) -> None:
    expires = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    url = blobs.upload_url("u-1", public_url="http://127.0.0.1:8080", expires_at=expires)
    parts = urlsplit(url)
    account, container, name = parts.path.strip("/").split("/")
    assert name == "u-1" and account and container
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    assert {"sig", "se", "sp", "sv", "sr"} <= set(query)
    assert query["sr"] == "b" and "w" in query["sp"] and "r" in query["sp"]
    assert datetime.fromisoformat(query["se"].replace("Z", "+00:00")) == expires
    if isinstance(blobs, LocalBlobStore):
        assert parts.netloc == "127.0.0.1:8080"
        assert not set("+/=") & set(query["sig"])
        return  # uploads to storeflight's own endpoint: tests/http/test_blob_upload.py
    BlobClient.from_blob_url(url).upload_blob(b"straight to azure", overwrite=True)
    assert _content(blobs, "u-1") == b"straight to azure"
