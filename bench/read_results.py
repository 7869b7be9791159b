"""How fast workflow code reads a finished executor's results back from the store.

    python -m bench.read_results                      # 1,000,000 int results
    python -m bench.read_results --n 200000 --result-bytes 1024

Stores N results with PutParallelResults on a fresh `fanflow dev` process (SQLite
`synchronous=NORMAL`), then iterates them as workflow code does: an ``ExecutorResults`` paging
through ``GetParallelResults`` (the worker's ``ResultReader``, reads on the event loop, the
iteration on another thread), and checks every value. Prints results/s of the read and the
server's CPU seconds during it. Not a test: figures depend on the machine.
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

from bench.procs import start_fanflow
from protos import workflow_service_pb2 as ws
from worker_sdk import Client, converter
from worker_sdk.executors.lazy_results import ExecutorResults, ResultReader

PUT_BATCH = 10_000


def value_of(i: int, result_bytes: int):
    if not result_bytes:
        return i + 1
    head = f"{i}:"
    return head + "x" * max(0, result_bytes - len(head))


async def store(client: Client, n: int, result_bytes: int) -> None:
    for start in range(0, n, PUT_BATCH):
        results = [ws.IndexedPayload(index=i, payload=converter.to_payload(value_of(i, result_bytes))) for i in range(start, min(n, start + PUT_BATCH))]
        await client.call("PutParallelResults", ws.PutParallelResultsRequest(namespace=client.namespace, workflow_id="read-bench", executor_id="e/0", results=results))


async def measure(n: int, result_bytes: int, workdir: Path) -> dict:
    server = start_fanflow(workdir, "NORMAL")
    client = await Client.connect(server.address)
    try:
        await store(client, n, result_bytes)
        reader = ResultReader(client, asyncio.get_running_loop())
        results = ExecutorResults(reader, "read-bench", "e/0", n, int if not result_bytes else str)

        def read_all() -> int:
            bad = 0
            for i, v in enumerate(results):
                if v != value_of(i, result_bytes):
                    bad += 1
            return bad

        cpu_before = server.cpu_seconds()
        started = time.monotonic()
        bad = await asyncio.get_running_loop().run_in_executor(None, read_all)
        seconds = time.monotonic() - started
        assert bad == 0, f"{bad} results differ"
        return {"n": n, "result_bytes": result_bytes, "seconds": round(seconds, 2), "results_per_s": round(n / seconds),
                "reads": reader.reads, "server_cpu_s": round(server.cpu_seconds() - cpu_before, 2)}
    finally:
        await client.close()
        server.stop()


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--result-bytes", type=int, default=0, help="each result: a string of about this many bytes (0: an int)")
    args = parser.parse_args(argv)
    from fanflow.logging import configure_logging

    configure_logging("WARNING")
    with tempfile.TemporaryDirectory(prefix="bench-read-") as tmp:
        row = await measure(args.n, args.result_bytes, Path(tmp))
    print(row, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
