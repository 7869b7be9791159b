"""pytest fixtures like the seed's ``mistralai.workflows.testing.fixtures``:

    # conftest.py
    from worker_sdk.testing.fixtures import *  # noqa: F401,F403

``temporal_env``: a started ``WorkflowEnvironment`` (fanflow's embedded cluster, real time),
shut down after the test. Needs pytest-asyncio (fanflow's own tests use ``asyncio_mode = "auto"``).
"""
from __future__ import annotations

from typing import AsyncIterator

import pytest_asyncio

from .environment import WorkflowEnvironment

__all__ = ["temporal_env"]


@pytest_asyncio.fixture
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    async with await WorkflowEnvironment.start_local() as env:
        yield env
