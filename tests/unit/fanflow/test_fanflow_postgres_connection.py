"""fanflow.postgres.Database.connection when the server ends a connection in the middle of a
transaction (a restart, pg_terminate_backend): the caller gets Unavailable naming what it was
doing and the real cause, and the next call works on a fresh connection. (asyncpg gives a
connection the server closed back to its pool by itself; asking it `is_closed()` then raised
InterfaceError, and the error said "cannot call Connection.is_closed()" instead of the cause:
seen in a history process's log during the chaos run on PostgreSQL.)"""
from __future__ import annotations

import asyncio

import asyncpg
import pytest

from fanflow.errors import Unavailable
from fanflow.postgres import Database


async def _until_the_pool_took_it_back(conn, timeout: float = 5.0) -> None:
    """asyncpg detaches a connection the server closed from its pool proxy by itself, soon after."""
    for _ in range(int(timeout / 0.01)):
        try:
            conn.is_closed()
        except asyncpg.InterfaceError:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("asyncpg did not take the lost connection back")


async def test_a_connection_the_server_ends_mid_transaction_is_unavailable_not_a_crash(postgres_dsn):
    db = await Database(postgres_dsn).open()
    killer = await asyncpg.connect(postgres_dsn)
    try:
        with pytest.raises(Unavailable, match="take ownership: PostgreSQL is unavailable") as refused:
            async with db.connection("take ownership") as conn:
                async with conn.transaction():
                    pid = await conn.fetchval("SELECT pg_backend_pid()")
                    assert await killer.fetchval("SELECT pg_terminate_backend($1)", pid)
                    try:
                        await conn.fetchval("SELECT 1")
                    finally:
                        await _until_the_pool_took_it_back(conn)
        message = str(refused.value)
        assert "InterfaceError" not in message and "released back to the pool" not in message, message
        # asyncpg reports the lost connection one of several ways, depending on when it noticed
        assert ("terminating connection due to administrator command" in message
                or "the server or the network closed the connection" in message), message
        assert await db.fetchval("after", "SELECT 41 + 1") == 42
    finally:
        await killer.close()
        await db.close()

