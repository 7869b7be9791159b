"""SQLite as every fanflow service that stores something uses it, on aiosqlite.

- `SqliteSettings`: the one place that validates and applies a database's settings
  (WAL journal, `synchronous`, busy timeout), for history and matching alike.
- `SqliteDatabase`: a file opened with two aiosqlite connections. The write
  connection is used by one writer at a time (`writing()`: its group commit's
  transactions, or a store's own maintenance); the read connection serves reads,
  which in WAL mode see the last committed state and never a transaction in flight.
- `GroupCommit`: the group-commit writer. Writes queued while a transaction runs
  are committed together in the next one (one fsync for all of them); a write is
  acknowledged only after COMMIT returned.

A write is a list of statements, `(sql, rows)`. A transaction merges the rows of
every write in its batch per statement and runs each statement once
(`executemany`), in a fixed order; the first one opens the transaction (BEGIN
IMMEDIATE), then come the fencing check and COMMIT. Each call is one hop to
aiosqlite's thread, so a transaction costs (statements + 2) hops however many
writes it carries. If a statement fails, the batch is rolled back and done again
write by write, each in its own savepoint, so the bad write fails alone and the
others commit.

Durability: in WAL mode COMMIT writes the transaction to the WAL before it
returns. With synchronous=NORMAL that survives a crash or SIGKILL of the process
(the data is in the OS's page cache); FULL fsyncs every commit and survives power
loss too.
"""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import aiosqlite
import structlog

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

    async def connect(self, path: Path, *, read_only: bool = False) -> aiosqlite.Connection:
        """Open `path` (creating its folder) in WAL mode with these settings.

        A write connection opens its transactions itself: sqlite3 runs BEGIN IMMEDIATE
        before the first INSERT / UPDATE / DELETE that finds none open (isolation_level
        IMMEDIATE), so no write ever runs outside a transaction and nothing is committed
        but by an explicit COMMIT (`commit()`); callers may also BEGIN themselves.
        read_only: a connection that refuses to write (PRAGMA query_only), in autocommit mode."""
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(path, isolation_level=None if read_only else "IMMEDIATE")
        try:
            await conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_ms)}")
            await conn.execute("PRAGMA journal_mode=WAL")
            await conn.execute(f"PRAGMA synchronous={self.synchronous}")
            if read_only:
                await conn.execute("PRAGMA query_only=ON")
        except BaseException:
            await conn.close()
            raise
        return conn


class SqliteDatabase:
    """A SQLite file with a write connection and a read connection (aiosqlite, one thread each).

    Statements on the write connection come from one holder of `writing()` at a time, so
    a transaction's statements never interleave with anybody else's. Reads go to the
    read connection: in WAL mode a read sees what was committed when it started, never
    the rows of a transaction still running, and it does not wait for one."""

    def __init__(self, path: Path, settings: SqliteSettings, name: str):
        self.path = Path(path)
        self.settings = settings
        self.name = name
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._writing = asyncio.Lock()

    @property
    def is_open(self) -> bool:
        return self._writer is not None

    async def open(self) -> None:
        try:
            self._writer = await self.settings.connect(self.path)  # first: it turns WAL on
            self._reader = await self.settings.connect(self.path, read_only=True)
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        """Wait for the writer in progress, then close both connections (queued reads run first)."""
        async with self._writing:
            writer, self._writer = self._writer, None
            reader, self._reader = self._reader, None
            for conn in (writer, reader):
                if conn is not None:
                    await conn.close()

    @contextlib.asynccontextmanager
    async def writing(self) -> AsyncIterator[aiosqlite.Connection]:
        """The write connection, for this caller alone until the block ends. A block that
        raises has its open transaction rolled back (the next holder starts clean)."""
        async with self._writing:
            conn = self._writer
            if conn is None:
                raise RuntimeError(f"database {self.path} is not open")
            try:
                yield conn
            except BaseException:
                try:
                    await conn.rollback()
                except Exception as exc:  # closed under us: the error that got us here says more
                    log.warning("rollback failed", database=self.name, error=repr(exc))
                raise

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        """The rows of one query, on the read connection (one hop)."""
        if self._reader is None:
            raise RuntimeError(f"database {self.path} is not open")
        return list(await self._reader.execute_fetchall(sql, params))

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None


# One statement of a write: its SQL and its parameter rows (run with executemany).
Statement = tuple[str, Sequence[Sequence[Any]]]


@dataclass(frozen=True, slots=True)
class Fence:
    """A check inside every transaction, before its COMMIT: `check(rows)` gets the rows
    of `sql` and raises to refuse the whole batch, which is then rolled back. The
    transaction holds the write lock from its BEGIN IMMEDIATE on, so nobody can write
    between the check and the batch's statements."""

    sql: str
    params: Sequence[Any]
    check: Callable[[list[tuple]], None]


W = TypeVar("W")


class GroupCommit(Generic[W]):
    """The writer of one database: every write goes through it.

    `write(item)` returns once the transaction holding it committed (or raises
    what went wrong with it). `write_later(item)` is not waited for: it rides
    with the next transaction, or gets one of its own after `linger` seconds;
    if it fails it is tried again with the next one.

    `statements(item)` turns an item into its statements; every statement must be
    in `statement_order`, the order in which a transaction runs them (an item's own
    statements must follow it: a row a later statement depends on comes first).
    The items of one batch are concurrent writes (their callers did not wait for
    each other), so the order between them is free.

    A failing statement: with `isolate_failures`, the batch is redone item by item,
    each in its own savepoint, and only the items whose statements fail get their
    error; without, every item of the batch fails with it. A failing `fence`, BEGIN
    or COMMIT fails the whole batch.
    """

    def __init__(
        self,
        db: SqliteDatabase,
        *,
        name: str,
        statement_order: Iterable[str],
        statements: Callable[[W], Sequence[Statement]] = lambda item: item,  # type: ignore[assignment, return-value]
        fence: Fence | None = None,
        isolate_failures: bool = True,
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
        self.name = name
        self._rank = {sql: rank for rank, sql in enumerate(statement_order)}
        self._statements = statements
        self._fence = fence
        self._isolate_failures = isolate_failures
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
            async with self._db.writing() as conn:
                outcomes = await self._transaction(conn, items)
        except Exception as exc:  # the whole transaction failed (fenced, I/O error, closed, ...)
            log.error("group commit failed", database=self.name, writes=len(items), error=repr(exc))
            outcomes = [exc] * len(items)
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

    def _merged(self, items: Sequence[W]) -> list[Statement]:
        """Each statement once, with the rows of every item, in statement order."""
        rows: dict[str, list[Sequence[Any]]] = {}
        for item in items:
            for sql, params in self._statements(item):
                if params:
                    rows.setdefault(sql, []).extend(params)
        return sorted(rows.items(), key=lambda statement: self._rank[statement[0]])

    async def _transaction(self, conn: aiosqlite.Connection, items: Sequence[W]) -> list[BaseException | None]:
        """One call per statement (the first one opens the transaction), the fence, COMMIT."""
        try:
            for sql, rows in self._merged(items):
                await conn.executemany(sql, rows)
        except BaseException as exc:
            await conn.rollback()
            if not (isinstance(exc, Exception) and self._isolate_failures):
                raise
            return await self._item_by_item(conn, items)
        await self._check_fence(conn)
        await self._commit(conn)
        return [None] * len(items)

    async def _item_by_item(self, conn: aiosqlite.Connection, items: Sequence[W]) -> list[BaseException | None]:
        """The failure path: each item in its own savepoint, so a bad one is undone alone."""
        await conn.execute("BEGIN IMMEDIATE")
        await self._check_fence(conn)  # a stale owner's batch fails whole, bad item or not
        outcomes: list[BaseException | None] = []
        try:
            for item in items:
                await conn.execute("SAVEPOINT write")
                try:
                    for sql, rows in self._merged([item]):
                        await conn.executemany(sql, rows)
                except Exception as exc:
                    await conn.execute("ROLLBACK TO write")
                    outcomes.append(exc)
                else:
                    outcomes.append(None)
                await conn.execute("RELEASE write")
        except BaseException:
            await conn.rollback()
            raise
        await self._commit(conn)
        return outcomes

    async def _check_fence(self, conn: aiosqlite.Connection) -> None:
        fence = self._fence
        if fence is None:
            return
        try:
            fence.check(list(await conn.execute_fetchall(fence.sql, fence.params)))
        except BaseException:
            await conn.rollback()
            raise

    async def _commit(self, conn: aiosqlite.Connection) -> None:
        try:
            await conn.commit()
        except BaseException:
            await conn.rollback()
            raise
        self.commits += 1
