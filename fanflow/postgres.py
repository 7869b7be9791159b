"""PostgreSQL as every fanflow service that stores something there uses it.

- Schema management: the migrations are plain SQL files in `fanflow/pg_schema/`
  (`NNNN_name.sql`), applied in order, each in its own transaction, recorded in the
  `schema_version` table. `fanflow schema create|upgrade|version --dsn ...` runs them;
  a service refuses to start on a database whose version is not `SCHEMA_VERSION`.
- `Database`: one connection pool per DSN and event loop, shared by every store of
  the process (all shards, the metadata store, matching's backlog). Opening it checks
  that the server answers, the credentials work and the schema is the one we know;
  each of those failures is a `DatabaseUnusable` naming the setting or command to fix.
- `PgGroupCommit`: the group-commit writer. Writes queued while a transaction runs are
  committed together in the next one (one WAL flush for all); a write is acknowledged
  only after COMMIT returned.
- Error mapping: a lost connection or a server that is down or restarting becomes
  `fanflow.errors.Unavailable` (the client retries; the pool reconnects by itself once
  the server is back), see `unavailable_errors`.
"""
from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import structlog

from fanflow.errors import Unavailable
from fanflow.write_queue import WriteQueue

log = structlog.get_logger("fanflow.postgres")

DSN_SETTING = "postgres_dsn (or FANFLOW_POSTGRES_DSN)"


class DatabaseUnusable(Exception):
    """The database cannot be used as configured (unreachable at start, wrong credentials,
    no schema or another version): the message names what to fix. Services exit with 2."""


# ------------------------------------------------------------------ schema management
@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    """The schema's migrations, in order (fanflow/pg_schema/NNNN_name.sql)."""
    found = []
    for entry in resources.files("fanflow.pg_schema").iterdir():
        match = re.fullmatch(r"(\d{4})_(\w+)\.sql", entry.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), entry.read_text()))
    found.sort(key=lambda m: m.version)
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        raise RuntimeError(f"fanflow/pg_schema: migrations must be numbered 1..n without gaps, found {[m.version for m in found]}")
    return found


SCHEMA_VERSION = len(migrations())  # the version this fanflow reads and writes
_MIGRATION_LOCK = 0x66616E66  # pg_advisory_xact_lock key: one migrator at a time

_SCHEMA_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)"""


def redact(dsn: str) -> str:
    """The DSN without its password, for messages and logs."""
    try:
        parts = urlsplit(dsn)
    except ValueError:
        return "<unparseable DSN>"
    if parts.password is None:
        return dsn
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


async def connect(dsn: str, timeout: float = 10.0):
    """One connection, or DatabaseUnusable saying why not (in words an operator can act on)."""
    import asyncpg

    if not dsn:
        raise DatabaseUnusable(f"persistence is postgres but no DSN is set: set {DSN_SETTING}, e.g. postgresql://user:password@host:5432/fanflow")
    try:
        return await asyncpg.connect(dsn, timeout=timeout)
    except Exception as exc:
        raise _unusable(dsn, exc) from None


def _unusable(dsn: str, exc: BaseException) -> DatabaseUnusable:
    import asyncpg

    where = redact(dsn)
    if isinstance(exc, (asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError)):
        return DatabaseUnusable(f"PostgreSQL at {where} refused the credentials ({exc}): fix the user or password in {DSN_SETTING}")
    if isinstance(exc, asyncpg.InvalidCatalogNameError):
        return DatabaseUnusable(f"PostgreSQL at {where}: {exc}; create it (createdb) or fix the database name in {DSN_SETTING}")
    if isinstance(exc, (OSError, asyncio.TimeoutError, asyncpg.CannotConnectNowError, asyncpg.PostgresConnectionError)):
        return DatabaseUnusable(f"cannot reach PostgreSQL at {where} ({type(exc).__name__}: {exc}): is the server running? check {DSN_SETTING}")
    if isinstance(exc, (ValueError, asyncpg.ClientConfigurationError)):
        return DatabaseUnusable(f"{DSN_SETTING} is not a valid PostgreSQL DSN ({exc}): use postgresql://user:password@host:5432/dbname")
    return DatabaseUnusable(f"PostgreSQL at {where}: {type(exc).__name__}: {exc}")


async def current_version(conn) -> int:
    """The database's schema version; 0: no fanflow schema."""
    exists = await conn.fetchval("SELECT to_regclass('schema_version') IS NOT NULL")
    if not exists:
        return 0
    return int(await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_version"))


async def upgrade(conn, *, only_if_empty: bool = False, up_to: int | None = None) -> list[Migration]:
    """Apply the migrations the database has not seen, each in a transaction (under an
    advisory lock, so two migrators never interleave); the ones applied.
    only_if_empty: refuse (DatabaseUnusable) unless the database has no schema yet.
    up_to: stop after that version (a database as an earlier release left it)."""
    applied = []
    for migration in migrations():
        if up_to is not None and migration.version > up_to:
            break
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATION_LOCK)
            await conn.execute(_SCHEMA_VERSION_TABLE)
            version = await current_version(conn)
            if only_if_empty and version and not applied:
                raise DatabaseUnusable(f"the database already has fanflow schema version {version}: use `fanflow schema upgrade` to bring it up to date")
            if version > SCHEMA_VERSION:
                raise DatabaseUnusable(newer_schema_message(version))
            if version >= migration.version:
                continue
            await conn.execute(migration.sql)
            await conn.execute("INSERT INTO schema_version (version, name) VALUES ($1, $2)", migration.version, migration.name)
            applied.append(migration)
            log.info("schema migration applied", version=migration.version, name=migration.name)
    return applied


def newer_schema_message(version: int, known: int = SCHEMA_VERSION) -> str:
    return (f"the database has fanflow schema version {version}, newer than this fanflow knows ({known}): "
            "run a fanflow release that knows it")


async def check_schema(conn, dsn: str, expected: int = SCHEMA_VERSION) -> None:
    """DatabaseUnusable unless the schema is exactly `expected` (this fanflow's), naming the command to run."""
    version = await current_version(conn)
    if version == 0:
        raise DatabaseUnusable(f"PostgreSQL at {redact(dsn)} has no fanflow schema: run `fanflow schema create --dsn DSN` first")
    if version < expected:
        raise DatabaseUnusable(
            f"PostgreSQL at {redact(dsn)} has fanflow schema version {version}, this fanflow needs {expected}: "
            "run `fanflow schema upgrade --dsn DSN`"
        )
    if version > expected:
        raise DatabaseUnusable(newer_schema_message(version, expected))


# ------------------------------------------------------------------ errors
def is_unavailable(exc: BaseException) -> bool:
    """Errors that mean "the database is not there right now" (retry later), not a bad write."""
    import asyncpg

    return isinstance(exc, (
        OSError,
        asyncio.TimeoutError,
        asyncpg.PostgresConnectionError,  # includes ConnectionDoesNotExistError
        asyncpg.OperatorInterventionError,  # admin shutdown, crash shutdown, cannot connect now
        asyncpg.InterfaceError,  # "pool is closing", "connection is closed"
        asyncpg.InsufficientResourcesError,  # too many connections
        asyncpg.exceptions._base.InternalClientError,  # the protocol state of a connection the server cut mid-operation
    ))


def _cause(exc: BaseException) -> BaseException:
    """The error behind asyncpg's InterfaceErrors about a connection already lost (raised while
    cleaning up after the real one, e.g. a transaction's exit): that one says what happened."""
    import asyncpg

    while isinstance(exc, asyncpg.InterfaceError) and exc.__context__ is not None and is_unavailable(exc.__context__):
        exc = exc.__context__
    return exc


def as_unavailable(exc: BaseException, what: str) -> Exception:
    """exc as the error a service returns: Unavailable for an outage, else exc itself."""
    if isinstance(exc, Unavailable) or not is_unavailable(exc):
        return exc  # type: ignore[return-value]
    import asyncpg

    cause = _cause(exc)
    if isinstance(cause, asyncpg.InterfaceError) and ("released back to the pool" in str(cause) or "connection is closed" in str(cause)):
        return Unavailable(f"{what}: PostgreSQL is unavailable (the server or the network closed the connection); retry")
    return Unavailable(f"{what}: PostgreSQL is unavailable ({type(cause).__name__}: {cause}); retry")


# ------------------------------------------------------------------ the shared pool

def session_name(member: str) -> str:
    """The application_name of a history host's PostgreSQL sessions. The next owner of a shard
    whose row lock a frozen host still holds finds them by it, once that host's lease ran out
    (history/persistence/postgres.py). PostgreSQL keeps 63 bytes of it: a longer name is hashed."""
    name = f"fanflow {member}"
    if len(name.encode()) <= 63:
        return name
    return "fanflow " + hashlib.sha256(member.encode()).hexdigest()[:40]


class _SharedPool:
    """One asyncpg pool per (DSN, event loop, application name), opened by its first user,
    closed by its last."""

    registry: dict[tuple[str, int, str], "_SharedPool"] = {}

    def __init__(self, key: tuple[str, int, str], dsn: str, pool_size: int):
        self.key = key
        self.dsn = dsn
        self.pool_size = pool_size
        self.application_name = key[2]
        self.pool = None
        self.users = 0
        self.opening: asyncio.Future | None = None

    async def acquire_use(self) -> None:
        self.users += 1
        try:
            if self.opening is None:
                self.opening = asyncio.ensure_future(self._create())
            await asyncio.shield(self.opening)
        except BaseException:
            self.users -= 1
            if self.opening is not None and self.opening.done():
                self.opening = None  # the next user tries again
            if self.users == 0:
                self.registry.pop(self.key, None)
            raise

    async def _create(self) -> None:
        import asyncpg

        conn = await connect(self.dsn)
        try:
            await check_schema(conn, self.dsn)
        finally:
            await conn.close()
        try:
            self.pool = await asyncpg.create_pool(
                self.dsn, min_size=1, max_size=self.pool_size, max_inactive_connection_lifetime=60.0,
                command_timeout=COMMAND_TIMEOUT,
                server_settings={
                    "idle_in_transaction_session_timeout": str(IDLE_IN_TRANSACTION_TIMEOUT_MS),
                    **({"application_name": self.application_name} if self.application_name else {}),
                },
                reset=_keep_session,
            )
        except Exception as exc:
            raise _unusable(self.dsn, exc) from None
        log.info("postgres pool open", database=redact(self.dsn), max_connections=self.pool_size)

    async def release_use(self) -> None:
        self.users -= 1
        if self.users > 0:
            return
        self.registry.pop(self.key, None)
        pool, self.pool = self.pool, None
        if pool is not None:
            try:
                await asyncio.wait_for(pool.close(), 5.0)
            except Exception:
                pool.terminate()


def _given_back(conn) -> bool:
    """Closed, or already taken back by the pool: asyncpg does that by itself when the server
    ends a connection, and then refuses every call on it (InterfaceError, which would hide the
    real error)."""
    import asyncpg

    try:
        return conn.is_closed()
    except asyncpg.InterfaceError:
        return True


# A process frozen (SIGSTOP, a stalled VM) in the middle of a transaction holds its locks, among them
# the shard row's share lock that fencing takes: the server ends such a session after this long,
# so the next owner can take the shard. Our transactions never wait on the client that long.
IDLE_IN_TRANSACTION_TIMEOUT_MS = 4000
# No statement of ours runs for long; one that has not answered after this long (a connection the
# network or a restarting server left hanging) fails as an outage, and its connection is dropped,
# instead of holding up its caller for good (a shard's timer loop or writer among them).
COMMAND_TIMEOUT = 60.0


async def _keep_session(conn) -> None:
    """What a connection goes back to the pool with: asyncpg's default resets the session
    (advisory locks, cursors, LISTEN, settings: a round trip of 4 statements, a third of all
    statements the cluster sent). fanflow's sessions hold none of those (settings are SET LOCAL,
    the migrations' advisory lock is a transaction's, on a connection of their own); a
    connection left in a transaction is rolled back by the pool all the same."""


class Database:
    """A store's handle on the cluster's database. Every handle of a process (of one event
    loop) with the same DSN shares one pool: `open()` joins it (the first one opens it,
    checking the server and the schema), `close()` leaves it (the last one closes it).
    application_name: the sessions' name on the server (a history host's `session_name`);
    handles with different names get different pools."""

    def __init__(self, dsn: str, pool_size: int = 16, application_name: str = ""):
        self.dsn = dsn
        self.pool_size = pool_size
        self.application_name = application_name
        self.location = redact(dsn)
        self._shared: _SharedPool | None = None

    @classmethod
    def shared(cls, dsn: str, pool_size: int = 16, application_name: str = "") -> "Database":
        return cls(dsn, pool_size, application_name)

    @property
    def _pool(self):
        return self._shared.pool if self._shared is not None else None

    async def open(self) -> "Database":
        if self._shared is not None:
            return self
        key = (self.dsn, id(asyncio.get_running_loop()), self.application_name)
        shared = _SharedPool.registry.get(key)
        if shared is None:
            shared = _SharedPool.registry[key] = _SharedPool(key, self.dsn, self.pool_size)
        await shared.acquire_use()
        self._shared = shared
        return self

    async def close(self) -> None:
        shared, self._shared = self._shared, None
        if shared is not None:
            await shared.release_use()

    @asynccontextmanager
    async def connection(self, what: str):
        """A pooled connection; outages raise Unavailable naming `what` was being done."""
        if self._pool is None:
            raise Unavailable(f"{what}: the PostgreSQL pool is closed")
        try:
            async with self._pool.acquire(timeout=30.0) as conn:
                try:
                    yield conn
                except BaseException as exc:
                    if is_unavailable(exc) and not _given_back(conn):
                        conn.terminate()  # never hand a connection in an unknown state to the next user: the pool opens a new one
                    raise
        except Exception as exc:
            error = as_unavailable(exc, what)
            if error is exc:
                raise
            raise error from exc

    async def fetch(self, what: str, sql: str, *args: Any) -> list:
        async with self.connection(what) as conn:
            return await conn.fetch(sql, *args)

    async def fetchrow(self, what: str, sql: str, *args: Any):
        async with self.connection(what) as conn:
            return await conn.fetchrow(sql, *args)

    async def fetchval(self, what: str, sql: str, *args: Any):
        async with self.connection(what) as conn:
            return await conn.fetchval(sql, *args)


# ------------------------------------------------------------------ group commit
W = TypeVar("W")
TransactionBody = Callable[[Any, Sequence[W]], Awaitable[Sequence[BaseException | None]]]


class PgGroupCommit(WriteQueue[W]):
    """The writer of one store: every write goes through it (the same contract as
    fanflow.sqlite.GroupCommit, on PostgreSQL).

    `write(item)` returns once the transaction holding it committed (or raises what
    went wrong with it). `write_later(item)` is not waited for: it rides with the next
    transaction, or gets one of its own after `linger` seconds; if it fails it is tried
    again with the next one.

    Each transaction runs `await body(connection, items)` inside one transaction on a
    pooled connection; `body` returns one outcome per item (None, or the exception for
    that item). If it raises, the transaction is rolled back and every item fails with
    that exception (that is how a fencing check refuses a whole batch); a database
    outage fails them with Unavailable. own_transaction=True: the body issues BEGIN and
    COMMIT itself (to fold them into its first and last round trips); if it raises, the
    connection is rolled back here.
    """

    def __init__(
        self,
        db: Database,
        body: TransactionBody,
        *,
        name: str,
        max_batch: int | None = None,
        linger: float = 0.05,
        drain_on_close: bool = True,
        closed_error: Callable[[], Exception] = lambda: Unavailable("the database is closed"),
        on_committed: Callable[[list[W]], None] | None = None,
        own_transaction: bool = False,
    ):
        super().__init__(name=name, max_batch=max_batch, linger=linger, drain_on_close=drain_on_close,
                         closed_error=closed_error, on_committed=on_committed)
        self._own_transaction = own_transaction
        self._db = db
        self._body = body

    def start(self) -> None:
        self._writer = asyncio.create_task(self._writer_loop(self._run), name=f"{self.name}-writer")

    async def _run(self) -> None:
        failed_lazy = False
        while True:
            await self._wake.wait()
            self._wake.clear()
            self._stop_lingering()
            failed_lazy = False
            if self._waited or self._later:
                self._in_flight = True
                try:
                    failed_lazy = await self._commit_next_batch()
                finally:
                    self._in_flight = False
            if not self._waited and (not self._later or failed_lazy or self._closing):
                self._release_flush_waiters()
                if self._closing:
                    return
            if self._waited or (self._flush_waiters and self._later):
                self._wake.set()  # more arrived while we were committing
            elif self._later and self._linger is None:
                # Lazy writes: wait for company; after a failure (database down) wait longer.
                delay = 1.0 if failed_lazy else self._linger_seconds
                self._linger = asyncio.get_running_loop().call_later(delay, self._wake.set)

    async def _commit_next_batch(self) -> bool:
        """One transaction; True if lazy writes failed (they stay queued)."""
        waited, later, items = self._take_batch()
        try:
            outcomes = await self._transaction(items)
        except Exception as exc:  # the whole transaction failed (fenced, database down, ...)
            error = as_unavailable(exc, f"{self.name}: write")
            log.warning("group commit failed", database=self.name, writes=len(items), error=repr(exc))
            outcomes = [error] * len(items)
        retry = self._settle(waited, later, outcomes)
        return bool(retry)

    async def _transaction(self, items: list[W]) -> Sequence[BaseException | None]:
        async with self._db.connection(f"{self.name}: write") as conn:
            if self._own_transaction:
                try:
                    outcomes = await self._body(conn, items)
                except BaseException as exc:
                    # Not on a lost or hanging connection: connection() drops that one instead.
                    if isinstance(exc, Exception) and not is_unavailable(exc) and not conn.is_closed() and conn.is_in_transaction():
                        await conn.execute("ROLLBACK")
                    raise
            else:
                async with conn.transaction():
                    outcomes = await self._body(conn, items)
        self.commits += 1
        return outcomes
