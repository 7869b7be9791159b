"""Bad storage, said clearly: a SQLite file that cannot be used, and a full disk.

An operator meets these after a bad restore or on a crowded machine. The rule is
the same for every file fanflow keeps (a history shard, matching's backlog, the
cluster metadata): say which file and what to do, in one log line and in the
status of every request that needs it, keep serving what does not need it, and
never replace or empty a file by ourselves.

- `check_sqlite_file(path, what)` runs before a store opens its file: a damaged
  header ("not a database"), a file shorter than its header says (truncated), a
  damaged page (SQLite's quick check, on files up to QUICK_CHECK_MAX_BYTES), or a
  schema version newer than this code reads raise `BadStorage` (UNAVAILABLE). A
  file that passes is stamped with SCHEMA_VERSION (`PRAGMA user_version`).
- `storage_error(exc, path, what)` turns what SQLite raised during a write into
  the error callers get: a full disk is `DiskFull` (UNAVAILABLE: clients retry
  with backoff, and writes resume by themselves once there is space), logged once
  per file until a commit succeeds again (`storage_ok`), not once per write.
"""
from __future__ import annotations

import sqlite3
import struct
import threading
from pathlib import Path

import structlog

from fanflow.errors import Unavailable

log = structlog.get_logger("fanflow.storage")

# The schema version of every SQLite file this code writes. Raise it with a change that
# older code cannot read; such a file then stops older code with a clear refusal.
SCHEMA_VERSION = 1
QUICK_CHECK_MAX_BYTES = 64 * 1024 * 1024  # bigger files: header checks only (quick_check reads every page)
_HEADER = b"SQLite format 3\x00"


class BadStorage(Unavailable):
    """A file fanflow cannot use as it is; the message says which and what to do."""

    def __init__(self, message: str, path: Path):
        super().__init__(message)
        self.path = Path(path)


class DiskFull(Unavailable):
    """A write failed for lack of space; it succeeds again once there is some."""


def _restore_or_move(path: Path, what: str) -> str:
    return (f"restore {path.name} from a backup, or move it (with any {path.name}-wal and {path.name}-shm) aside "
            f"to start {what} empty, losing what it held; fanflow never replaces it by itself")


def check_sqlite_file(path: Path, what: str) -> None:
    """Raise BadStorage if `path` (the file of `what`, e.g. "history shard 3") cannot be
    used; stamp it with SCHEMA_VERSION otherwise. A missing or empty file is a new one."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        size = 0
    if size:
        with open(path, "rb") as f:
            header = f.read(100)
        if len(header) < 100 or not header.startswith(_HEADER):
            raise BadStorage(f"{what}: {path} is not a SQLite database (its header is damaged or it is not fanflow's file); "
                             + _restore_or_move(path, what), path)
        (page_size,) = struct.unpack(">H", header[16:18])
        page_size = 65536 if page_size == 1 else page_size
        change_counter, pages = struct.unpack(">II", header[24:32])
        (valid_for,) = struct.unpack(">I", header[92:96])
        wal = path.with_name(path.name + "-wal")
        # A WAL with frames may hold the pages past the end (a checkpoint cut short by a full
        # disk, say): SQLite recovers those by itself, and the quick check below reads through it.
        wal_frames = wal.exists() and wal.stat().st_size > 32
        if change_counter == valid_for and pages * page_size > size and not wal_frames:
            raise BadStorage(f"{what}: {path} is truncated: its header says {pages * page_size} bytes, the file has {size}; "
                             + _restore_or_move(path, what), path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    except (OSError, sqlite3.Error) as exc:
        raise BadStorage(f"{what}: {path} cannot be opened ({exc}); check the folder's permissions and space", path) from exc
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise BadStorage(f"{what}: {path} was written by a newer fanflow (schema version {version}; this version reads up to "
                             f"{SCHEMA_VERSION}); run the newer fanflow on it, or restore a backup this version wrote", path)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        if size and size <= QUICK_CHECK_MAX_BYTES:
            problems = [row[0] for row in conn.execute("PRAGMA quick_check(3)")]
            if problems != ["ok"]:
                raise BadStorage(f"{what}: {path} is damaged (SQLite's check: {'; '.join(problems)[:300]}); "
                                 + _restore_or_move(path, what), path)
        if version < SCHEMA_VERSION:
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, sqlite3.OperationalError) and _is_disk_full(exc):
            raise DiskFull(_disk_full_message(path, what, exc)) from exc
        raise BadStorage(f"{what}: {path} is damaged ({exc}); " + _restore_or_move(path, what), path) from exc
    finally:
        conn.close()


def bad_storage(exc: sqlite3.DatabaseError, path: Path, what: str) -> BadStorage:
    """What SQLite raised while opening `path` (past check_sqlite_file), as BadStorage."""
    return BadStorage(f"{what}: {path} is damaged ({exc}); " + _restore_or_move(Path(path), what), Path(path))


# ------------------------------------------------------------------ a full disk
_full: set[str] = set()  # files whose last write failed for lack of space
_lock = threading.Lock()


def _is_disk_full(exc: BaseException) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return code == sqlite3.SQLITE_FULL if code is not None else "disk is full" in str(exc)


def _disk_full_message(path: Path, what: str, exc: BaseException) -> str:
    return (f"disk full: {what} cannot write {path} ({exc}); free space on the disk holding {Path(path).parent}: "
            f"writes resume by themselves")


def storage_error(exc: Exception, path: Path, what: str) -> Exception:
    """The error a write's caller gets for `exc`: DiskFull for a full disk (logged once
    until storage_ok), the exception itself otherwise."""
    if not isinstance(exc, sqlite3.OperationalError) or not _is_disk_full(exc):
        return exc
    key = str(path)
    with _lock:
        first = key not in _full
        _full.add(key)
    if first:
        log.error(_disk_full_message(path, what, exc))
    return DiskFull(_disk_full_message(path, what, exc))


def storage_ok(path: Path, what: str) -> None:
    """A write to `path` committed: if it was failing for lack of space, say it recovered."""
    key = str(path)
    if key not in _full:  # the common case, without the lock
        return
    with _lock:
        was_full = key in _full
        _full.discard(key)
    if was_full:
        log.warning(f"disk space is back: {what} writes {path} again")


def is_disk_full(exc: BaseException) -> bool:
    return isinstance(exc, DiskFull) or (isinstance(exc, sqlite3.OperationalError) and _is_disk_full(exc))
