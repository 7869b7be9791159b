"""Workflows served by a `fanflow worker` process in tests/cluster/faults/test_streaming_large_data_cluster.py:
a task whose state the workflow and an activity change, and a 10 MB activity result that goes on
to the next activity and to the workflow's result."""
import hashlib

import worker_sdk as workflows


@workflows.activity(name="stream_cluster_make")
async def make(size: int) -> str:
    async with workflows.task("generation", state={"bytes": 0}) as t:
        text = "0123456789abcdef" * (size // 16)
        await t.set_state({"bytes": len(text)})
    return text


@workflows.activity(name="stream_cluster_digest")
async def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@workflows.workflow.define(name="stream_cluster_pipeline")
class StreamClusterPipeline:
    def __init__(self) -> None:
        self.go = False

    @workflows.workflow.signal
    def proceed(self) -> None:
        self.go = True

    @workflows.workflow.entrypoint
    async def run(self, size: int) -> dict:
        async with workflows.task("pipeline", state={"stage": "making"}) as t:
            text = await make(size)
            await t.update_state({"stage": "digesting"})
            sha = await digest(text)
            await t.update_state({"stage": "waiting"})
            await workflows.workflow.wait_condition(lambda: self.go)
            await t.update_state({"stage": "done"})
        return {"text": text, "sha256": sha}
