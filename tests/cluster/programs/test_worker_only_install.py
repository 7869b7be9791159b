"""A worker-only install (the SDK without the `server` extra) runs workflows: a client and a
worker in a process where the server's packages cannot be imported run a List executor against
a cluster, and import none of the server's packages or the services."""
from __future__ import annotations

from support.blocked_server_packages import run_blocked

_WORKER_ONLY = """
import asyncio, sys
import worker_sdk as workflows
from worker_sdk import Client, Worker

@workflows.activity()
async def double(x: int) -> int:
    return 2 * x

@workflows.workflow.define(name="worker_only_install")
class WorkerOnly:
    @workflows.workflow.entrypoint
    async def run(self, n: int) -> list[int]:
        return await workflows.execute_activities_in_parallel(double, items=list(range(n)))

async def main():
    client = await Client.connect(sys.argv[1])
    async with Worker(client, task_queue="worker-only"):
        result = await client.execute_workflow(WorkerOnly, 5, task_queue="worker-only")
    await client.close()
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in {server!r} or m.split(".")[0] in ("history", "matching", "frontend")
                    or m in ("fanflow.metrics", "fanflow.grpcutil", "fanflow.cluster", "fanflow.config"))
    print("RESULT", result, "LOADED", loaded)

asyncio.run(main())
"""


async def test_a_worker_runs_without_the_servers_packages(embedded_cluster):
    import asyncio

    out = await asyncio.to_thread(run_blocked, _WORKER_ONLY, embedded_cluster.frontend_address)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "RESULT [0, 2, 4, 6, 8] LOADED []" in out.stdout, out.stdout
