"""Mozilla Balrog's update.xml against storeflight's delivery, same machine, same load, same run.

Balrog is not on PyPI and is never committed here: pass the path of a checkout (e.g. from
github.com/mozilla-releng/balrog). The script builds a virtual environment for it with Python 3.13 and the
pins of its uv.lock (`uv export --frozen`, without mysqlclient: the database is SQLite), creates its database
with its own tooling (scripts/manage-db.py create), stores two of its test release blobs (tests/data) through
its own database layer (without their partial updates: those name source releases that are not stored, and
Balrog would look each one up in the database, uncached, on every request), and adds a rule at
backgroundRate 25 whose fallbackMapping is the older release, plus 99 or 999 rules that never match for the
scaling rows. Balrog runs under uwsgi as its uwsgi/public.ini runs it (one process, threads enabled,
`--http-socket`, which closes each connection after its answer: wrk counts those as read errors and
reconnects, so Balrog's error column counts reconnections, not failures). storeflight serves one flight at
25% whose fallback is the flight's previous submission. wrk alternates between the two, round by round.

    .venv/bin/python bench/balrog_bench.py /path/to/balrog --duration 10 --connections 16
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import http.client
import importlib.util
import os
import platform
import random
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

from delivery_bench import QUERY, WRK_PLAIN, delivery_script, run_wrk, server
from delivery_seed import seed
from http_bench import HOST, fetch_token, free_port, request, wait_healthy, wrk_version
from server_bench import granian_command

from storeflight.delivery import Reason

RELEASES = ("Firefox-56.0-build1", "Firefox-62.0-build1")  # fallback, mapping
UPDATE_PATH = (
    "/update/3/Firefox/55.0/20170101000000/Darwin_x86_64-gcc3-u-i386-x86_64/en-US/release/default/default/default/"
    "update.xml"
)
SEED_BALROG = textwrap.dedent(
    """
    import json, sys
    from auslib.blobs.base import createBlob
    from auslib.global_state import dbo

    uri, checkout, extra = sys.argv[1], sys.argv[2], int(sys.argv[3])
    dbo.setDb(uri)
    dbo.setDomainAllowlist({"download.mozilla.org": ("Firefox",), "archive.mozilla.org": ("Firefox",)})
    dbo.permissions.t.insert().execute(permission="admin", username="bench", data_version=1)
    for name in ("Firefox-56.0-build1", "Firefox-62.0-build1"):
        with open(f"{checkout}/tests/data/{name}.json") as f:
            data = json.load(f)
        for platform in data["platforms"].values():  # partials name releases not stored here (see the doc)
            for locale in platform.get("locales", {}).values():
                locale.pop("partials", None)
        dbo.releases.insert(changed_by="bench", name=name, product="Firefox", data=createBlob(data))
    dbo.rules.insert(
        changed_by="bench", priority=1000, backgroundRate=25, mapping="Firefox-62.0-build1",
        fallbackMapping="Firefox-56.0-build1", update_type="minor", product="Firefox", channel="release",
    )
    for i in range(extra):  # never match: another channel
        dbo.rules.insert(
            changed_by="bench", priority=i, backgroundRate=100, mapping="Firefox-62.0-build1",
            update_type="minor", product="Firefox", channel=f"nomatch-{i}",
        )
    """
)


def python313() -> str:
    found = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.13*/bin/python3.13")))
    if not found:
        raise SystemExit("Balrog needs Python 3.13: none under ~/.pyenv/versions (pass --python)")
    return found[-1]


def balrog_venv(checkout: Path, venv: Path, python: str) -> Path:
    """A virtual environment with Balrog's locked dependencies (built once, then reused)."""
    if (venv / "bin" / "uwsgi").exists():
        return venv
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "uv"], check=True)
    pins = subprocess.run(
        [
            *(str(venv / "bin" / "uv"), "export", "--frozen", "--no-dev", "--no-hashes", "--no-emit-project"),
            *("--no-emit-workspace", "--package", "balrog"),
        ],
        cwd=checkout,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    requirements = venv / "balrog-requirements.txt"
    requirements.write_text("\n".join(x for x in pins.splitlines() if not x.startswith("mysqlclient")) + "\n")
    uv = str(venv / "bin" / "uv")
    subprocess.run(
        [uv, "pip", "install", "-q", "--python", str(venv / "bin" / "python"), "-r", str(requirements)], check=True
    )
    return venv


def balrog_database(checkout: Path, venv: Path, path: Path, extra_rules: int) -> str:
    uri = f"sqlite:///{path}"
    env = {**os.environ, "PYTHONPATH": str(checkout / "src")}
    python = str(venv / "bin" / "python")
    done = subprocess.run(
        [python, "scripts/manage-db.py", "--db", uri, "create"], cwd=checkout, env=env, capture_output=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage-db.py create failed: {done.stderr.decode()[-2000:]}")
    script = path.with_suffix(".seed.py")
    script.write_text(SEED_BALROG)
    done = subprocess.run(
        [python, str(script), uri, str(checkout), str(extra_rules)], env=env, capture_output=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"seeding Balrog failed: {done.stderr.decode()[-2000:]}")
    return uri


def _get(port: int, path: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        conn.close()


@contextlib.contextmanager
def balrog(checkout: Path, venv: Path, uri: str, log: Path) -> Iterator[int]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(checkout / "src"), "DBURI": uri, "LOG_LEVEL": "WARNING"}
    command = [str(venv / "bin" / "uwsgi"), "--http-socket", f"{HOST}:{port}", "--die-on-term"]
    command += ["--wsgi-file", "uwsgi/public.wsgi", "--enable-threads", "--disable-logging"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=checkout, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 600  # importing Balrog takes long on a loaded machine
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Balrog did not start:\n{log.read_text()[-3000:]}")
            with contextlib.suppress(OSError):
                if _get(port, UPDATE_PATH)[0] == 200:
                    break
            time.sleep(0.5)
        yield port
    finally:
        process.send_signal(signal.SIGKILL)  # uwsgi without a master ignores SIGTERM while busy
        process.wait()


def balrog_sample(port: int) -> Counter[str]:
    found: Counter[str] = Counter()
    for _ in range(200):
        status, body = _get(port, UPDATE_PATH)
        version = "62.0 (mapping)" if 'appVersion="62.0"' in body else "56.0 (fallback)" if "56.0" in body else "none"
        found[f"{status} {version}"] += 1
    return found


def ours_sample(port: int, token: str, app_id: str, customers: list[str]) -> Counter[str]:
    short = {reason.value: reason.name for reason in Reason}
    found: Counter[str] = Counter()
    for customer in customers[:: max(1, len(customers) // 200)]:
        path = f"/v1.0/my/applications/{app_id}/delivery?{QUERY}&customerId={customer}"
        status, body = request(port, "GET", path, token)
        found[f"{status} {short.get(body.get('reason', ''), '?')}"] += 1
    return found


def _row(rules: int, r: int, b: dict[str, float], o: dict[str, float]) -> str:
    return (
        f"| {rules} | {r} | {b['rps']:,.0f} | {b['p50']:.2f} / {b['p99']:.2f} | {o['rps']:,.0f} | "
        f"{o['p50']:.2f} / {o['p99']:.2f} | **{o['rps'] / b['rps']:.1f}x** | {o['p50'] / b['p50']:.2f} | "
        f"{b['errors']:.0f} / {o['errors']:.0f} |"
    )


@contextlib.contextmanager
def granian_server(data: Path, url: str, log: Path) -> Iterator[int]:
    """storeflight's app under granian (one process, uvloop), for `--server granian` (see server_bench.py)."""
    port = free_port()
    env = {**os.environ, "STOREFLIGHT_DATA_DIR": str(data), "STOREFLIGHT_DATABASE_URL": url}
    command = granian_command("granian_app:app", port, "--factory")
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=Path(__file__).parent, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_healthy(port, process, log)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=20)


def run(args: argparse.Namespace, work: Path, venv: Path) -> list[str]:
    rng = random.Random(args.seed)
    data = work / "storeflight"
    data.mkdir()
    url = f"sqlite:///{data / 'storeflight.db'}"
    seeded = seed(
        url,
        flights=1,
        groups=1,
        members_per_group=args.customers,
        customers=args.customers,
        groups_per_flight=1,
        rollout_share=1.0,
        percentage=25.0,
        rng=rng,
    )
    table = []
    with contextlib.ExitStack() as stack:
        port, _ = stack.enter_context(server(["--data-dir", str(data), "--database-url", url], work / "sf.log"))
        if args.server == "granian":  # the same database, now migrated and keyed, served by granian instead
            stack.close()
            port = stack.enter_context(granian_server(data, url, work / "sf-granian.log"))
        token = fetch_token(port, seeded.as_http_bench())
        customers = [quote(c) for c in seeded.members]
        print(
            f"storeflight, a flight at 25% with a fallback: {dict(ours_sample(port, token, seeded.app_id, customers))}"
        )
        ours_lua = delivery_script(customers, seeded.app_id, token)
        ours_path = f"/v1.0/my/applications/{seeded.app_id}/delivery?{QUERY}&customerId={customers[0]}"
        plain = WRK_PLAIN.format(path=UPDATE_PATH)
        for rules in args.rules:
            uri = balrog_database(Path(args.balrog), venv, work / f"balrog-{rules}.db", rules - 1)
            with balrog(Path(args.balrog), venv, uri, work / f"balrog-{rules}.log") as bport:
                print(
                    f"Balrog, {rules} rule(s), backgroundRate 25 with a fallbackMapping: {dict(balrog_sample(bport))}"
                )
                warm = argparse.Namespace(**{**vars(args), "duration": 2})
                run_wrk(plain, UPDATE_PATH, bport, warm, work)
                run_wrk(ours_lua, ours_path, port, warm, work)
                for r in range(1, args.rounds + 1):
                    b = run_wrk(plain, UPDATE_PATH, bport, args, work)
                    o = run_wrk(ours_lua, ours_path, port, args, work)
                    table.append(_row(rules, r, b, o))
                    print(table[-1], flush=True)
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("balrog", help="Path of a Balrog checkout (github.com/mozilla-releng/balrog).")
    parser.add_argument("--venv", default=str(Path(tempfile.gettempdir()) / "storeflight-balrog-venv"))
    parser.add_argument("--python", default=None, help="Python 3.13 for Balrog (default: pyenv's).")
    parser.add_argument("--rules", default="1,100,1000", help="Comma-separated rule counts (one matches).")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2, help="Balrog/storeflight pairs per rule count.")
    parser.add_argument("--customers", type=int, default=10_000, help="Flight members in the wrk list.")
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument(
        "--server",
        choices=("uvicorn", "granian"),
        default="uvicorn",
        help="The HTTP server under storeflight: `storeflight serve`'s uvicorn, or granian "
        "(not a dependency: pip install granian) for the comparison in docs/benchmarks.md.",
    )
    args = parser.parse_args()
    if args.server == "granian" and importlib.util.find_spec("granian") is None:
        parser.error("--server granian needs granian in this environment: .venv/bin/pip install granian")
    args.rules = [int(x) for x in args.rules.split(",") if x.strip()]
    venv = balrog_venv(Path(args.balrog), Path(args.venv), args.python or python313())
    print(
        f"{wrk_version()}, {args.threads} wrk threads, {args.connections} connections, {args.duration:g} s; "
        f"storeflight on Python {platform.python_version()}, Balrog on "
        + subprocess.run(
            [str(Path(venv) / "bin" / "python"), "-V"], capture_output=True, text=True, check=False
        ).stdout.strip()
        + " under uwsgi (one process)",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="balrog-bench-") as tmp:
        table = run(args, Path(tmp), venv)
    print(
        "| rules | round | Balrog req/s | Balrog p50 / p99 ms | storeflight req/s | storeflight p50 / p99 ms "
        "| storeflight / Balrog | p50 ratio | errors B / s |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    print("\n".join(table))


if __name__ == "__main__":
    main()
