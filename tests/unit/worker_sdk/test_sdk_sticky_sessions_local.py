"""Sticky worker sessions with nothing running: outside a workflow a session is the seed's
"local" one and activities just run; a bad session names the type it wants; the bound on a dead
session worker is 30 s by default and the README's "Writing workflows" says so."""
from __future__ import annotations

import pytest

import worker_sdk as workflows
from conftest import ROOT
from support.sticky_workflows import remember
from worker_sdk.sticky_sessions import SESSION_SCHEDULE_TO_START_TIMEOUT


async def test_get_sticky_worker_session_outside_a_workflow_is_local():
    session = await workflows.get_sticky_worker_session()
    assert session == workflows.StickyWorkerSession(task_queue="local")
    async with workflows.run_sticky_worker_session(session):
        assert (await remember("direct"))["held"] >= 1  # outside a workflow an activity just runs
    with pytest.raises(TypeError, match="StickyWorkerSession"):
        async with workflows.run_sticky_worker_session("my-queue"):  # type: ignore[arg-type]
            pass


def test_the_default_bound_is_documented():
    assert SESSION_SCHEDULE_TO_START_TIMEOUT.total_seconds() == 30
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Writing workflows", 1)[1].split("\n## ", 1)[0]
    assert "StickyWorkerSessionLostError" in section and "30 s" in section
