"""The seed's List, Chain and Offset code examples ("Concurrency patterns"), with only the
import changed; the "# ... (inside a workflow)" parts are wrapped in local stand-in
workflows so they run. `python examples/executors_seed.py` runs all three on an embedded
cluster (the tests run them on the test cluster).
"""
import asyncio

import worker_sdk as workflows


@workflows.activity()
async def process_item(item_id: int, value: str) -> dict:
    # Process individual item
    return {"processed_value": f"processed_{value}"}


@workflows.activity()
async def get_next_item(prev_item: dict | None) -> dict | None:
    # Get next item from previous item
    if prev_item is None:
        # First item
        return {"item_id": 0, "value": "item_0"}
    next_id = prev_item["item_id"] + 1
    if next_id >= 1000:  # Stop condition
        return None
    return {"item_id": next_id, "value": f"item_{next_id}"}


@workflows.activity()
async def get_item_by_index(params: workflows.GetItemFromIndexParams) -> dict:
    # Get item by index
    return {
        "item_id": params.idx,
        "value": f"item_{params.idx}",
        "extra_data": params.extra_params
    }


# ---- local stand-ins for "(inside a workflow)"


@workflows.workflow.define(name="executors_seed_list")
class ListExample:
    @workflows.workflow.entrypoint
    async def run(self) -> list[dict]:
        # Execute in parallel
        items = [{"item_id": i, "value": f"item_{i}"} for i in range(1000)]
        results = await workflows.execute_activities_in_parallel(
            activity=process_item,
            items=items,
            max_concurrent_scheduled_tasks=100 # Optional: limit concurrency
        )
        return results


@workflows.workflow.define(name="executors_seed_chain")
class ChainExample:
    @workflows.workflow.entrypoint
    async def run(self) -> list[dict]:
        # Execute chain
        results = await workflows.execute_activities_in_parallel(
            activity=process_item,
            get_item_from_prev_item_activity=get_next_item
        )
        return results


@workflows.workflow.define(name="executors_seed_offset")
class OffsetExample:
    @workflows.workflow.entrypoint
    async def run(self) -> list[dict]:
        # Execute with offset pagination
        results = await workflows.execute_activities_in_parallel(
            activity=process_item,
            get_item_from_index_activity=get_item_by_index,
            n_items=1000, # Total number of items
            max_concurrent_executions_per_worker=50, # Optional: controls how many items are processed together
            max_concurrent_scheduled_tasks=100, # Optional: limit concurrent activity executions
            extra_params={"batch_id": "daily_processing"} # Optional: extra parameters
        )
        return results


EXPECTED = [{"processed_value": f"processed_item_{i}"} for i in range(1000)]


async def main():
    for workflow in (ListExample, ChainExample, OffsetExample):
        results = await workflows.execute_workflow(workflow)
        assert results == EXPECTED, workflow
        print(workflow.__name__, len(results), results[0], results[-1])


if __name__ == "__main__":
    asyncio.run(main())
