"""The upload endpoint behind `fileUploadUrl`, driven by real, unmodified uploaders against a live server."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit
from xml.etree import ElementTree

import pytest
import requests
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
)
from azure.storage.blob import BlobClient

from storeflight.auth import sas
from storeflight.blobs.azure import AzureBlobStore
from storeflight.storage.sql import SqlStore
from tests.jstools import JS_DIR, Azurite, require_js
from tests.support import LiveServer, Tenant, make_settings, new_tenant


@dataclass(frozen=True)
class Upload:
    """One submission's upload target."""

    server: LiveServer
    url: str

    @property
    def name(self) -> str:
        return urlsplit(self.url).path.rsplit("/", 1)[1]

    def stored(self) -> bytes:
        with self.server.state.blobs.local_copy(self.name) as path:
            return path.read_bytes()

    def with_query(self, **changes: str | None) -> str:
        parts = urlsplit(self.url)
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        query.update(changes)
        kept = {key: value for key, value in query.items() if value is not None}
        return parts._replace(query=urlencode(kept)).geturl()


def _new_upload(tenant: Tenant, app_id: str) -> Upload:
    flight = tenant.create_flight(app_id, name=f"beta-{uuid.uuid4().hex[:8]}")
    path = f"applications/{app_id}/flights/{flight['flightId']}/submissions/{flight['pendingFlightSubmission']['id']}"
    submission = tenant.http.get(path).json()
    return Upload(tenant.server, submission["fileUploadUrl"])


@pytest.fixture
def upload(tenant: Tenant, app_id: str) -> Upload:
    return _new_upload(tenant, app_id)


def _md5(data: bytes) -> bytes:
    return hashlib.md5(data, usedforsecurity=False).digest()


def _b64md5(data: bytes) -> str:
    return base64.b64encode(_md5(data)).decode()


def _error_code(response: requests.Response) -> str:
    assert response.headers["content-type"].startswith("application/xml"), response.headers
    root = ElementTree.fromstring(response.content)
    assert root.tag == "Error" and root.findtext("Message")
    code = root.findtext("Code")
    assert code == response.headers["x-ms-error-code"]
    return str(code)


# --- real clients ------------------------------------------------------------------------------------------


def test_python_sdk_single_put_round_trips(upload: Upload) -> None:
    data = os.urandom(100_000)
    result = BlobClient.from_blob_url(upload.url).upload_blob(data)
    assert bytes(result["content_md5"]) == _md5(data)
    assert result["etag"] and result["last_modified"] and result["request_id"] and result["version"]
    assert upload.stored() == data
    client = BlobClient.from_blob_url(upload.url)
    props = client.get_blob_properties()
    assert props.size == len(data) and props.etag == result["etag"]
    assert bytes(props.content_settings.content_md5) == _md5(data)
    assert client.download_blob().readall() == data


def test_python_sdk_block_upload_in_parallel_keeps_the_list_order(upload: Upload) -> None:
    data = os.urandom(1024 * 1024 + 12_345)
    client = BlobClient.from_blob_url(
        upload.url,
        max_single_put_size=64 * 1024,
        max_block_size=64 * 1024,
        max_single_get_size=100_000,
        max_chunk_get_size=100_000,
    )
    client.upload_blob(data, max_concurrency=4, validate_content=True)
    assert upload.stored() == data
    assert client.download_blob(max_concurrency=3).readall() == data  # ranged GETs


def test_python_sdk_uploads_an_open_file(upload: Upload, tmp_path: Path) -> None:
    archive = tmp_path / "upload.zip"
    archive.write_bytes(os.urandom(300_000))
    client = BlobClient.from_blob_url(upload.url, max_single_put_size=128 * 1024, max_block_size=100_000)
    with archive.open("rb") as file:
        client.upload_blob(file, overwrite=True)
    assert upload.stored() == archive.read_bytes()


@pytest.mark.parametrize("mode", ["single", "blocks"])
def test_javascript_sdk_uploads(upload: Upload, tmp_path: Path, mode: str) -> None:
    require_js("@azure/storage-blob/package.json")
    archive = tmp_path / "upload.zip"
    archive.write_bytes(os.urandom(200_000))
    command = ["node", str(JS_DIR / "upload.mjs"), upload.url, str(archive), mode]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["size"] == 200_000 and report["etag"]
    assert upload.stored() == archive.read_bytes()


def test_a_raw_put_with_only_the_blob_type_header(upload: Upload) -> None:
    data = os.urandom(5000)
    response = requests.put(upload.url, data=data, headers={"x-ms-blob-type": "BlockBlob"}, timeout=30)
    assert response.status_code == 201, response.text
    assert response.content == b""
    headers = response.headers
    assert headers["ETag"].startswith('"0x') and headers["Last-Modified"].endswith(" GMT")
    assert headers["x-ms-request-id"] and headers["x-ms-version"] == sas.SAS_VERSION
    assert headers["Content-MD5"] == _b64md5(data)
    assert upload.stored() == data


def test_head_is_404_until_uploaded_then_200(upload: Upload) -> None:
    response = requests.head(upload.url, timeout=30)
    assert response.status_code == 404
    assert response.headers["x-ms-error-code"] == "BlobNotFound" and response.content == b""
    client = BlobClient.from_blob_url(upload.url, retry_total=0)
    with pytest.raises(ResourceNotFoundError) as raised:
        client.get_blob_properties()
    assert raised.value.error_code == "BlobNotFound"
    client.upload_blob(b"zip bytes")
    response = requests.head(upload.url, timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Length"] == "9" and response.headers["x-ms-blob-type"] == "BlockBlob"


def test_upload_without_overwrite_refuses_an_existing_blob(upload: Upload) -> None:
    client = BlobClient.from_blob_url(upload.url, retry_total=0)
    client.upload_blob(b"first")
    with pytest.raises(ResourceExistsError):
        client.upload_blob(b"second")
    client.upload_blob(b"third", overwrite=True)
    assert upload.stored() == b"third"


def test_urls_with_plus_replaced_and_values_fully_encoded_still_work(upload: Upload) -> None:
    BlobClient.from_blob_url(upload.url.replace("+", "%2B")).upload_blob(b"one", overwrite=True)
    parts = urlsplit(upload.url)
    encoded = parts._replace(query=parts.query.replace(":", "%3A").replace("-", "%2D")).geturl()
    response = requests.put(encoded, data=b"two", headers={"x-ms-blob-type": "BlockBlob"}, timeout=30)
    assert response.status_code == 201, response.text
    assert upload.stored() == b"two"


# --- signatures ---------------------------------------------------------------------------------------------


def _expired(upload: Upload) -> str:
    past = datetime.now(UTC) - timedelta(minutes=1)
    return sas.upload_url(
        upload.server.state.sas_key, public_url=upload.server.url, blob_id=upload.name, expires_at=past
    )


def _forged(upload: Upload) -> str:
    sig = parse_qs(urlsplit(upload.url).query)["sig"][0]
    return upload.with_query(sig=("A" if sig[0] != "A" else "B") + sig[1:])


def _other_blob(upload: Upload) -> str:
    parts = urlsplit(upload.url)
    return parts._replace(path=parts.path.rsplit("/", 1)[0] + f"/{uuid.uuid4()}").geturl()


FORGERIES = {
    "forged signature": _forged,
    "expired": _expired,
    "another blob's signature": _other_blob,
    "no signature": lambda upload: upload.with_query(sig=None),
    "extended expiry": lambda upload: upload.with_query(se="2099-01-01T00:00:00Z"),
    "more permissions": lambda upload: upload.with_query(sp="rwdl"),
}


@pytest.mark.parametrize("forgery", list(FORGERIES))
def test_a_bad_signature_is_403_authentication_failed(upload: Upload, forgery: str) -> None:
    url = FORGERIES[forgery](upload)
    with pytest.raises(ClientAuthenticationError) as raised:
        BlobClient.from_blob_url(url, retry_total=0).upload_blob(b"data", overwrite=True)
    assert raised.value.status_code == 403 and raised.value.error_code == "AuthenticationFailed"
    response = requests.put(url, data=b"data", headers={"x-ms-blob-type": "BlockBlob"}, timeout=30)
    assert response.status_code == 403 and _error_code(response) == "AuthenticationFailed"
    assert requests.head(url, timeout=30).headers["x-ms-error-code"] == "AuthenticationFailed"
    assert requests.head(upload.url, timeout=30).status_code == 404  # nothing was stored


# --- checks and caps ---------------------------------------------------------------------------------------


def test_a_wrong_content_md5_is_rejected_and_nothing_is_stored(upload: Upload) -> None:
    headers = {"x-ms-blob-type": "BlockBlob", "Content-MD5": _b64md5(b"something else")}
    response = requests.put(upload.url, data=b"data", headers=headers, timeout=30)
    assert response.status_code == 400 and _error_code(response) == "Md5Mismatch"
    block = upload.url + "&comp=block&blockid=" + base64.b64encode(b"block-1").decode()
    response = requests.put(block, data=b"data", headers={"Content-MD5": _b64md5(b"x")}, timeout=30)
    assert response.status_code == 400 and _error_code(response) == "Md5Mismatch"
    assert requests.head(upload.url, timeout=30).status_code == 404
    headers["Content-MD5"] = _b64md5(b"data")
    assert requests.put(upload.url, data=b"data", headers=headers, timeout=30).status_code == 201


@pytest.fixture
def capped(store: SqlStore, tmp_path: Path) -> Iterator[Upload]:
    with LiveServer(store, make_settings(tmp_path, max_upload_bytes=1000)) as live:
        tenant = new_tenant(live)
        yield _new_upload(tenant, tenant.create_app())


def test_the_size_cap_is_enforced_for_every_way_of_uploading(capped: Upload) -> None:
    with pytest.raises(HttpResponseError) as raised:
        BlobClient.from_blob_url(capped.url, retry_total=0).upload_blob(b"x" * 1001)
    assert raised.value.status_code == 413 and raised.value.error_code == "RequestBodyTooLarge"
    blocks = BlobClient.from_blob_url(capped.url, retry_total=0, max_single_put_size=400, max_block_size=400)
    with pytest.raises(HttpResponseError) as raised:
        blocks.upload_blob(b"x" * 1200)  # every block fits; the committed blob would not
    assert raised.value.status_code == 413 and raised.value.error_code == "RequestBodyTooLarge"
    chunked = requests.put(
        capped.url, data=iter([b"x" * 600, b"x" * 600]), headers={"x-ms-blob-type": "BlockBlob"}, timeout=30
    )
    assert chunked.status_code == 413 and _error_code(chunked) == "RequestBodyTooLarge"
    assert requests.head(capped.url, timeout=30).status_code == 404
    BlobClient.from_blob_url(capped.url).upload_blob(b"x" * 1000)
    assert capped.stored() == b"x" * 1000


# --- the REST surface ----------------------------------------------------------------------------------------


def _put_block(upload: Upload, block_id: bytes, data: bytes) -> None:
    url = upload.url + "&comp=block&blockid=" + base64.b64encode(block_id).decode()
    assert requests.put(url, data=data, timeout=30).status_code == 201


def _commit(upload: Upload, body: str) -> requests.Response:
    return requests.put(upload.url + "&comp=blocklist", data=body.encode(), timeout=30)


def test_block_lists_take_latest_uncommitted_and_committed(upload: Upload) -> None:
    a, b, c = (base64.b64encode(x).decode() for x in (b"id-a", b"id-b", b"id-c"))
    _put_block(upload, b"id-a", b"AAA")
    _put_block(upload, b"id-b", b"BBB")
    response = _commit(
        upload,
        f"<?xml version='1.0' encoding='utf-8'?><BlockList><Latest>{a}</Latest>"
        f"<Uncommitted>{b}</Uncommitted></BlockList>",
    )
    assert response.status_code == 201, response.text
    assert response.headers["ETag"] and response.headers["Last-Modified"]
    assert upload.stored() == b"AAABBB"
    _put_block(upload, b"id-c", b"CCC")
    body = f"<BlockList><Committed>{b}</Committed><Latest>{c}</Latest><Committed>{a}</Committed></BlockList>"
    assert _commit(upload, body).status_code == 201
    assert upload.stored() == b"BBBCCCAAA"
    response = _commit(upload, f"<BlockList><Uncommitted>{a}</Uncommitted></BlockList>")
    assert response.status_code == 400 and _error_code(response) == "InvalidBlockList"


@pytest.mark.parametrize(
    "body",
    [
        "not xml",
        "<Blocks><Latest>YQ==</Latest></Blocks>",
        "<BlockList><Newest>YQ==</Newest></BlockList>",
        '<!DOCTYPE x [<!ENTITY e "YQ==">]><BlockList><Latest>&e;</Latest></BlockList>',
    ],
)
def test_a_malformed_block_list_is_400(upload: Upload, body: str) -> None:
    response = _commit(upload, body)
    assert response.status_code == 400 and _error_code(response).startswith("InvalidXml")


def test_set_blob_properties_answers_200_once_the_blob_exists(upload: Upload) -> None:
    url = upload.url + "&comp=properties"
    response = requests.put(url, headers={"x-ms-blob-content-type": "application/zip"}, timeout=30)
    assert response.status_code == 404 and _error_code(response) == "BlobNotFound"
    BlobClient.from_blob_url(upload.url).upload_blob(b"zip")
    response = requests.put(url, headers={"x-ms-blob-content-type": "application/zip"}, timeout=30)
    assert response.status_code == 200 and response.headers["ETag"]


def test_get_serves_ranges(upload: Upload) -> None:
    data = bytes(range(256)) * 4
    BlobClient.from_blob_url(upload.url).upload_blob(data)
    whole = requests.get(upload.url, timeout=30)
    assert whole.status_code == 200 and whole.content == data and whole.headers["Content-MD5"] == _b64md5(data)
    part = requests.get(upload.url, headers={"x-ms-range": "bytes=10-19"}, timeout=30)
    assert part.status_code == 206 and part.content == data[10:20]
    assert part.headers["Content-Range"] == f"bytes 10-19/{len(data)}"
    tail = requests.get(upload.url, headers={"Range": "bytes=1000-"}, timeout=30)
    assert tail.status_code == 206 and tail.content == data[1000:]
    past = requests.get(upload.url, headers={"Range": "bytes=5000-"}, timeout=30)
    assert past.status_code == 416 and _error_code(past) == "InvalidRange"


@pytest.mark.parametrize(
    ("method", "suffix", "headers", "status", "code"),
    [
        ("PUT", "", {}, 400, "MissingRequiredHeader"),
        ("PUT", "", {"x-ms-blob-type": "PageBlob"}, 400, "InvalidHeaderValue"),
        ("PUT", "&comp=block", {}, 400, "MissingRequiredQueryParameter"),
        ("PUT", "&comp=block&blockid=not%20base64", {}, 400, "InvalidQueryParameterValue"),
        ("PUT", "&comp=appendblock", {}, 400, "InvalidQueryParameterValue"),
        ("PUT", "&comp=metadata", {}, 400, "InvalidQueryParameterValue"),
        ("GET", "&comp=metadata", {}, 400, "InvalidQueryParameterValue"),
        ("GET", "&comp=tags", {}, 400, "InvalidQueryParameterValue"),
        ("GET", "&comp=blocklist&blocklisttype=latest", {}, 400, "InvalidQueryParameterValue"),
        ("DELETE", "", {}, 405, "UnsupportedHttpVerb"),
        ("POST", "", {}, 405, "UnsupportedHttpVerb"),
        ("PUT", "", {"x-ms-blob-type": "BlockBlob", "Content-MD5": "abc"}, 400, "InvalidMd5"),
        ("GET", "&comp=%00", {}, 400, "InvalidUri"),  # NUL: refused in Azure's shape, not the Store's
        ("PUT", "&blockid=%00", {"x-ms-blob-type": "BlockBlob"}, 400, "InvalidUri"),
    ],
)
def test_protocol_errors_are_azure_xml(
    upload: Upload, method: str, suffix: str, headers: dict[str, str], status: int, code: str
) -> None:
    response = requests.request(method, upload.url + suffix, data=b"data", headers=headers, timeout=30)
    assert response.status_code == status, response.text
    assert _error_code(response) == code
    assert response.headers["x-ms-request-id"]
    if status == 405:
        assert response.headers["Allow"] == "GET, HEAD, PUT"


def test_the_client_request_id_is_echoed_and_timeout_ignored(upload: Upload) -> None:
    headers = {"x-ms-blob-type": "BlockBlob", "x-ms-client-request-id": "abc-123", "x-ms-version": "2026-10-06"}
    response = requests.put(upload.url + "&timeout=30", data=b"d", headers=headers, timeout=30)
    assert response.status_code == 201
    assert response.headers["x-ms-client-request-id"] == "abc-123"
    assert response.headers["x-ms-version"] == "2026-10-06"


def test_blob_paths_are_not_normalised_like_api_paths(server: LiveServer) -> None:
    """A blob named like an API word (`Flights`) keeps its case: its signature binds the exact path."""
    expires = datetime.now(UTC) + timedelta(hours=1)
    url = server.state.blobs.upload_url("Flights", public_url=server.url, expires_at=expires)
    BlobClient.from_blob_url(url).upload_blob(b"case kept", overwrite=True)
    with server.state.blobs.local_copy("Flights") as path:
        assert path.read_bytes() == b"case kept"
    response = requests.put(
        url.replace("/Flights?", "/Flights/?"), data=b"", headers={"x-ms-blob-type": "BlockBlob"}, timeout=30
    )
    assert response.status_code == 403 and _error_code(response) == "AuthenticationFailed"


def test_with_the_azure_backend_clients_upload_to_azure_not_here(
    store: SqlStore, tmp_path: Path, azurite: Azurite
) -> None:
    blobs = AzureBlobStore(azurite.connection_string, f"c{uuid.uuid4().hex}")
    with LiveServer(store, make_settings(tmp_path, blob_backend="azure"), blobs=blobs) as live:
        tenant = new_tenant(live)
        upload = _new_upload(tenant, tenant.create_app())
        assert upload.url.startswith(azurite.endpoint + "/")
        BlobClient.from_blob_url(upload.url).upload_blob(b"in azure")
        assert upload.stored() == b"in azure"
        response = requests.put(f"{live.url}/storeflight/ingestion/{upload.name}", data=b"x", timeout=30)
        assert response.status_code == 404 and response.json()["code"] == "ResourceNotFound"
        paths = requests.get(f"{live.url}/openapi.json", timeout=30).json()["paths"]
        assert not any(path.startswith("/storeflight/") for path in paths)  # nor does the document list it


def test_head_with_an_unsupported_comp_is_400_not_the_blob(upload: Upload) -> None:
    BlobClient.from_blob_url(upload.url).upload_blob(b"zip")
    response = requests.head(upload.url + "&comp=metadata", timeout=30)
    assert response.status_code == 400 and response.headers["x-ms-error-code"] == "InvalidQueryParameterValue"
    assert response.content == b""


# --- Get Block List -------------------------------------------------------------------------------------------


def test_python_sdk_reads_the_block_list(upload: Upload) -> None:
    client = BlobClient.from_blob_url(upload.url, retry_total=0)
    with pytest.raises(ResourceNotFoundError):
        client.get_block_list("all")
    client.stage_block("block-0", b"hello ")
    client.stage_block("block-1", b"world")
    committed, staged = client.get_block_list("all")
    assert committed == [] and [(b.id, b.size) for b in staged] == [("block-0", 6), ("block-1", 5)]
    client.commit_block_list(["block-0", "block-1"])
    committed, staged = client.get_block_list()  # committed only, the default
    assert [(b.id, b.size) for b in committed] == [("block-0", 6), ("block-1", 5)] and staged == []
    assert upload.stored() == b"hello world"


def test_the_block_list_is_azure_xml_with_base64_names(upload: Upload) -> None:
    _put_block(upload, b"id-a", b"AAA")
    _commit(upload, f"<BlockList><Latest>{base64.b64encode(b'id-a').decode()}</Latest></BlockList>")
    _put_block(upload, b"id-b", b"BB")
    response = requests.get(upload.url + "&comp=blocklist&blocklisttype=all", timeout=30)
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/xml")
    assert response.headers["x-ms-blob-content-length"] == "3" and response.headers["ETag"]
    root = ElementTree.fromstring(response.content)
    blocks = {
        kind: [(b.findtext("Name"), b.findtext("Size")) for b in root.findall(f"{kind}/Block")]
        for kind in ("CommittedBlocks", "UncommittedBlocks")
    }
    assert blocks == {
        "CommittedBlocks": [(base64.b64encode(b"id-a").decode(), "3")],
        "UncommittedBlocks": [(base64.b64encode(b"id-b").decode(), "2")],
    }
    committed = ElementTree.fromstring(requests.get(upload.url + "&comp=blocklist", timeout=30).content)
    assert committed.find("CommittedBlocks") is not None and committed.find("UncommittedBlocks") is None


def test_javascript_sdk_reads_the_block_list(upload: Upload) -> None:
    require_js("@azure/storage-blob/package.json")
    command = ["node", str(JS_DIR / "blocklist.mjs"), upload.url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    ids = [base64.b64encode(name).decode() for name in (b"block-0", b"block-1")]
    assert json.loads(done.stdout) == {
        "staged": [[ids[0], 6], [ids[1], 5]],
        "committed": [[ids[0], 6], [ids[1], 5]],
        "uncommittedAfter": [],
        "size": 11,
    }
    assert upload.stored() == b"hello world"


# --- bounded block lists ------------------------------------------------------------------------------------


def test_one_block_listed_many_times_is_refused_and_writes_nothing(upload: Upload) -> None:
    _put_block(upload, b"only", b"x" * 4096)
    block = base64.b64encode(b"only").decode()
    response = _commit(upload, "<BlockList>" + f"<Latest>{block}</Latest>" * 512 + "</BlockList>")
    assert response.status_code == 400 and _error_code(response) == "InvalidBlockList"
    assert requests.head(upload.url, timeout=30).status_code == 404


def test_committing_the_same_list_again_changes_nothing(upload: Upload) -> None:
    client = BlobClient.from_blob_url(upload.url, max_single_put_size=1000, max_block_size=1000)
    client.upload_blob(os.urandom(3000))
    committed, _ = client.get_block_list()
    before = client.get_blob_properties()
    client.commit_block_list([block.id for block in committed])  # a retried commit: no new upload
    after = client.get_blob_properties()
    assert (after.etag, after.size) == (before.etag, before.size) == (before.etag, 3000)


@pytest.fixture
def bounded(store: SqlStore, tmp_path: Path) -> Iterator[Upload]:
    settings = make_settings(
        tmp_path, max_blob_blocks=3, max_staged_blocks=4, max_staged_bytes=10_000, max_upload_bytes=8000
    )
    with LiveServer(store, settings) as live:
        tenant = new_tenant(live)
        yield _new_upload(tenant, tenant.create_app())


def test_block_counts_and_staged_bytes_are_bounded_with_azure_codes(bounded: Upload) -> None:
    for index in range(4):
        _put_block(bounded, f"id-{index}".encode(), b"x" * 2000)
    fifth = bounded.url + "&comp=block&blockid=" + base64.b64encode(b"id-4").decode()
    response = requests.put(fifth, data=b"x", timeout=30)
    assert response.status_code == 409 and _error_code(response) == "BlockCountExceedsLimit"
    again = bounded.url + "&comp=block&blockid=" + base64.b64encode(b"id-0").decode()
    response = requests.put(again, data=b"x" * 4001, timeout=30)  # 4001 + 3 * 2000 > 10,000 staged bytes
    assert response.status_code == 413 and _error_code(response) == "RequestBodyTooLarge"
    ids = [base64.b64encode(f"id-{index}".encode()).decode() for index in range(4)]
    response = _commit(bounded, "<BlockList>" + "".join(f"<Latest>{i}</Latest>" for i in ids) + "</BlockList>")
    assert response.status_code == 409 and _error_code(response) == "BlockCountExceedsLimit"
    response = _commit(bounded, "<BlockList>" + "".join(f"<Latest>{i}</Latest>" for i in ids[:3]) + "</BlockList>")
    assert response.status_code == 201 and bounded.stored() == b"x" * 6000
    with pytest.raises(HttpResponseError) as raised:  # the SDK's view of a list that is too long
        client = BlobClient.from_blob_url(bounded.url, retry_total=0, max_single_put_size=100, max_block_size=100)
        client.upload_blob(b"y" * 400, overwrite=True)
    assert raised.value.status_code == 409 and raised.value.error_code == "BlockCountExceedsLimit"


def test_a_blob_name_with_a_newline_gets_azure_xml(server: LiveServer) -> None:
    """Every blob path reaches the blob endpoint, a newline in the name too: Azure's XML answer, not the Store's."""
    response = requests.get(f"{server.url}/storeflight/ingestion/a%0Ab", timeout=30)
    assert response.status_code == 403, response.text
    assert _error_code(response)
    assert response.headers["x-ms-request-id"]
