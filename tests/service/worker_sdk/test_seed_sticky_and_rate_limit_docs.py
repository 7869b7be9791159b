"""The seed's documented snippets for sticky worker sessions and rate limits
(docs.mistral.ai/workflows: "Sticky worker sessions", "Rate limiting in workflows"), with only the
imports changed (`mistralai.workflows` -> `worker_sdk`). What the snippets leave undefined
(`load_expensive_model`, `process_item`, the Mistral API client) is defined here: the client is a
stand-in with the same call shape, since the tests do not call Mistral's hosted API."""
from __future__ import annotations

import asyncio
import contextlib

import worker_sdk as workflows
from worker_sdk import Depends, Worker, get_sticky_worker_session, run_sticky_worker_session  # was: from mistralai.workflows import ...
from pydantic import BaseModel

from support.activity_history import activity_starts, busiest_window, starts_of

# ---------------------------------------------------------------- what the snippets leave undefined

_model_loads = 0


class _Model:
    def predict(self, data: dict) -> dict:
        return {"label": f"label-{data['x']}"}


def load_expensive_model() -> _Model:
    global _model_loads
    _model_loads += 1
    return _Model()


# ---------------------------------------------------------------- "Sticky worker sessions": basic usage

# Worker-level state
_loaded_model = None


@workflows.activity(sticky_to_worker=True)
async def load_model() -> None:
    global _loaded_model
    if _loaded_model is None:
        _loaded_model = load_expensive_model()


@workflows.activity(sticky_to_worker=True)
async def predict(data: dict) -> dict:
    return _loaded_model.predict(data)


@workflows.workflow.define(name="ml-inference")
class MLInferenceWorkflow:
    @workflows.workflow.entrypoint
    async def execute(self, batch: list[dict]) -> list[dict]:
        # All activities run on same worker
        async with run_sticky_worker_session():
            await load_model()  # Load once
            results = [await predict(item) for item in batch]
        return results


# ---------------------------------------------------------------- "Sticky worker sessions": session reuse


@workflows.activity(sticky_to_worker=True, name="docs_process_item")  # (other tests register a process_item)
async def process_item(item: dict) -> dict:
    return {**item, "done": True}


@workflows.workflow.define(name="multi-batch")
class MultiBatchWorkflow:
    @workflows.workflow.entrypoint
    async def execute(self, batches: list[list[dict]]) -> list[list[dict]]:
        # Capture worker once
        session = await get_sticky_worker_session()
        all_results = []
        for batch in batches:
            async with run_sticky_worker_session(session):
                results = [await process_item(item) for item in batch]
            all_results.append(results)
        return all_results


# ---------------------------------------------------------------- "Rate limiting": a shared rate-limited API client


class _Chat:
    async def complete_async(self, model: str, messages: list) -> dict:
        return {"model": model, "reply": f"echo {messages[-1]['content']}"}


class Mistral:  # stand-in for mistralai.client.Mistral (same constructor and call)
    def __init__(self, api_key: str):
        self.chat = _Chat()


def get_mistral_client() -> Mistral:
    """Creates a shared chat completion client with rate limiting"""
    client = Mistral(
        api_key="your_api_key",
    )
    return client


class CompletionParams(BaseModel):
    model: str
    messages: list


@workflows.activity(rate_limit=workflows.RateLimit(time_window_in_sec=1, max_execution=100))
async def generate_chat_response(
    params: CompletionParams,
    client: Mistral = Depends(get_mistral_client)
) -> dict:
    """Generates a chat response using a shared client"""
    # This activity can be called from multiple workflows
    # but will share the same rate limit across all of them
    return await client.chat.complete_async(model=params.model, messages=params.messages)


@workflows.workflow.define(name="chat-fan-out")
class ChatFanOut:
    @workflows.workflow.entrypoint
    async def run(self, count: int) -> list[dict]:
        calls = [generate_chat_response(CompletionParams(model="mistral-small", messages=[{"role": "user", "content": str(i)}])) for i in range(count)]
        return list(await asyncio.gather(*calls))


# ---------------------------------------------------------------- running them on a cluster


async def test_sticky_session_snippets(client):
    workers = [Worker(client, task_queue="docs-sticky", workflows=[MLInferenceWorkflow, MultiBatchWorkflow], activities=[load_model, predict, process_item]) for _ in range(3)]
    async with contextlib.AsyncExitStack() as stack:
        for worker in workers:
            await stack.enter_async_context(worker)
        batch = [{"x": i} for i in range(4)]
        inference = await client.start_workflow(MLInferenceWorkflow, {"batch": batch}, id="ml-inference", task_queue="docs-sticky")
        assert await inference.result(timeout=60) == [{"label": f"label-{i}"} for i in range(4)]
        multi = await client.start_workflow(MultiBatchWorkflow, {"batches": [[{"n": 1}], [{"n": 2}, {"n": 3}]]}, id="multi-batch", task_queue="docs-sticky")
        assert await multi.result(timeout=60) == [[{"n": 1, "done": True}], [{"n": 2, "done": True}, {"n": 3, "done": True}]]
    assert _model_loads == 1  # loaded once, on the session's worker
    for handle in (inference, multi):
        assert len({identity for _, identity, _ in activity_starts(await handle.history())}) == 1  # one worker ran the session's activities


async def test_rate_limit_snippet(client):
    async with Worker(client, task_queue="docs-limit", workflows=[ChatFanOut], activities=[generate_chat_response]), \
            Worker(client, task_queue="docs-limit", workflows=[ChatFanOut], activities=[generate_chat_response]):
        handles = [await client.start_workflow(ChatFanOut, 120, id=f"chat-{i}", task_queue="docs-limit") for i in range(2)]
        results = await asyncio.gather(*(h.result(timeout=120) for h in handles))
    assert [len(r) for r in results] == [120, 120] and results[0][7] == {"model": "mistral-small", "reply": "echo 7"}
    started = await starts_of(handles, {"generate_chat_response"})
    assert len(started) == 240 and busiest_window([t for t, _ in started], 1.0) <= 100
