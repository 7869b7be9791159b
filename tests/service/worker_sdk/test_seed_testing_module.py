"""The seed's testing module (`testing.WorkflowEnvironment`, `create_test_worker`, the
`temporal_env` fixture) on fanflow's embedded cluster, and `run_worker` /
`get_registered_workflow_names` serving workflows on a configured address. (Discovery without a
cluster: tests/unit/worker_sdk/test_seed_workflow_discovery.py; the seed's worker program on a
`fanflow dev` process: tests/cluster/programs/test_seed_worker_program.py.)"""
from __future__ import annotations

import asyncio
import datetime
from typing import Any

import pytest
from pydantic import BaseModel

import worker_sdk as workflows
from support import seed_worker_program as program
from worker_sdk import Client, testing
from worker_sdk import embedded as embedded_module
from worker_sdk.testing.fixtures import temporal_env  # noqa: F401 - the seed's fixture, used below


class MyInput(BaseModel):
    input_field: str


class MyOutput(BaseModel):
    output_field: str


@workflows.activity()
async def my_activity(value: str) -> str:
    return value[::-1]


@workflows.workflow.define(name="my-workflow")
class MyWorkflow:
    @workflows.workflow.entrypoint
    async def run(self, params: MyInput) -> MyOutput:
        return MyOutput(output_field=await my_activity(params.input_field))


@workflows.workflow.define(name="seed_testing_kwargs")
class SignalKwargsWorkflow:
    def __init__(self) -> None:
        self.received: list[dict] = []

    @workflows.workflow.entrypoint
    async def run(self) -> dict:
        await workflows.workflow.wait_condition(lambda: len(self.received) >= 2)
        return {"entries": self.received}

    @workflows.workflow.signal(name="notify")
    async def notify(self, name: str, **kwargs: Any) -> None:
        self.received.append({"name": name, **kwargs})


@workflows.workflow.define(name="seed_testing_timer")
class TimerWorkflow:
    @workflows.workflow.entrypoint
    async def run(self, seconds: float) -> str:
        await workflows.workflow.sleep(datetime.timedelta(seconds=seconds), summary="wait")
        return "woke"


# --------------------------------------------------------------------------- the testing module


async def test_create_test_worker_with_an_awaited_local_environment():
    # the seed's testing guide: start by type name with a dict, result as plain JSON
    async with await testing.WorkflowEnvironment.start_local() as env:
        assert isinstance(env.client, Client) and env.supports_time_skipping is False
        async with testing.create_test_worker(env, [MyWorkflow], [my_activity]) as worker:
            assert isinstance(worker, workflows.Worker) and worker.task_queue == "test-task-queue"
            handle = await env.client.start_workflow("my-workflow", {"input_field": "value"}, id="test-id", task_queue="test-task-queue")
            result = await handle.result()
            assert result == {"output_field": "eulav"}
            # temporalio's style: the entrypoint method names the workflow, the result is typed
            typed = await env.client.execute_workflow(MyWorkflow.run, MyInput(input_field="abc"), id="test-typed", task_queue="test-task-queue")
            assert typed == MyOutput(output_field="cba")


async def test_environment_as_a_context_manager_directly_and_its_cleanup(tmp_path):
    async with testing.WorkflowEnvironment.start_time_skipping() as env:  # real time in fanflow
        async with testing.create_test_worker(env, [TimerWorkflow], task_queue="timers"):
            assert await env.client.execute_workflow(TimerWorkflow, 0.2, task_queue="timers") == "woke"
        before = await env.get_current_time()
        await env.sleep(datetime.timedelta(milliseconds=50))
        assert await env.get_current_time() > before
    # an explicit folder is kept; a namespace other than "default" is registered for the test
    env = await testing.WorkflowEnvironment.start_local(namespace="team-a", data_dir=tmp_path / "env")
    try:
        assert env.client.namespace == "team-a"
        async with testing.create_test_worker(env, [MyWorkflow], [my_activity]):
            assert await env.client.execute_workflow(MyWorkflow, MyInput(input_field="ns"), task_queue="test-task-queue") == MyOutput(output_field="sn")
        outside = testing.WorkflowEnvironment.from_client(env.client)
        await outside.shutdown()  # an environment over someone else's cluster leaves it running
        assert (await env.client.list_workflows())[0].execution.workflow_id
    finally:
        await env.shutdown()
    assert any((tmp_path / "env").iterdir())


async def test_testing_module_errors_name_what_to_fix():
    with pytest.raises(TypeError, match=r"unsupported option\(s\) \['data_converter'\]"):
        testing.WorkflowEnvironment.start_local(data_converter=object())
    async with testing.WorkflowEnvironment.start_local() as env:
        with pytest.raises(ValueError, match="interceptors"):
            async with testing.create_test_worker(env, [MyWorkflow], interceptors=[object()]):
                pass
        with pytest.raises(ValueError, match="not a workflow"):
            async with testing.create_test_worker(env, [my_activity]):
                pass
    with pytest.raises(TypeError, match="needs a testing.WorkflowEnvironment"):
        async with testing.create_test_worker(object(), [MyWorkflow]):  # type: ignore[arg-type]
            pass


class TestSignalKwargs:
    """The seed's own test shape: the `temporal_env` fixture and `create_test_worker`."""

    async def test_signal_with_explicit_param_and_kwargs(self, temporal_env: Any) -> None:
        async with testing.create_test_worker(temporal_env, workflows=[SignalKwargsWorkflow], activities=[]):
            workflow_def = workflows.get_workflow_definition(SignalKwargsWorkflow)
            handle = await temporal_env.client.start_workflow(workflow_def.name, {}, id="test-signal-kwargs-explicit", task_queue="test-task-queue")
            await handle.signal("notify", {"name": "alice", "priority": 10, "tag": "urgent"})
            await handle.signal("notify", {"name": "bob"})
            result = await handle.result()
            assert result["entries"][0] == {"name": "alice", "priority": 10, "tag": "urgent"}
            assert result["entries"][1] == {"name": "bob"}


# --------------------------------------------------------------------------- workers


async def test_run_worker_detached_on_a_configured_address(embedded_cluster, monkeypatch):
    monkeypatch.setattr(embedded_module, "_settings", {})
    monkeypatch.delenv("FANFLOW_ADDRESS", raising=False)
    workflows.configure(address=embedded_cluster.frontend_address, task_queue="run-worker")
    assert workflows.get_registered_workflow_names() == []
    task = await workflows.run_worker([program.SimpleExampleWorkflow, program.HelloWorkflow], detach=True)
    try:
        assert isinstance(task, asyncio.Task)
        assert workflows.get_registered_workflow_names() == ["hello-world", "simple_example_workflow"]
        assert await workflows.execute_workflow(program.SimpleExampleWorkflow, params={"name": "Ada"}) == {"message": "Hello, Ada!"}
        assert await workflows.execute_workflow(program.HelloWorkflow, params=program.HelloInput()) == "Hello, World! Welcome to Mistral Workflows."
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert workflows.get_registered_workflow_names() == []
    with pytest.raises(ValueError, match="run_worker: .*not a workflow"):
        await workflows.run_worker([program.greet])
    with pytest.raises(TypeError, match="list of workflow classes"):
        await workflows.run_worker(program.HelloWorkflow)
    with pytest.raises(TypeError, match=r"detach=\.\.\.\) must be True or False"):
        await workflows.run_worker([program.HelloWorkflow], detach="yes")


