"""`storeflight admin backup`: a consistent copy of the SQLite database and the committed blobs."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from storeflight.cli.main import app

runner = CliRunner()


def _admin(data_dir: Path, *args: str) -> tuple[int, Any]:
    result = runner.invoke(app, ["admin", *args, "--data-dir", str(data_dir)])
    return result.exit_code, json.loads(result.stdout)


def test_a_backup_is_a_working_copy_of_database_and_blobs(tmp_path: Path) -> None:
    data = tmp_path / "data"
    code, client = _admin(data, "create-client")
    assert code == 0
    blobs = data / "blobs"
    (blobs / ".meta").mkdir(parents=True)
    (blobs / "upload-1").write_bytes(b"x" * 5000)
    (blobs / ".meta" / "upload-1.json").write_text("{}")
    (blobs / ".tmp").mkdir()
    (blobs / ".tmp" / "half-written").write_bytes(b"partial")
    with sqlite3.connect(data / "storeflight.db") as writer:  # a writer holds the database while we copy
        writer.execute("BEGIN IMMEDIATE")
        code, report = _admin(data, "backup", "--to", str(tmp_path / "copy"))
        writer.rollback()
    assert code == 0, report
    assert isinstance(report, dict) and (report["blobs"], report["blobBytes"]) == (1, 5000)
    copy = tmp_path / "copy"
    assert (copy / "blobs" / "upload-1").read_bytes() == b"x" * 5000 and (copy / "blobs" / ".meta").is_dir()
    assert not (copy / "blobs" / ".tmp").exists()  # work in progress is not data
    assert (copy / "storeflight.db").stat().st_mode & 0o077 == 0
    code, clients = _admin(copy, "list-clients")
    assert code == 0 and [c["clientId"] for c in clients] == [client["clientId"]]


def test_backup_refuses_a_folder_that_is_not_empty_and_postgresql(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert _admin(data, "create-client")[0] == 0
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "something").write_text("keep me")
    code, error = _admin(data, "backup", "--to", str(busy))
    assert code == 2 and "not empty" in error["error"]["message"]
    assert (busy / "something").read_text() == "keep me"
    result = runner.invoke(app, ["admin", "backup", "--to", str(tmp_path / "pg"), "--database-url",
                                 "postgresql://postgres@127.0.0.1:5432/postgres"])
    assert result.exit_code == 2 and "pg_dump" in json.loads(result.stdout)["error"]["message"]
    code, error = _admin(tmp_path / "nothing", "backup", "--to", str(tmp_path / "out"))
    assert code == 2 and "no storeflight database" in error["error"]["message"]


def test_backup_onto_a_file_is_a_clear_error(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert _admin(data, "create-client")[0] == 0
    target = tmp_path / "a-file"
    target.write_text("keep me")
    code, error = _admin(data, "backup", "--to", str(target))
    assert code == 2 and "not a folder" in error["error"]["message"] and target.read_text() == "keep me"
