"""python -m chaos: a fault-schedule run on the multi-process cluster, then the checker.

    python -m chaos --minutes 30 --seed 17      # as root (network namespaces, tmpfs disks)
    python -m chaos --backend postgres --minutes 30 --seed 18

With --backend postgres every service stores in one PostgreSQL database: a throwaway server
the harness starts from the installed binaries on a host of its own (its data directory on a
tmpfs), or the database of --postgres-dsn. The faults then also cut services from the
database, restart it, and fill its disk.

While the workload keeps workflows in flight (List-executor fan-outs and durable-timer
chains), the seeded schedule injects kills, partitions, pauses, takeovers, full disks and
clock jumps at random moments, several at once. Then every fault is ended, every workflow
is awaited, and the checker reads the cluster's records (chaos/checker.py). Prints the
faults injected by kind and the checker's figures; exits 1 if anything was lost,
duplicated, left a gap, or a fenced write was accepted."""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import signal
import sys
import tempfile
import time
from pathlib import Path

from chaos import checker, faults, hosts
from chaos.cluster import ChaosCluster
from chaos.workflows import ChaosList, ChaosTimers, list_result, timers_result


async def workload(client, task_queue: str, seed: int, until: float, concurrency: int, expected: list, log) -> int:
    """Keep `concurrency` workflows in flight until `until` (monotonic); the acknowledged starts go to `expected`."""
    rng = random.Random(seed + 1)
    count = 0
    unacknowledged = 0

    async def one(i: int) -> None:
        nonlocal unacknowledged
        wid = f"chaos-{seed}-{i}"
        if rng.random() < 0.5:
            n = rng.randint(20, 120)
            workflow, params, exp = ChaosList, n, checker.Expected(wid, list_result(n), list_items=n)
        else:
            k, seconds = rng.randint(1, 4), rng.uniform(1.0, 8.0)
            workflow, params, exp = ChaosTimers, {"k": k, "seconds": seconds}, checker.Expected(wid, timers_result(k))
        try:
            handle = await client.start_workflow(workflow, params, id=wid, task_queue=task_queue)
        except Exception as exc:  # not acknowledged: nothing is owed
            unacknowledged += 1
            log(f"start of {wid} not acknowledged: {str(exc)[:200]}")
            return
        expected.append(exp)
        try:
            await handle.result(timeout=max(5.0, until - time.monotonic()))
        except Exception:
            pass  # the checker asks again at the end

    running: set[asyncio.Task] = set()
    while time.monotonic() < until:
        while len(running) < concurrency and time.monotonic() < until:
            task = asyncio.create_task(one(count))
            count += 1
            running.add(task)
            task.add_done_callback(running.discard)
        await asyncio.sleep(0.2)
    for task in running:
        task.cancel()
    await asyncio.gather(*running, return_exceptions=True)
    return unacknowledged


async def wait_all(client, expected: list, timeout: float, log) -> None:
    deadline = time.monotonic() + timeout
    for exp in expected:
        try:
            await client.get_workflow_handle(exp.workflow_id).result(timeout=max(1.0, deadline - time.monotonic()))
        except Exception as exc:
            log(f"{exp.workflow_id} did not finish: {str(exc)[:200]}")


def fenced_refusals(workdir: Path) -> int:
    """Writes the history processes refused because another process had taken the shard (their logs)."""
    return sum(open(p, errors="replace").read().count("shard ownership lost") for p in workdir.glob("history-*.log"))


def database_fenced_refusals(cluster: ChaosCluster) -> int | None:
    """Writes PostgreSQL itself refused in fanflow_fence() (its log's ERROR lines), None if it is not the harness's server."""
    if cluster.database is None or not cluster.database.log.exists():
        return None
    return sum(1 for line in open(cluster.database.log, errors="replace") if "ERROR:" in line and "ownership lost" in line)


def default_kinds(backend: str, postgres_dsn: str | None = None) -> tuple[str, ...]:
    if backend != "postgres":
        return faults.KINDS
    if postgres_dsn:  # a database the harness does not run: no restarts, and its disk is not ours to fill
        return tuple(k for k in faults.KINDS if k != "disk_full")
    return faults.POSTGRES_KINDS


def check_kinds(kinds: tuple[str, ...], backend: str, postgres_dsn: str | None) -> str | None:
    """What is wrong with --kinds for this backend, or None."""
    allowed = default_kinds(backend, postgres_dsn)
    if backend == "sqlite" and set(kinds) & set(faults.DATABASE_KINDS):
        return f"{', '.join(sorted(set(kinds) & set(faults.DATABASE_KINDS)))} needs --backend postgres"
    unknown = set(kinds) - set(faults.POSTGRES_KINDS)
    if unknown:
        return f"unknown {sorted(unknown)}; choose from {', '.join(allowed)}"
    if set(kinds) - set(allowed):
        return f"{', '.join(sorted(set(kinds) - set(allowed)))} cannot be used with --postgres-dsn (the harness does not run that server)"
    return None


async def run(minutes: float, seed: int, workdir: Path, concurrency: int, mean_gap: float, kinds: tuple[str, ...],
              drain_timeout: float = 900.0, max_jump: float = 240.0, log=print, backend: str = "sqlite",
              postgres_dsn: str | None = None) -> dict:
    from worker_sdk import Client

    duration = minutes * 60
    tag = secrets.token_hex(2)
    cluster = ChaosCluster(workdir, tag, subnet=random.Random(tag).randint(2, 250), backend=backend, postgres_dsn=postgres_dsn)
    plan = faults.schedule(seed, duration, cluster.services, mean_gap=mean_gap, kinds=kinds, max_jump=max_jump,
                           database=cluster.database_host)
    (workdir / "schedule.txt").write_text("\n".join(f"{f.at:8.1f}s {f.describe()}" for f in plan) + "\n")
    log(f"chaos: {minutes} min, seed {seed}, backend {backend}, {len(plan)} faults planned ({', '.join(sorted(set(f.kind for f in plan)))}), "
        f"{len(cluster.services)} processes on hosts of their own, logs in {workdir}")
    expected: list[checker.Expected] = []
    with cluster:
        client = await Client.connect(cluster.frontend, retry_timeout=600)
        injector = faults.Injector(cluster, log=log)
        try:
            started = time.monotonic()
            play = asyncio.create_task(injector.play(plan, started))
            unacknowledged = await workload(client, cluster.task_queue, seed, started + duration, concurrency, expected, log)
            play.cancel()
            await asyncio.gather(play, return_exceptions=True)
            log(f"schedule over after {time.monotonic() - started:.0f} s; ending every fault, waiting for {len(expected)} workflows")
            await asyncio.to_thread(cluster.heal_everything)
            await wait_all(client, expected, drain_timeout, log)
            if backend == "postgres":
                report = await checker.check(client, expected, postgres_dsn=cluster.dsn)
            else:
                report = await checker.check(client, expected, cluster.shard_files())
        finally:
            await client.close()
        figures = {
            "seed": seed, "minutes": minutes, "backend": backend, "faults_planned": len(plan),
            "faults_injected": dict(sorted(injector.injected.items())),
            "takeovers_fenced_processes": injector.fenced_processes,
            "fenced_writes_refused": fenced_refusals(workdir),
            "workflows": report.workflows, "unacknowledged_starts": unacknowledged,
            "items": report.items, "activities": report.activities, "timers": report.timers, "events": report.events,
            "lost": report.lost, "duplicated": report.duplicated, "gaps": report.gaps, "fenced_writes_accepted": report.fenced_accepted,
            "problems": report.problems[:50],
        }
        if backend == "postgres":
            figures["fenced_writes_refused_by_database"] = database_fenced_refusals(cluster)
            figures["database_started_again_after_full_disk"] = cluster.database_restarts_after_full_disk
            figures["service_starts_refused_database_unreachable"] = cluster.start_retries
    (workdir / "figures.json").write_text(json.dumps(figures, indent=2))
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="fault schedule on the multi-process cluster, then the end-state checker")
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--concurrency", type=int, default=12, help="workflows kept in flight")
    parser.add_argument("--mean-gap", type=float, default=6.0, help="mean seconds between fault starts")
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite",
                        help="where the services store: a SQLite file per shard and partition, or one PostgreSQL database")
    parser.add_argument("--postgres-dsn", default=None,
                        help="with --backend postgres: a database on this machine to use (its schema made by `fanflow schema create`) "
                             "instead of a throwaway server; the server must listen on all addresses (see chaos/cluster.py)")
    parser.add_argument("--kinds", default=None, help=f"fault kinds to use (comma-separated; default: all that apply: {', '.join(faults.POSTGRES_KINDS)})")
    parser.add_argument("--max-jump", type=float, default=240.0, help="largest clock jump, seconds")
    parser.add_argument("--drain-timeout", type=float, default=900.0, help="seconds to wait for the workflows once the faults end")
    parser.add_argument("--workdir", default=None, help="where logs, the schedule and figures.json go (default: a temp dir)")
    args = parser.parse_args(argv)
    why = hosts.unsupported()
    if why is not None:
        print(f"chaos needs network namespaces (run as root with iproute2 and iptables): {why}", file=sys.stderr)
        return 2
    from fanflow.logging import configure_logging

    configure_logging(os.environ.get("FANFLOW_LOG_LEVEL", "WARNING"))
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="fanflow-chaos-"))
    if args.postgres_dsn and args.backend != "postgres":
        parser.error("--postgres-dsn needs --backend postgres")
    if args.backend == "postgres" and not args.postgres_dsn:
        from bench.pgserver import unavailable_reason

        why = unavailable_reason()
        if why is not None:
            print(f"chaos --backend postgres starts its own PostgreSQL server, and cannot here: {why}; or give --postgres-dsn", file=sys.stderr)
            return 2
    kinds = tuple(k.strip() for k in args.kinds.split(",") if k.strip()) if args.kinds else default_kinds(args.backend, args.postgres_dsn)
    wrong = check_kinds(kinds, args.backend, args.postgres_dsn)
    if wrong:
        parser.error(f"--kinds: {wrong}")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwinds: processes, hosts and disks are cleaned up
    figures = asyncio.run(run(args.minutes, args.seed, workdir, args.concurrency, args.mean_gap, kinds, args.drain_timeout, args.max_jump,
                              log=lambda m: print(m, flush=True), backend=args.backend, postgres_dsn=args.postgres_dsn))
    print(json.dumps({k: v for k, v in figures.items() if k != "problems"}, indent=2))
    for problem in figures["problems"]:
        print("  " + problem)
    ok = figures["lost"] == figures["duplicated"] == figures["gaps"] == figures["fenced_writes_accepted"] == 0
    return 0 if ok and figures["workflows"] > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
