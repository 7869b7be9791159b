"""SQLite as every fanflow service that stores something uses it, on aiosqlite.

- `SqliteSettings`: the one place that validates and applies a database's settings
  (WAL journal, `synchronous`, busy timeout), for history and matching alike.
- `SqliteDatabase`: a file opened with two aiosqlite connections. The write
  connection is used by one holder at a time (`writing()`: the group commit's
  writer, or a store's own setup and maintenance); the read connection serves
  reads, which in WAL mode see the last committed state, never a transaction in
  flight, and do not wait for one.
- `GroupCommit`: the group-commit writer. Writes queued while a transaction runs
  are committed together in the next one (one fsync for all of them); a write is
  acknowledged only after its transaction committed.

How a transaction is one hop. Every aiosqlite call is a round trip between the
event loop and the connection's thread, and the event loop is fanflow's
bottleneck, so a transaction is ONE call whatever it carries: a write is a list
of statements `(sql, rows)`; the writer sends every row of every write in the
batch (the fencing check first, then each statement's rows in statement order) as
one multi-row INSERT into a TEMP view, whose INSTEAD OF triggers (one per
statement, its SQL with NEW.p1, NEW.p2, ... for its parameters) run the
statements. In autocommit mode one statement is one transaction, taking the write
lock when it starts: it commits as a whole before the call returns, or fails and
leaves nothing. (A batch of more than 32 rows is one executemany of 32-row INSERTs
between BEGIN IMMEDIATE and COMMIT: three calls.) If it fails, the batch is done
again write by write (BEGIN IMMEDIATE, the fencing check, each write in its own
savepoint, COMMIT), so a bad write fails alone and the others commit.

Durability: in WAL mode a commit writes the transaction to the WAL before it
returns. With synchronous=NORMAL that survives a crash or SIGKILL of the process
(the data is in the OS's page cache); FULL fsyncs every commit and survives power
loss too.
"""
from __future__ import annotations

import asyncio
import bisect
import logging
import re
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite
import structlog

from fanflow import sqlite_health
from fanflow.write_queue import WriteQueue

log = structlog.get_logger("fanflow.sqlite")
# aiosqlite logs every call with its parameters (payload bytes included) at DEBUG: never wanted,
# even when fanflow itself logs at DEBUG.
logging.getLogger("aiosqlite").setLevel(logging.INFO)

SYNCHRONOUS_MODES = ("OFF", "NORMAL", "FULL", "EXTRA", "0", "1", "2", "3")
BUSY_TIMEOUT_MS = 30_000  # how long a writer waits for another process's transaction (a shard being taken over)
# The row counts an INSERT into the group commit's view is written for. Each is prepared once
# per connection (~0.3 ms, plus ~10 us a row), so there are few, and small; a batch of more rows
# is one executemany of the largest, in one transaction.
INSERT_SIZES = (1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 24, 32)


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
        """Open `path` (creating its folder) in WAL mode with these settings. The
        connection runs in autocommit mode: a statement is its own transaction unless
        the caller issues BEGIN (and COMMIT). read_only: it refuses to write."""
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(path, isolation_level=None)
        try:
            # execute_fetchall: each statement runs to its end (an unfinished one would hold its transaction open).
            await conn.execute_fetchall(f"PRAGMA busy_timeout={int(self.busy_timeout_ms)}")
            await conn.execute_fetchall("PRAGMA journal_mode=WAL")
            await conn.execute_fetchall(f"PRAGMA synchronous={self.synchronous}")
            if read_only:
                await conn.execute_fetchall("PRAGMA query_only=ON")
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
        self._guard: asyncio.Task | None = None

    @property
    def is_open(self) -> bool:
        return self._writer is not None

    async def open(self) -> None:
        # aiosqlite's threads are not daemon threads: a connection left open keeps the process
        # from exiting (say, a start that failed half-way). The guard closes them when it is
        # cancelled, as asyncio.run cancels every task left when its loop ends.
        self._guard = asyncio.get_running_loop().create_task(self._close_on_cancel(), name=f"{self.name}-close-guard")
        try:
            self._writer = await self.settings.connect(self.path)  # first: it turns WAL on
            self._reader = await self.settings.connect(self.path, read_only=True)
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        """Wait for the holder of the write connection, then close both connections
        (reads already queued run first)."""
        async with self._writing:
            await self._close_connections()
        guard, self._guard = self._guard, None
        if guard is not None:
            guard.cancel()
            await asyncio.wait([guard])  # its end, without taking its cancellation for ours

    async def _close_connections(self) -> None:
        writer, self._writer = self._writer, None
        reader, self._reader = self._reader, None
        for conn in (writer, reader):
            if conn is not None:
                await conn.close()  # after the calls already queued on it

    async def _close_on_cancel(self) -> None:
        try:
            await asyncio.get_running_loop().create_future()  # never done: waits to be cancelled
        finally:
            if self._writer is not None or self._reader is not None:
                log.warning("database left open: closed as its event loop ends", database=self.name)
                await self._close_connections()

    def writing(self) -> _Writing:
        """`async with db.writing() as conn`: the write connection, for this caller alone
        until the block ends. A block that raises has its open transaction rolled back; one
        that leaves a transaction open is an error (rolled back too): the group commit's
        statements must each be their own transaction."""
        return _Writing(self)

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        """The rows of one query, on the read connection (one hop, one snapshot)."""
        if self._reader is None:
            raise RuntimeError(f"database {self.path} is not open")
        return list(await self._reader.execute_fetchall(sql, params))

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None


class _Writing:
    """What SqliteDatabase.writing() returns (a class: this runs once per transaction)."""

    __slots__ = ("_db", "_conn")

    def __init__(self, db: SqliteDatabase):
        self._db = db
        self._conn: aiosqlite.Connection | None = None

    async def __aenter__(self) -> aiosqlite.Connection:
        db = self._db
        await db._writing.acquire()
        if db._writer is None:
            db._writing.release()
            raise RuntimeError(f"database {db.path} is not open")
        self._conn = db._writer
        return self._conn

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        conn, db = self._conn, self._db
        assert conn is not None
        try:
            if exc_type is not None:
                try:
                    await conn.rollback()
                except Exception as error:  # closed under us: the error that got us here says more
                    log.warning("rollback failed", database=db.name, error=repr(error))
            elif conn.in_transaction:
                await conn.rollback()
                raise RuntimeError(f"a writer of {db.path} left its transaction open (rolled back): end it with commit()")
        finally:
            db._writing.release()


# One statement of a write: its SQL (placeholders `?` only) and its parameter rows.
Statement = tuple[str, Sequence[Sequence[Any]]]


@dataclass(frozen=True, slots=True)
class Fence:
    """Refuses the writes of a writer that lost the file (another owner took it).

    `sql` is a query that returns a row while this writer may still write, with the
    parameters `params()` gives at each transaction. It runs in every transaction,
    before the batch's writes and atomically with them; when it returns no row the
    whole batch is rolled back and every write in it fails with `refused()`."""

    sql: str
    params: Callable[[], Sequence[Any]]
    refused: Callable[[], Exception]


_VIEW = "temp.group_commit_writes"


_PLACEHOLDER = re.compile(r"\?")
W = TypeVar("W")


class GroupCommit(WriteQueue[W]):
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

    A transaction is one aiosqlite call (see the module's docstring). If it fails:
    with `isolate_failures`, the batch is redone item by item, each in its own
    savepoint, and only the items whose statements fail get their error; without,
    every item of the batch fails with it. A refusing `fence` fails the whole batch.
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
        """drain_on_close, closed_error, on_committed: see fanflow.write_queue.WriteQueue."""
        super().__init__(name=name, max_batch=max_batch, linger=linger, drain_on_close=drain_on_close,
                         closed_error=closed_error, on_committed=on_committed)
        self._db = db
        order = tuple(statement_order)
        for sql in (*order, *([fence.sql] if fence else [])):
            if "'" in sql or '"' in sql:  # a `?` inside a literal would be taken for a placeholder
                raise ValueError(f"a group-commit statement must not hold quoted text: {sql!r}")
        self._order = order
        self._rank = {sql: rank for rank, sql in enumerate(order, start=1)}  # the fence is statement 0
        self._sql = {0: fence.sql if fence else "", **{rank: sql for sql, rank in self._rank.items()}}
        self._arity = {rank: sql.count("?") for rank, sql in self._sql.items()}
        self._statements = statements
        self._fence = fence
        arity = max([sql.count("?") for sql in order] + [fence.sql.count("?") if fence else 0])
        self._row_width = 1 + arity  # statement number, then its parameters padded with NULLs
        # Padding is 0, not NULL: sqlite3 binds an int at once, but looks for an adapter for
        # None (and bytes) each time, which made a row of NULLs cost 3 us.
        self._padding = [(0,) * (arity - n) for n in range(arity + 1)]
        self._filler = [-1] + [0] * arity  # a row no trigger takes
        one = "(" + ",".join(["?"] * self._row_width) + ")"
        self._insert_sql = {size: f"INSERT INTO {_VIEW} VALUES " + ",".join([one] * size) for size in INSERT_SIZES}
        self._isolate_failures = isolate_failures

    async def start(self) -> None:
        """Create the statements' view and triggers on the write connection, start the writer."""
        async with self._db.writing() as conn:
            await conn.executescript(self._dispatch_script())
        self._writer = asyncio.create_task(self._writer_loop(self._run), name=f"{self.name}-writer")

    def _dispatch_script(self) -> str:
        columns = ", ".join(f"p{i}" for i in range(1, self._row_width))
        nulls = ", ".join(["NULL"] * self._row_width)
        script = [f"CREATE TEMP VIEW {_VIEW.split('.')[1]} (statement, {columns}) AS SELECT {nulls};"]
        triggers = [(rank, f"{sql};") for sql, rank in self._rank.items()]
        if self._fence is not None:
            triggers.append((0, f"SELECT RAISE(ABORT, 'fenced') WHERE NOT EXISTS ({self._fence.sql});"))
        for rank, body in triggers:
            parameter = iter(range(1, self._row_width))
            body = _PLACEHOLDER.sub(lambda _: f"NEW.p{next(parameter)}", body)
            script.append(f"CREATE TEMP TRIGGER group_commit_statement_{rank} INSTEAD OF INSERT ON {_VIEW.split('.')[1]} "
                          f"WHEN NEW.statement = {rank} BEGIN {body} END;")
        return "\n".join(script)

    # ------------------------------------------------------------ the writer
    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            self._stop_lingering()
            if self._waited or self._later:
                self._in_flight = True
                try:
                    await self._commit_next_batch()
                finally:
                    self._in_flight = False
            if not self._waited and not self._later:
                self._release_flush_waiters()
                if self._closing:
                    return
            elif self._waited or self._flush_waiters or self._closing:
                self._wake.set()  # more arrived while we were committing
            elif self._linger is None:
                self._linger = asyncio.get_running_loop().call_later(self._linger_seconds, self._wake.set)

    async def _commit_next_batch(self) -> None:
        waited, later, items = self._take_batch()
        try:
            async with self._db.writing() as conn:
                outcomes = await self._transaction(conn, items)
        except Exception as exc:  # the whole transaction failed (fenced, I/O error, closed, full disk, ...)
            error = sqlite_health.storage_error(exc, self._db.path, self.name)
            if not isinstance(error, sqlite_health.DiskFull):  # that one is logged once, not per batch
                log.error("group commit failed", database=self.name, writes=len(items), error=repr(exc))
            outcomes = [error] * len(items)
        else:  # one write's own failure may be a full disk too
            outcomes = [None if o is None else sqlite_health.storage_error(o, self._db.path, self.name) for o in outcomes]
            if not any(isinstance(o, sqlite_health.DiskFull) for o in outcomes):
                sqlite_health.storage_ok(self._db.path, self.name)
        self._settle(waited, later, outcomes)

    def _rows(self, items: Sequence[W], *, fenced: bool) -> list[Any]:
        """The view's rows for `items`, flat (`row_width` values each): the fence first (if
        `fenced`), then each statement's rows of every item, in statement order. A row is
        the statement's number, its parameters, zeros up to the width."""
        by_rank: dict[int, list[Sequence[Any]]] = {}
        for item in items:
            for sql, params in self._statements(item):
                by_rank.setdefault(self._rank[sql], []).extend(params)
        flat: list[Any] = []
        padding = self._padding
        if fenced and self._fence is not None:
            by_rank[0] = [self._fence.params()]
        for rank in sorted(by_rank):
            arity = self._arity[rank]
            for params in by_rank[rank]:
                if len(params) != arity:  # the view would take the missing ones for NULLs
                    raise sqlite3.ProgrammingError(
                        f"{self._sql[rank]!r} takes {arity} parameters, {len(params)} given: {params!r:.200}"
                    )
                flat.extend((rank, *params, *padding[arity]))
        return flat

    async def _insert(self, conn: aiosqlite.Connection, rows: list[Any]) -> None:
        """Write flat `rows` through the view: one INSERT of up to 32 rows, or one executemany of
        32-row INSERTs (inside the caller's transaction: each execution commits on its own else).
        Row counts are rounded up to INSERT_SIZES with filler rows that no trigger takes, so the
        connection keeps each statement prepared."""
        width, largest = self._row_width, INSERT_SIZES[-1]
        count = len(rows) // width
        if count == 0:
            return
        if count <= largest:
            size = INSERT_SIZES[bisect.bisect_left(INSERT_SIZES, count)]
            await conn.execute_fetchall(self._insert_sql[size], rows + self._filler * (size - count))
        else:
            step = largest * width
            parts = [rows[start : start + step] for start in range(0, len(rows), step)]
            parts[-1] = parts[-1] + self._filler * (largest - len(parts[-1]) // width)
            await conn.executemany(self._insert_sql[largest], parts)

    async def _transaction(self, conn: aiosqlite.Connection, items: Sequence[W]) -> list[BaseException | None]:
        try:
            rows = self._rows(items, fenced=True)
            if len(rows) <= INSERT_SIZES[-1] * self._row_width:
                await self._insert(conn, rows)  # one statement: its own transaction, committed when the call returns
            else:  # more rows: BEGIN, one executemany, COMMIT
                await conn.execute_fetchall("BEGIN IMMEDIATE")
                await self._insert(conn, rows)
                await conn.commit()
        except BaseException as exc:
            await conn.rollback()  # nothing to undo after a failed single statement; the executemany otherwise
            if not (isinstance(exc, Exception) and (self._isolate_failures or self._fence is not None)):
                raise
            return await self._item_by_item(conn, items, exc)
        self.commits += 1
        return [None] * len(items)

    async def _item_by_item(self, conn: aiosqlite.Connection, items: Sequence[W], error: Exception) -> list[BaseException | None]:
        """The failure path: the fence checked on its own, then each item in its own savepoint."""
        await conn.execute_fetchall("BEGIN IMMEDIATE")
        fence = self._fence
        if fence is not None and not await conn.execute_fetchall(fence.sql, fence.params()):
            await conn.rollback()
            raise fence.refused()
        if not self._isolate_failures:  # not the fence: the batch's own error, all or nothing
            await conn.rollback()
            raise error
        outcomes: list[BaseException | None] = []
        try:
            for item in items:
                await conn.execute_fetchall("SAVEPOINT write")
                try:
                    await self._insert(conn, self._rows([item], fenced=False))
                except Exception as exc:
                    if not conn.in_transaction:
                        # SQLite rolled the whole transaction back (a full disk, an I/O error): the
                        # savepoint is gone with it, and no item of the batch can be kept apart.
                        raise
                    await conn.execute_fetchall("ROLLBACK TO write")
                    outcomes.append(exc)
                else:
                    outcomes.append(None)
                await conn.execute_fetchall("RELEASE write")
            await conn.commit()
        except BaseException:
            await conn.rollback()
            raise
        self.commits += 1
        return outcomes
