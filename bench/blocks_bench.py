"""Block upload benchmark: Put Block List against a plain Put Blob of the same bytes, and the cost of an
amplification attempt (one block listed many times), on one `storeflight serve` (SQLite, local blob store).

Per run, alternating: one Put Blob of N x B MiB, and N Put Blocks of B MiB followed by one Put Block List.
It prints the medians, the ratio of the commit alone (and of staging plus commit) to the plain PUT, then
stages one 4 MiB block and lists it 512 times (what once made a 2 GiB blob): the answer, its time, the
server's peak RSS growth during it, and how much the blob folder grew.

    .venv/bin/python bench/blocks_bench.py --blocks 64 --block-mib 1 --runs 3
"""

from __future__ import annotations

import argparse
import base64
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import upload_bench as ub  # the set-up and sampling helpers of the upload benchmark

MIB = ub.MIB


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def block_id(index: int) -> str:
    return base64.b64encode(f"block-{index:06d}".encode()).decode()


def put_blob(client: httpx.Client, url: str, data: bytes) -> float:
    started = time.perf_counter()
    response = client.put(url, content=data, headers={"x-ms-blob-type": "BlockBlob"})
    assert response.status_code == 201, response.text
    return time.perf_counter() - started


def put_blocks(client: httpx.Client, url: str, blocks: list[bytes]) -> tuple[float, float]:
    """(seconds staging, seconds committing)."""
    started = time.perf_counter()
    for index, block in enumerate(blocks):
        response = client.put(f"{url}&comp=block&blockid={block_id(index)}", content=block)
        assert response.status_code == 201, response.text
    staged = time.perf_counter()
    body = "<BlockList>" + "".join(f"<Latest>{block_id(i)}</Latest>" for i in range(len(blocks))) + "</BlockList>"
    response = client.put(f"{url}&comp=blocklist", content=body.encode())
    assert response.status_code == 201, response.text
    return staged - started, time.perf_counter() - staged


def amplification(client: httpx.Client, url: str, pid: int, blobs: Path) -> None:
    response = client.put(f"{url}&comp=block&blockid={block_id(0)}", content=os.urandom(4 * MIB))
    assert response.status_code == 201, response.text
    body = ("<BlockList>" + f"<Latest>{block_id(0)}</Latest>" * 512 + "</BlockList>").encode()
    before = folder_bytes(blobs)
    with ub.MemorySampler(pid) as memory:
        started = time.perf_counter()
        response = client.put(f"{url}&comp=blocklist", content=body)
        elapsed = time.perf_counter() - started
    grown = folder_bytes(blobs) - before
    print(
        f"amplification: 4 MiB block listed 512 times (would be 2 GiB): {response.status_code} "
        f"{response.headers.get('x-ms-error-code')} in {elapsed * 1000:.1f} ms; "
        f"server peak RSS growth {memory.peak_growth_mib:.1f} MiB; blob folder grew {grown} bytes"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--blocks", type=int, default=64)
    parser.add_argument("--block-mib", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    blocks = [os.urandom(options.block_mib * MIB) for _ in range(options.blocks)]
    whole = b"".join(blocks)
    with tempfile.TemporaryDirectory(prefix="storeflight-blocks-bench-") as folder:
        data_dir = Path(folder)
        port = ub.free_port()
        command = [sys.executable, "-m", "storeflight", "serve", "--port", str(port), "--data-dir", str(data_dir)]
        with ub.running([*command, "--no-worker", "--log-level", "warning"], port, data_dir) as server:
            base = f"http://127.0.0.1:{port}"
            plain_url, block_url, amp_url = (ub.file_upload_url(base, data_dir) for _ in range(3))
            puts, stages, commits = [], [], []
            with httpx.Client(timeout=300) as client:
                for _ in range(options.runs):
                    os.sync()
                    puts.append(put_blob(client, plain_url, whole))
                    os.sync()
                    stage, commit = put_blocks(client, block_url, blocks)
                    stages.append(stage)
                    commits.append(commit)
                print(
                    f"machine: {platform.machine()}, {os.cpu_count()} cores (shared with other work); "
                    f"{options.blocks} blocks of {options.block_mib} MiB, {options.runs} runs, medians"
                )
                put, stage, commit = (statistics.median(values) for values in (puts, stages, commits))
                print(f"Put Blob {len(whole) // MIB} MiB: {put * 1000:.0f} ms")
                print(f"Put Block x{options.blocks}: {stage * 1000:.0f} ms; Put Block List: {commit * 1000:.0f} ms")
                print(
                    f"ratio commit / plain PUT: {commit / put:.3f}; (stage + commit) / plain PUT: "
                    f"{(stage + commit) / put:.2f}"
                )
                amplification(client, amp_url, server.pid, data_dir / "blobs")


if __name__ == "__main__":
    main()
