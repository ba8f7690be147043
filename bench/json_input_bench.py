"""Cost of the JSON input checks on a typical submission PUT body: bounded parsing and the text walk, as a
ratio to plain `json.loads` of the same body, in-process on one core.

Two bodies: the one most clients send (UTF-8, no `\\u` escapes, so only the cheap scans run) and the same
body written with `ensure_ascii` escapes (as Python's json module sends non-ASCII text); its emoji becomes a
surrogate-pair escape, which makes every string be walked and checked.

It then times whole PUTs of the first body to a real flight submission (the ASGI app in-process, SQLite in
a temp dir, a real token), alternating rounds with the checks and with plain `json.loads` in their place.

    .venv/bin/python bench/json_input_bench.py --repeat 20000 --puts 200 --rounds 7
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from storeflight.auth import tokens
from storeflight.config import Settings
from storeflight.domain import dates
from storeflight.http import json_input
from storeflight.http.app import build_state, create_app
from storeflight.http.json_input import parse
from storeflight.services import admin
from storeflight.storage.engine import make_engine
from storeflight.storage.migrate import migrate
from storeflight.storage.sql import SqlStore


def _submission() -> dict[str, Any]:
    """A flight submission as clients PUT it back: the GET answer with a few packages changed."""
    packages = [
        {
            "fileName": f"Contoso.App_1.2.{i}.0_{arch}.msixbundle",
            "fileStatus": "Uploaded" if i else "PendingUpload",
            "id": f"{1152921504606846976 + i}",
            "version": f"1.2.{i}.0",
            "architecture": arch,
            "languages": ["en-us", "de-de", "fr-fr", "ja-jp"],
            "capabilities": ["runFullTrust", "internetClient"],
            "targetDeviceFamilies": ["Windows.Desktop min version 10.0.17763.0"],
            "minimumDirectXVersion": "None",
            "minimumSystemRam": "None",
        }
        for i, arch in enumerate(("x64", "x86", "arm64"))
    ]
    return {
        "id": "1152921504621243619",
        "flightId": "7bfc11d5-f710-47c5-8a98-e04bb5aad310",
        "status": "PendingCommit",
        "statusDetails": {"errors": [], "warnings": [], "certificationReports": []},
        "flightPackages": packages,
        "packageDeliveryOptions": {
            "packageRollout": {
                "isPackageRollout": True,
                "packageRolloutPercentage": 25.0,
                "packageRolloutStatus": "PackageRolloutNotStarted",
                "fallbackSubmissionId": "0",
            },
            "isMandatoryUpdate": False,
            "mandatoryUpdateEffectiveDate": "1601-01-01T00:00:00.0000000Z",
        },
        "targetPublishMode": "Immediate",
        "targetPublishDate": "1601-01-01T00:00:00.0000000Z",
        "notesForCertification": "Flight for testers — café build, ✓ signed 🚀",
        "fileUploadUrl": "https://127.0.0.1:8080/devstoreaccount1/ingestion/abc?sv=2019-12-12&sig=xyz",
    }


def _time(fn: Callable[[str], Any], raw: str, repeat: int) -> float:
    """Best of 5 runs, in microseconds per call."""
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(repeat):
            fn(raw)
        best = min(best, time.perf_counter() - started)
    return best / repeat * 1e6


def _seed(store: SqlStore, state: Any) -> tuple[str, str, str]:
    """A client, an app and a flight group; returns (token, app id, group id)."""
    now = dates.utcnow()
    with store.transaction(write=True) as tx:
        client, _ = admin.create_client(tx, tenant_id=None, name="bench", now=now)
        tenant = client.tenant_id
        app = admin.create_app(
            tx, tenant_id=tenant, name="Bench", identity_name="Contoso.App", publisher="CN=Contoso", now=now,
            baseline=True, unsupported_features=False,
        )  # fmt: skip
        group = admin.create_group(tx, tenant_id=tenant, name="g", members=[], now=now)
    issued = tokens.issue(
        state.jwt_key, tenant_id=tenant, client_id=client.client_id, issuer="http://bench/", now=now,
        lifetime=state.settings.token_lifetime,
    )  # fmt: skip
    return issued.token, app.id, group.id


async def _puts(raw: str, rounds: int, puts: int) -> tuple[float, float]:
    """Median-of-rounds milliseconds per PUT with the checks, and with plain json.loads instead."""
    with tempfile.TemporaryDirectory() as tmp:
        store = SqlStore(make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}"))
        migrate(store.engine)
        state = build_state(store, Settings(data_dir=Path(tmp)))
        token, app_id, group_id = _seed(store, state)
        transport = httpx.ASGITransport(app=create_app(state))
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        async with httpx.AsyncClient(transport=transport, base_url="http://bench/v1.0/my/", headers=headers) as http:
            new = {"friendlyName": "b", "groupIds": [group_id]}
            flight = (await http.post(f"applications/{app_id}/flights", json=new)).json()
            url = f"applications/{app_id}/flights/{flight['flightId']}/submissions/"
            url += flight["pendingFlightSubmission"]["id"]
            body = json.loads(raw)
            body["flightPackages"] = []
            payload = json.dumps(body, ensure_ascii=False).encode()
            checked_parse, times = json_input.parse, {"checked": [], "plain": []}
            for _ in range(rounds):
                for name, fn in (("checked", checked_parse), ("plain", json.loads)):
                    json_input.parse = fn  # type: ignore[assignment]
                    started = time.perf_counter()
                    for _ in range(puts):
                        assert (await http.put(url, content=payload)).status_code == 200
                    times[name].append((time.perf_counter() - started) / puts * 1e3)
            json_input.parse = checked_parse
        store.close()
    return sorted(times["checked"])[rounds // 2], sorted(times["plain"])[rounds // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=20_000)
    parser.add_argument("--puts", type=int, default=200, help="PUTs per round")
    parser.add_argument("--rounds", type=int, default=7, help="rounds each way, alternating")
    args = parser.parse_args()
    body = _submission()
    bodies = {
        "utf-8, no escapes": json.dumps(body, ensure_ascii=False),
        "ensure_ascii escapes": json.dumps(body, ensure_ascii=True),
    }
    print(f"{'body':<22} {'bytes':>6} {'json.loads us':>14} {'checked us':>11} {'ratio':>6}")
    for name, raw in bodies.items():
        assert parse(raw) == json.loads(raw)
        plain = _time(json.loads, raw, args.repeat)
        checked = _time(parse, raw, args.repeat)
        print(f"{name:<22} {len(raw.encode()):>6} {plain:>14.1f} {checked:>11.1f} {checked / plain:>6.2f}")
    checked_ms, plain_ms = asyncio.run(_puts(bodies["utf-8, no escapes"], args.rounds, args.puts))
    print(f"\nwhole PUT (median of {args.rounds} rounds each way, ms per PUT)")
    print(f"with checks {checked_ms:.3f}, with plain json.loads {plain_ms:.3f}, ratio {checked_ms / plain_ms:.3f}")


if __name__ == "__main__":
    main()
