"""SQLite as every fanflow service that stores something uses it.

- `SqliteSettings`: the one place that validates and applies a database's settings
  (WAL journal, `synchronous`, busy timeout), for history and matching alike.
- `SqliteThread`: one sqlite3 connection and the one thread that uses it.
  `await db.run(fn, *args)` runs `fn(connection, *args)` there, so a whole
  transaction costs one hop between the event loop and the thread.
- `GroupCommit`: the group-commit writer. Writes queued while a transaction runs
  are committed together in the next one (one fsync for all of them); a write is
  acknowledged only after COMMIT returned. `in_savepoint` lets a store give each
  write its own savepoint, so one bad write cannot sink the others.

Durability: in WAL mode COMMIT writes the transaction to the WAL before it
returns. With synchronous=NORMAL that survives a crash or SIGKILL of the process
(the data is in the OS's page cache); FULL fsyncs every commit and survives power
loss too.
"""
from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import structlog

from fanflow import sqlite_health

log = structlog.get_logger("fanflow.sqlite")

SYNCHRONOUS_MODES = ("OFF", "NORMAL", "FULL", "EXTRA", "0", "1", "2", "3")
BUSY_TIMEOUT_MS = 30_000  # how long a writer waits for another process's transaction (a shard being taken over)


def check_synchronous(value: object) -> str:
    """The `synchronous` mode, upper-cased, or ValueError naming the setting."""
    mode = str(value).strip().upper()
    if mode not in SYNCHRONOUS_MODES:
        raise ValueError(f"sqlite_synchronous must be one of {', '.join(SYNCHRONOUS_MODES[:4])}, got {value!r}")
    return mode


@dataclass(frozen=True, slots=True)
class SqliteSettings:
    """How a database file is opened. `synchronous` comes from the cluster config
    (`sqlite_synchronous`, NORMAL there); FULL when nobody says."""

    synchronous: str = "FULL"
    busy_timeout_ms: int = BUSY_TIMEOUT_MS

    def __post_init__(self) -> None:
        object.__setattr__(self, "synchronous", check_synchronous(self.synchronous))
        if self.busy_timeout_ms < 0:
            raise ValueError(f"busy_timeout_ms must not be negative, got {self.busy_timeout_ms}")

    def connect(self, path: Path) -> sqlite3.Connection:
        """Open `path` (creating its folder) in WAL mode with these settings. The
        connection runs in autocommit mode: callers issue BEGIN / COMMIT themselves."""
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={self.synchronous}")
            conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_ms)}")
        except BaseException:
            conn.close()
            raise
        return conn


def _settle(future: asyncio.Future, result: Any, error: BaseException | None) -> None:
    if future.done():  # the caller gave up waiting
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


class SqliteThread:
    """A database connection owned by one thread; every statement runs there."""

    def __init__(self, path: Path, settings: SqliteSettings, name: str):
        self.path = Path(path)
        self.settings = settings
        self.name = name
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._conn: sqlite3.Connection | None = None

    @property
    def is_open(self) -> bool:
        return self._thread is not None

    async def open(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._serve, name=self.name, daemon=True)
        self._thread.start()
        try:
            await self.run(self._connect)
        except BaseException:
            await self.close()
            raise

    def _connect(self, _conn: None) -> None:
        self._conn = self.settings.connect(self.path)

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """fn(connection, *args) on the database's thread; its result or its exception."""
        if self._thread is None or self._loop is None:
            raise RuntimeError(f"database {self.path} is not open")
        future = self._loop.create_future()
        self._jobs.put((future, fn, args))
        return await future

    def _serve(self) -> None:
        loop = self._loop
        assert loop is not None
        while True:
            job = self._jobs.get()
            if job is None:
                break
            future, fn, args = job
            result, error = None, None
            try:
                result = fn(self._conn, *args)
            except BaseException as exc:  # handed to the caller
                error = exc
            try:
                loop.call_soon_threadsafe(_settle, future, result, error)
            except RuntimeError:  # the event loop is gone: nobody is waiting any more
                pass
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    async def close(self) -> None:
        """Run what is queued, close the connection, end the thread."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._jobs.put(None)
        await asyncio.get_running_loop().run_in_executor(None, thread.join)


def in_savepoint(conn: sqlite3.Connection, apply: Callable[[sqlite3.Connection], None]) -> BaseException | None:
    """apply(conn) inside a savepoint of the open transaction: on an error only its
    own changes are undone and the error is returned (the transaction goes on)."""
    conn.execute("SAVEPOINT write")
    try:
        apply(conn)
    except Exception as exc:
        conn.execute("ROLLBACK TO write")
        conn.execute("RELEASE write")
        return exc
    conn.execute("RELEASE write")
    return None


W = TypeVar("W")
TransactionBody = Callable[[sqlite3.Connection, Sequence[W]], Sequence[BaseException | None]]


class GroupCommit(Generic[W]):
    """The writer of one database: every write goes through it.

    `write(item)` returns once the transaction holding it committed (or raises
    what went wrong with it). `write_later(item)` is not waited for: it rides
    with the next transaction, or gets one of its own after `linger` seconds;
    if it fails it is tried again with the next one.

    Each transaction runs `body(connection, items)` between BEGIN IMMEDIATE and
    COMMIT on the database's thread, in one hop. `body` returns one outcome per
    item (None, or the exception for that item); if it raises, the transaction
    is rolled back and every item of it fails with that exception (that is how
    a fencing check refuses a whole batch).
    """

    def __init__(
        self,
        db: SqliteThread,
        body: TransactionBody,
        *,
        name: str,
        max_batch: int | None = None,
        linger: float = 0.05,
        drain_on_close: bool = True,
        closed_error: Callable[[], Exception] = lambda: RuntimeError("the database is closed"),
        on_committed: Callable[[list[W]], None] | None = None,
    ):
        """drain_on_close: close() commits what is queued first (else it fails queued
        writes with closed_error()). on_committed(items): after each commit, with the
        waited-for items it committed."""
        self._db = db
        self._body = body
        self.name = name
        self._max_batch = max_batch
        self._linger_seconds = linger
        self._drain_on_close = drain_on_close
        self._closed_error = closed_error
        self._on_committed = on_committed
        self._waited: list[tuple[W, asyncio.Future]] = []
        self._later: list[W] = []
        self._flush_waiters: list[asyncio.Future] = []
        self._wake = asyncio.Event()
        self._linger: asyncio.TimerHandle | None = None
        self._writer: asyncio.Task | None = None
        self._in_flight = False
        self._closing = False
        self.commits = 0  # transactions committed (observability)

    @property
    def closing(self) -> bool:
        return self._closing

    def start(self) -> None:
        self._writer = asyncio.create_task(self._run(), name=f"{self.name}-writer")

    async def write(self, item: W) -> None:
        if self._closing or self._writer is None:
            raise self._closed_error()
        future = asyncio.get_running_loop().create_future()
        self._waited.append((item, future))
        self._wake.set()
        await future

    def write_later(self, item: W) -> None:
        if self._closing or self._writer is None:
            return  # the caller accepted that a lazy write may be lost
        self._later.append(item)
        if self._linger is None and not self._wake.is_set():
            self._linger = asyncio.get_running_loop().call_later(self._linger_seconds, self._wake.set)

    async def flush(self) -> None:
        """Wait until everything queued so far (lazy writes too) is committed."""
        if self._writer is None or self._writer.done():
            return
        if not self._waited and not self._later and not self._in_flight:
            return
        future = asyncio.get_running_loop().create_future()
        self._flush_waiters.append(future)
        self._wake.set()
        await future

    async def close(self) -> None:
        if self._closing:
            return
        self._closing = True
        if not self._drain_on_close:
            waited, self._waited = self._waited, []
            for _, future in waited:
                if not future.done():
                    future.set_exception(self._closed_error())
            self._later.clear()
        self._wake.set()
        if self._writer is not None:
            await self._writer  # ends once nothing is queued (the batch in flight completes)
        if self._linger is not None:
            self._linger.cancel()
            self._linger = None

    # ------------------------------------------------------------ the writer
    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self._linger is not None:
                self._linger.cancel()
                self._linger = None
            if self._waited or self._later:
                self._in_flight = True
                try:
                    await self._commit_next_batch()
                finally:
                    self._in_flight = False
            if not self._waited and not self._later:
                for waiter in self._flush_waiters:
                    if not waiter.done():
                        waiter.set_result(None)
                self._flush_waiters.clear()
                if self._closing:
                    return
            elif self._waited or self._flush_waiters or self._closing:
                self._wake.set()  # more arrived while we were committing
            elif self._linger is None:
                self._linger = asyncio.get_running_loop().call_later(self._linger_seconds, self._wake.set)

    async def _commit_next_batch(self) -> None:
        if self._max_batch is None:
            waited, self._waited = self._waited, []
        else:
            waited, self._waited = self._waited[: self._max_batch], self._waited[self._max_batch :]
        later, self._later = self._later, []
        items = [item for item, _ in waited] + later
        try:
            outcomes = await self._db.run(self._transaction, items)
        except Exception as exc:  # the whole transaction failed (fenced, I/O error, full disk, ...)
            error = sqlite_health.storage_error(exc, self._db.path, self.name)
            if not isinstance(error, sqlite_health.DiskFull):  # that one is logged once, not per batch
                log.error("group commit failed", database=self.name, writes=len(items), error=repr(exc))
            outcomes = [error] * len(items)
        else:  # one write's own failure (in its savepoint) may be a full disk too
            outcomes = [None if o is None else sqlite_health.storage_error(o, self._db.path, self.name) for o in outcomes]
            if not any(isinstance(o, sqlite_health.DiskFull) for o in outcomes):
                sqlite_health.storage_ok(self._db.path, self.name)
        committed: list[W] = []
        for (item, future), outcome in zip(waited, outcomes):
            if outcome is None:
                committed.append(item)
            if not future.done():  # the caller may have given up; the write stands all the same
                if outcome is None:
                    future.set_result(None)
                else:
                    future.set_exception(outcome)
        retry = [item for item, outcome in zip(later, outcomes[len(waited):]) if outcome is not None]
        if retry and not self._closing:
            self._later = retry + self._later
        if committed and self._on_committed is not None:
            try:
                self._on_committed(committed)
            except Exception:
                log.exception("commit callback failed", database=self.name)

    def _transaction(self, conn: sqlite3.Connection, items: list[W]) -> Sequence[BaseException | None]:
        conn.execute("BEGIN IMMEDIATE")
        try:
            outcomes = self._body(conn, items)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        self.commits += 1
        return outcomes
