"""Fault harness and soak: the cluster as separate processes on 127.0.0.1
(2 history, 2 matching, 1 frontend, 2 workers), killed with SIGKILL at random
moments and restarted on the same data.

    python -m soak --rounds 20 --items 2000   # from the repository root

Each round starts a List-executor workflow, kills one random service while it
runs, restarts it, and checks the result: every item's result present
(`lost` counts missing or wrong ones) and none twice (`duplicated`). Prints
rounds done, items processed, lost items and duplicated results; exits 1 if
either is not 0.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import asyncio
import random
import tempfile
from pathlib import Path

from soak.cluster import SERVICES, LocalCluster  # noqa: F401  (SERVICES: the roles a round may kill)


async def soak_round(cluster: LocalCluster, client, items: int, rng: random.Random, log=print) -> tuple[int, int]:
    """One workflow, one random kill + restart while it runs; (lost, duplicated)."""
    from soak.workflows import SoakList, item_value

    handle = await client.start_workflow(SoakList, items, task_queue=cluster.task_queue)
    victim = rng.choice(SERVICES)
    await asyncio.sleep(rng.uniform(0.2, 2.0))
    log(f"  killing {victim}")
    await asyncio.to_thread(cluster.restart, victim, rng.uniform(0.1, 1.5))
    result = await handle.result(timeout=600)
    expected = [item_value(i) for i in range(items)]
    lost = sum(1 for i, v in enumerate(expected) if i >= len(result) or result[i] != v)
    duplicated = max(0, len(result) - items)
    return lost, duplicated


async def soak(rounds: int, items: int, seed: int, workdir: Path) -> dict:
    from worker_sdk import Client

    rng = random.Random(seed)
    totals = {"rounds": 0, "items": 0, "lost": 0, "duplicated": 0}
    with LocalCluster(workdir) as cluster:
        client = await Client.connect(cluster.frontend, retry_timeout=300)
        try:
            for n in range(rounds):
                lost, duplicated = await soak_round(cluster, client, items, rng, log=lambda m: print(m, flush=True))
                totals["rounds"] += 1
                totals["items"] += items
                totals["lost"] += lost
                totals["duplicated"] += duplicated
                print(f"round {n + 1}/{rounds}: {items} items, lost {lost}, duplicated {duplicated}", flush=True)
        finally:
            await client.close()
    return totals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="kill random services during runs; count lost and duplicated results")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--workdir", default=None, help="where data and logs go (default: a temp dir)")
    args = parser.parse_args(argv)
    from fanflow.logging import configure_logging

    configure_logging(os.environ.get("FANFLOW_LOG_LEVEL", "WARNING"))
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="fanflow-soak-"))
    print(f"soak: {args.rounds} rounds of {args.items} items, seed {args.seed}, data and logs in {workdir}", flush=True)
    totals = asyncio.run(soak(args.rounds, args.items, args.seed, workdir))
    print(f"rounds done {totals['rounds']}, items processed {totals['items']}, lost items {totals['lost']}, "
          f"duplicated results {totals['duplicated']}", flush=True)
    return 0 if totals["lost"] == 0 and totals["duplicated"] == 0 and totals["rounds"] == args.rounds else 1


if __name__ == "__main__":
    sys.exit(main())
