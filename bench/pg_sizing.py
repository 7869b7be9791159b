"""Sizing a PostgreSQL cluster from measured parts: `python -m bench.pg_sizing`.

Runs a cluster with live membership on a throwaway PostgreSQL server (durable: fsync and
synchronous_commit on, pg_stat_statements loaded), every role in its own process
(soak/live_cluster.py: 1 frontend, H history, 1 matching; the worker in this process), and two
workloads of bench/fanflow_side.py:

- one workflow fanning out N activities through a window of 100: all on ONE shard, so the
  figure is what one shard sustains;
- W workflows of 3 activities each, started at once: spread over every shard, so the figure is
  what the history host(s) sustain.

For each it reports throughput, CPU per activity of each process (history, matching, frontend,
PostgreSQL's server processes) and the database's own load per activity: transactions
committed, statements executed (pg_stat_statements), WAL bytes and rows written. The README's
sizing section is computed from these figures.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from bench import fanflow_side, procs
from bench.pgserver import PgServer, unavailable_reason

ROOT = Path(__file__).resolve().parent.parent

_DB_COUNTERS = """
SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()) AS commits,
       (SELECT tup_inserted + tup_updated + tup_deleted FROM pg_stat_database WHERE datname = current_database()) AS rows_written,
       pg_current_wal_lsn() - '0/0'::pg_lsn AS wal_bytes,
       (SELECT COALESCE(sum(calls), 0) FROM pg_stat_statements) AS statements
"""


_TOP_STATEMENTS = "SELECT calls, left(regexp_replace(query, '\\s+', ' ', 'g'), 140) AS query FROM pg_stat_statements ORDER BY calls DESC LIMIT 15"


async def _top_statements(dsn: str) -> list[tuple[int, str]]:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        return [(int(r["calls"]), r["query"]) for r in await conn.fetch(_TOP_STATEMENTS)]
    finally:
        await conn.close()


async def _reset_statements(dsn: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SELECT pg_stat_statements_reset()")
    finally:
        await conn.close()


async def _db_counters(dsn: str) -> dict:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow(_DB_COUNTERS)
        return {key: float(row[key]) for key in row.keys()}
    finally:
        await conn.close()


def _cpu(cluster, names: list[str]) -> dict[str, float]:
    return {name: procs.proc_cpu_seconds(cluster.procs[name].pid) for name in names}


async def _measure(cluster, pg: PgServer, dsn: str, workload: str, size: int) -> dict:
    names = [n for n in cluster.procs if not n.startswith("worker")]
    job = fanflow_side.fan_out(cluster.frontend, size) if workload == "one_shard" else fanflow_side.many_workflows(cluster.frontend, size)
    activities = size if workload == "one_shard" else 3 * size
    await _reset_statements(dsn)
    db0, cpu0, pg0 = await _db_counters(dsn), _cpu(cluster, names), procs.process_tree_cpu_seconds(pg.postmaster_pid())
    driver0, wall0, load0 = procs.self_cpu_seconds(), time.perf_counter(), os.getloadavg()[0]
    result = await job
    wall = time.perf_counter() - wall0
    db1, cpu1, pg1 = await _db_counters(dsn), _cpu(cluster, names), procs.process_tree_cpu_seconds(pg.postmaster_pid())
    per = {key: (db1[key] - db0[key]) / activities for key in db0}
    cpu = {name: cpu1[name] - cpu0[name] for name in names}
    history_cpu = sum(v for k, v in cpu.items() if k.startswith("history"))
    return {
        "workload": workload, "activities": activities, "wall_s": round(wall, 2),
        "activities_per_s": round(activities / wall, 1),
        "cpu_ms_per_activity": {
            "history": round(1000 * history_cpu / activities, 3),
            "matching": round(1000 * sum(v for k, v in cpu.items() if k.startswith("matching")) / activities, 3),
            "frontend": round(1000 * cpu.get("frontend", 0.0) / activities, 3),
            "postgresql": round(1000 * (pg1 - pg0) / activities, 3),
            "worker_and_driver": round(1000 * (procs.self_cpu_seconds() - driver0) / activities, 3),
        },
        "db_per_activity": {
            "commits": round(per["commits"], 3), "statements": round(per["statements"], 2),
            "wal_bytes": round(per["wal_bytes"]), "rows_written": round(per["rows_written"], 2),
        },
        "loadavg_1min": [round(load0, 2), round(os.getloadavg()[0], 2)],
        "top_statements_per_activity": [(round(calls / activities, 2), query) for calls, query in await _top_statements(dsn)],
        "detail": result,
    }


async def run(args) -> dict:
    from soak.live_cluster import LiveCluster

    pg = PgServer(durable=True, extra_options=("-c shared_preload_libraries=pg_stat_statements", "-c pg_stat_statements.track=all")).start()
    results = {"machine": {"cpus": os.cpu_count()}, "postgresql": "fsync on, synchronous_commit on (a throwaway server, same machine)", "runs": []}
    try:
        for hosts in args.history_hosts:
            database = f"sizing_{hosts}"
            pg.create_database(database)
            pg.create_schema(database)
            pg.psql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements", database)
            dsn = pg.dsn(database)
            with LiveCluster(Path(tempfile.mkdtemp(prefix="fanflow-sizing-")), dsn, history=hosts, matching=1, workers=0,
                             shards=args.shards, heartbeat=1.0, lease=5.0, task_queue="sizing") as cluster:
                await asyncio.sleep(3.0)  # the shards settle on their owners
                await fanflow_side.warmup(cluster.frontend)
                for workload, size in (("one_shard", args.activities), ("all_shards", args.workflows)):
                    measured = await _measure(cluster, pg, dsn, workload, size)
                    measured["history_hosts"] = hosts
                    measured["shards"] = args.shards
                    print(json.dumps({k: v for k, v in measured.items() if k != "detail"}), flush=True)
                    results["runs"].append(measured)
    finally:
        pg.stop()
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--activities", type=int, default=5000, help="one workflow's fan-out (one shard)")
    parser.add_argument("--workflows", type=int, default=500, help="workflows of 3 activities (every shard)")
    parser.add_argument("--shards", type=int, default=16)
    parser.add_argument("--history-hosts", type=lambda v: [int(x) for x in v.split(",")], default=[1], help="e.g. 1,2")
    parser.add_argument("--out", type=Path, default=None, help="write the JSON here (default bench/results/pg-sizing-<time>.json)")
    args = parser.parse_args(argv)
    reason = unavailable_reason()
    if reason:
        print(f"bench.pg_sizing: {reason}", file=sys.stderr)
        return 2
    results = asyncio.run(run(args))
    out = args.out or ROOT / "bench" / "results" / f"pg-sizing-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
