"""fanflow/sqlite_health.py on real SQLite files: each kind of damage is told apart and
named, a good file is stamped with the schema version, a full disk is logged once."""
from __future__ import annotations

import sqlite3

import pytest

from fanflow import sqlite_health
from fanflow.sqlite_health import SCHEMA_VERSION, BadStorage, DiskFull, check_sqlite_file, storage_error, storage_ok


def _make(path, rows: int = 2000):
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, data BLOB)")
        db.executemany("INSERT INTO t (data) VALUES (?)", [(b"x" * 200,) for _ in range(rows)])
    return path


def test_a_new_or_good_file_passes_and_is_stamped(tmp_path):
    fresh = tmp_path / "fresh.db"
    check_sqlite_file(fresh, "history shard 1")
    good = _make(tmp_path / "good.db")
    check_sqlite_file(good, "history shard 2")
    for path in (fresh, good):
        with sqlite3.connect(path) as db:
            assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert sqlite3.connect(good).execute("SELECT COUNT(*) FROM t").fetchone()[0] == 2000


def test_an_overwritten_header_is_named_with_what_to_do(tmp_path):
    path = _make(tmp_path / "history-shard-3.db")
    with open(path, "r+b") as f:
        f.write(b"not what you think it is")
    with pytest.raises(BadStorage) as bad:
        check_sqlite_file(path, "history shard 3")
    assert bad.value.code.name == "UNAVAILABLE"
    assert bad.value.message.startswith(f"history shard 3: {path} is not a SQLite database")
    assert "restore history-shard-3.db from a backup" in bad.value.message and "aside" in bad.value.message
    assert path.read_bytes().startswith(b"not what you think it is"), "never replaced by itself"


def test_a_truncated_file_is_told_apart(tmp_path):
    path = _make(tmp_path / "matching-a.db")
    size = path.stat().st_size
    with open(path, "r+b") as f:
        f.truncate(size // 3)
    with pytest.raises(BadStorage) as bad:
        check_sqlite_file(path, "matching's backlog")
    assert f"is truncated: its header says {size} bytes, the file has {size // 3}" in bad.value.message


def test_a_damaged_page_is_found_by_the_quick_check(tmp_path):
    path = _make(tmp_path / "history-shard-4.db")
    with open(path, "r+b") as f:  # scribble over a b-tree page in the middle, header intact
        f.seek(path.stat().st_size // 2 // 4096 * 4096)
        f.write(b"\xff" * 4096)
    with pytest.raises(BadStorage) as bad:
        check_sqlite_file(path, "history shard 4")
    assert "is damaged" in bad.value.message and "restore" in bad.value.message


def test_a_future_schema_version_is_refused(tmp_path):
    path = _make(tmp_path / "cluster-metadata.db")
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    with pytest.raises(BadStorage) as bad:
        check_sqlite_file(path, "cluster metadata")
    assert f"was written by a newer fanflow (schema version {SCHEMA_VERSION + 1}; this version reads up to {SCHEMA_VERSION})" in bad.value.message
    assert "run the newer fanflow on it" in bad.value.message


def test_a_full_disk_becomes_disk_full_logged_once_until_a_commit_succeeds(tmp_path):
    from structlog.testing import capture_logs

    path = tmp_path / "history-shard-5.db"
    full = sqlite3.OperationalError("database or disk is full")
    full.sqlite_errorcode = sqlite3.SQLITE_FULL
    with capture_logs() as logged:
        errors = [storage_error(full, path, "history-shard-5") for _ in range(5)]
        other = sqlite3.OperationalError("no such table: t")
        assert storage_error(other, path, "history-shard-5") is other
        storage_ok(path, "history-shard-5")
        storage_error(full, path, "history-shard-5")
        storage_ok(path, "history-shard-5")
    assert all(isinstance(e, DiskFull) and e.code.name == "UNAVAILABLE" for e in errors)
    assert f"disk full: history-shard-5 cannot write {path}" in errors[0].message and "free space" in errors[0].message
    events = [entry["event"] for entry in logged]
    assert sum(e.startswith("disk full: history-shard-5") for e in events) == 2, events
    assert sum(e.startswith("disk space is back") for e in events) == 2, events
    assert str(path) not in sqlite_health._full
