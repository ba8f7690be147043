"""The npm tools the suite drives (installed into tests/js by `npm ci --prefix tests/js`).

- Azurite, the Azure Storage emulator: the real Azure Blob service behind the azure backend's tests.
- `@azure/storage-blob`, the JavaScript Blob SDK, as one of the real uploaders of `fileUploadUrl`.

Without them the tests that need them are skipped, with the command that installs them; in CI (`CI=true`)
or with `STOREFLIGHT_REQUIRE_AZURITE=1` a missing tool is a failure instead.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

JS_DIR = Path(__file__).parent / "js"
INSTALL = "npm ci --prefix tests/js"
REQUIRE_JS = os.environ.get("STOREFLIGHT_REQUIRE_AZURITE") == "1" or os.environ.get("CI") == "true"
# Azurite's well-known development account (public; documented by Microsoft).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def require_js(relative: str) -> Path:
    """`tests/js/node_modules/<relative>`, or skip (fail where required) with the install command."""
    path = JS_DIR / "node_modules" / relative
    if path.exists() and shutil.which("node"):
        return path
    message = f"tests/js/node_modules/{relative} is missing: install the npm test tools with `{INSTALL}`"
    if REQUIRE_JS:
        pytest.fail(message + " (required here: CI=true or STOREFLIGHT_REQUIRE_AZURITE=1)")
    pytest.skip(message)


@dataclass(frozen=True)
class Azurite:
    port: int

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/{AZURITE_ACCOUNT}"

    @property
    def connection_string(self) -> str:
        return (
            f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
            f"BlobEndpoint={self.endpoint};"
        )


@contextmanager
def run_azurite(port: int, workdir: Path) -> Iterator[Azurite]:
    """Azurite's blob service on 127.0.0.1:`port`, in memory, for as long as the context lasts."""
    binary = require_js(".bin/azurite-blob")
    command = [str(binary), "--blobHost", "127.0.0.1", "--blobPort", str(port), "--inMemoryPersistence"]
    command += ["--skipApiVersionCheck", "--disableTelemetry", "--silent"]
    log = (workdir / "azurite.log").open("wb")
    process = subprocess.Popen(command, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_listening(port, process, workdir / "azurite.log")
        yield Azurite(port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _wait_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Azurite exited with {process.returncode}: {log.read_text(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"Azurite did not listen on port {port} within 30 s")
