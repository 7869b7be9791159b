"""`Depends` providers of every kind and the activities that use them, in the seed's shapes:
used directly (tests/unit/worker_sdk/test_seed_activity_definitions.py) and on a worker
(tests/service/worker_sdk/test_seed_activity_api.py). Each provider notes in LOG when it is
entered and exited."""
from __future__ import annotations

import contextlib

import worker_sdk as workflows
from worker_sdk import Depends

LOG: list[str] = []


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.rows: list[str] = []

    async def insert(self, name: str) -> int:
        self.rows.append(name)
        return len(self.rows)


async def get_db() -> Database:
    LOG.append("get_db")
    return Database("postgres://example")


def get_config() -> dict:
    LOG.append("config")
    return {"region": "eu"}


@contextlib.contextmanager
def sync_cm():
    LOG.append("sync_cm enter")
    yield "sync_cm"
    LOG.append("sync_cm exit")


@contextlib.asynccontextmanager
async def async_cm():
    LOG.append("async_cm enter")
    yield "async_cm"
    LOG.append("async_cm exit")


class ClientPool:
    """A class used as a provider: calling it gives a context manager."""

    def __enter__(self):
        LOG.append("pool enter")
        return "pool"

    def __exit__(self, *exc):
        LOG.append("pool exit")


def sync_gen():
    LOG.append("sync_gen enter")
    try:
        yield "sync_gen"
    finally:
        LOG.append("sync_gen exit")


async def async_gen():
    LOG.append("async_gen enter")
    try:
        yield "async_gen"
    finally:
        LOG.append("async_gen exit")


@workflows.activity()
async def insert_user(name: str, db: Database = Depends(get_db)) -> int:
    return await db.insert(name)


@workflows.activity()
async def every_provider_kind(
    tag: str,
    config: dict = Depends(get_config),
    a: str = Depends(sync_cm),
    b: str = Depends(async_cm),
    c: str = Depends(ClientPool),
    d: str = Depends(sync_gen),
    e: str = Depends(async_gen),
) -> list:
    return [tag, config["region"], a, b, c, d, e]


@workflows.activity()
def sync_with_dependency(x: int, config: dict = Depends(get_config)) -> str:
    return f"{x}:{config['region']}"


def broken_provider() -> str:
    raise ConnectionError("database is down")


@workflows.activity(retry_policy_max_attempts=1)
async def needs_broken(x: int, conn: str = Depends(broken_provider)) -> int:
    return x
