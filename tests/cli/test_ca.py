"""`storeflight ca init|export|show` through the real CLI app."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from typer.testing import CliRunner

from storeflight.cli.main import app
from storeflight.intercept import INTERCEPTED_HOSTS

runner = CliRunner()


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_init_export_show_and_init_again_keeps_the_ca(tmp_path: Path) -> None:
    code, out, _ = _run("ca", "init", "--data-dir", str(tmp_path))
    assert code == 0 and "created" in out
    key = tmp_path / "ca" / "ca-key.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600

    code, pem, _ = _run("ca", "export", "--data-dir", str(tmp_path))
    assert code == 0
    cert = x509.load_pem_x509_certificate(pem.encode())
    assert "PRIVATE KEY" not in pem

    code, out, _ = _run("ca", "show", "--data-dir", str(tmp_path))
    shown = json.loads(out)
    assert shown["permittedHosts"] == list(INTERCEPTED_HOSTS)
    assert shown["sha256"].replace(":", "").lower() == cert.fingerprint(hashes.SHA256()).hex()

    code, out, _ = _run("ca", "init", "--data-dir", str(tmp_path))
    assert code == 0 and "already exists" in out and shown["sha256"] in out


def test_init_force_replaces_and_export_der_writes_a_file(tmp_path: Path) -> None:
    _run("ca", "init", "--data-dir", str(tmp_path))
    first = json.loads(_run("ca", "show", "--data-dir", str(tmp_path))[1])["sha256"]
    code, out, _ = _run("ca", "init", "--data-dir", str(tmp_path), "--force")
    assert code == 0 and "created" in out
    second = json.loads(_run("ca", "show", "--data-dir", str(tmp_path))[1])["sha256"]
    assert first != second
    code, _, _ = _run("ca", "export", "--data-dir", str(tmp_path), "--der", "--out", str(tmp_path / "ca.cer"))
    assert code == 0
    assert x509.load_der_x509_certificate((tmp_path / "ca.cer").read_bytes()).fingerprint is not None
    code, _, err = _run("ca", "export", "--data-dir", str(tmp_path), "--der")
    assert code == 2 and "--out" in err


def test_show_and_export_without_a_ca_say_how_to_make_one(tmp_path: Path) -> None:
    for command in ("show", "export"):
        code, _, err = _run("ca", command, "--data-dir", str(tmp_path))
        assert code == 1 and "storeflight ca init" in err
