"""Parents fanning out to children that each run an executor, for the multi-process cluster
test (`fanflow worker tests.support.child_cluster_workflows`) and the test itself."""
import asyncio

import worker_sdk as workflows


# Unlimited attempts: the test kills services mid-attempt; what it checks is that nothing is
# lost or done twice, not the default policy's limit of three attempts.
@workflows.activity(start_to_close_timeout=5, retry_policy=workflows.RetryPolicy(maximum_attempts=0))
async def cc_square(n: int) -> int:
    await asyncio.sleep(0.02)
    return n * n


@workflows.workflow.define(name="cc_child")
class ClusterChild:
    @workflows.workflow.entrypoint
    async def run(self, start: int, items: int) -> int:
        results = await workflows.execute_activities_in_parallel(
            cc_square, items=list(range(start, start + items)), max_concurrent_scheduled_tasks=10
        )
        return sum(results)


@workflows.workflow.define(name="cc_parent")
class ClusterParent:
    @workflows.workflow.entrypoint
    async def run(self, children: int, items: int) -> list[int]:
        me = workflows.get_execution_id()
        return list(await asyncio.gather(*(
            workflows.execute_workflow(ClusterChild, params={"start": i * items, "items": items}, execution_id=f"{me}-c{i}")
            for i in range(children)
        )))


def expected(children: int, items: int) -> list[int]:
    return [sum(n * n for n in range(i * items, (i + 1) * items)) for i in range(children)]
