"""The seed document's first example, with only the import changed."""
import asyncio
import worker_sdk as workflows
from pydantic import BaseModel


@workflows.activity()
async def process_item(item: str) -> dict:
    return {"item": item, "result": f"processed:{item}"}


class Input(BaseModel):
    items: list[str]


@workflows.workflow.define(name="concurrency_workflow")
class ConcurrencyWorkflow:
    @workflows.workflow.entrypoint
    async def run(self, params: Input) -> list[dict]:
        results = await asyncio.gather(*[process_item(item) for item in params.items])
        return list(results)


async def main():
    result = await workflows.execute_workflow(
        ConcurrencyWorkflow,
        params=Input(items=["alpha", "beta", "gamma", "delta"]),
    )
    for r in result:
        print(r)


if __name__ == "__main__":
    asyncio.run(main())
