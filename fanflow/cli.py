"""`fanflow` command line.

    fanflow dev [--data-dir DIR] [--port 7233] [--ui-address 127.0.0.1:8233|off]   all services in one process, and the web UI
    fanflow ui [--address 127.0.0.1:8233] [--frontend 127.0.0.1:7233]      the web UI and HTTP API for a running cluster
    fanflow frontend|history|matching --config F [--name N] [--listen A] [--advertise A]   one service
    fanflow worker MODULE [MODULE...] [--address A] [--task-queue Q] [--health-file F]
    fanflow health ADDRESS | --file F              exit 0 if healthy (container health checks)
    fanflow workflow list|describe|history|result|progress|watch|cancel|terminate [ID]
    fanflow workflow list|count [--type T] [--status S] [--since T] [--until T] [--prefix P] [--search KEY=VALUE ...] [--by status]
    fanflow workflow start [ID] --type T [--input JSON ...] | signal ID --name N [--input JSON]
    fanflow schedule create ID --type T [--cron EXPR ...] [--interval 30s[/OFFSET] ...] [--input JSON] ...
    fanflow schedule list | describe ID | pause ID | unpause ID | trigger ID | backfill ID --start T --end T | delete ID
    fanflow workflow query|update ID --name N [--input JSON] | input ID [--task-id T | --label L] [--input JSON]
    fanflow workflow replay ID [--run R] | --all-running | --history-file F  --module M   check code against runs
    fanflow schema create|upgrade|version --dsn postgresql://...   PostgreSQL schema (persistence = "postgres")
    fanflow tls generate --out DIR --hosts frontend,history-a,...   certificates for mutual TLS
"""
from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import sys
from pathlib import Path

from google.protobuf import json_format

from fanflow.cli_output import print_message as _print
from fanflow.cli_schedule import cmd_schedule
from fanflow.cli_ui import UI_ADDRESS_ENV, check_http_health, cmd_ui, start_dev_ui, ui_address_default
from fanflow.cli_tls import add_tls_client_options as _add_tls_client_options
from fanflow.cli_tls import add_tls_command as _add_tls_command
from fanflow.cli_tls import connect as _connect
from fanflow.cli_tls import tls_options as _tls_options
from fanflow.cli_workflow_listing import add_listing_arguments, workflow_listing
from fanflow.cli_watch import workflow_watch
from fanflow.cli_workflow_messages import MESSAGE_ACTIONS, workflow_replay
from fanflow.extras import server_extra_missing
from fanflow.logging import configure_logging


def _checked_config(build):
    """The cluster config, or exit 2 with the setting that is wrong (no traceback)."""
    try:
        return build()
    except ValueError as exc:  # pydantic's ValidationError is one, as are unreadable host lists
        print(f"fanflow: bad configuration (config file or FANFLOW_* environment): {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _serve(process, on_started, on_stopping=None) -> int:
    """Serve until signalled; a database that cannot be used exits 2 with what to fix."""
    from fanflow.cluster import serve_until_signalled
    from fanflow.postgres import DatabaseUnusable

    try:
        asyncio.run(serve_until_signalled(process, on_started, on_stopping))
    except DatabaseUnusable as exc:
        print(f"fanflow {process.role_names}: {exc}", file=sys.stderr)
        return 2
    return 0


def _cmd_schema(args) -> int:
    from fanflow import postgres

    dsn = args.dsn or ""
    if not dsn:
        print("fanflow schema: no database given: pass --dsn postgresql://user:password@host:5432/dbname (or set FANFLOW_POSTGRES_DSN)",
              file=sys.stderr)
        return 2
    if not dsn.startswith(("postgresql://", "postgres://")):
        print(f"fanflow schema: --dsn must be a URL that starts with postgresql://, got {postgres.redact(dsn)!r}", file=sys.stderr)
        return 2

    async def run() -> int:
        conn = await postgres.connect(dsn)
        try:
            if args.action == "version":
                version = await postgres.current_version(conn)
                state = ("no fanflow schema (run `fanflow schema create`)" if version == 0 else
                         "up to date" if version == postgres.SCHEMA_VERSION else
                         "older: run `fanflow schema upgrade`" if version < postgres.SCHEMA_VERSION else "newer than this fanflow")
                print(f"database schema version {version}; this fanflow uses {postgres.SCHEMA_VERSION} ({state})")
                return 0
            applied = await postgres.upgrade(conn, only_if_empty=args.action == "create")
            version = await postgres.current_version(conn)
            if applied:
                print(f"applied {', '.join(f'{m.version:04d}_{m.name}' for m in applied)}; schema version {version} at {postgres.redact(dsn)}")
            else:
                print(f"schema version {version} at {postgres.redact(dsn)}: up to date, nothing to apply")
            return 0
        finally:
            await conn.close()

    try:
        return asyncio.run(run())
    except postgres.DatabaseUnusable as exc:
        print(f"fanflow schema {args.action}: {exc}", file=sys.stderr)
        return 2


def _cmd_dev(args) -> int:
    from fanflow.cluster import embedded
    from fanflow.config import TUNING_FIELDS, ClusterConfig, env_overrides

    from history.shard_count import dev_shard_count

    shards = args.shards if args.shards is not None else dev_shard_count(Path(args.data_dir))
    config = _checked_config(lambda: ClusterConfig.embedded(
        Path(args.data_dir), frontend_address=f"{args.ip}:{args.port}", history_shard_count=shards, task_queue_partitions=args.partitions,
        tls_cert_file=args.tls_cert or "", tls_key_file=args.tls_key or "", tls_ca_file=args.tls_ca or "",
        frontend_client_auth=args.tls_client_auth, **env_overrides(*TUNING_FIELDS),
    ))
    auth_note = "auth is off in dev mode (--auth turns it on)"
    if args.auth:
        import secrets

        keys = [k.strip() for k in os.environ.get("FANFLOW_ADMIN_API_KEYS", "").split(",") if k.strip()]
        if not keys:
            keys = [secrets.token_urlsafe(24)]
            print(f"admin API key (set FANFLOW_ADMIN_API_KEYS to choose one): {keys[0]}", flush=True)
        config.auth_enabled, config.admin_api_keys = True, keys
        auth_note = "auth is on: send 'authorization: Bearer <key>'"

    ui: list = []

    async def started(process) -> None:
        print(f"fanflow dev cluster serving on {process.frontend_address} (data in {config.data_dir}, "
              f"{config.history_shard_count} shards, {config.task_queue_partitions} partitions per task queue); "
              f"{auth_note}", flush=True)
        if args.tls_client_auth and args.ui_address.lower() not in ("", "off", "none", "0"):
            print("web UI not started: the frontend asks clients for certificates (--tls-client-auth), which the web UI has none of", flush=True)
        else:
            ui.extend(await start_dev_ui(args.ui_address, process.frontend_address, args.tls_cert))

    async def stopping() -> None:
        for server in ui:
            await server.stop()

    process = _checked_config(lambda: embedded(config))  # reads and checks the TLS files
    return _serve(process, started, stopping)


def _cmd_service(args) -> int:
    from fanflow.cluster import ClusterProcess
    from fanflow.config import ClusterConfig

    config = _checked_config(lambda: ClusterConfig.load(args.config))
    name = args.name or os.environ.get("FANFLOW_NAME")
    process = _checked_config(lambda: ClusterProcess(  # reads and checks the TLS files
        config,
        {args.command},
        history_name=name if args.command == "history" else None,
        matching_name=name if args.command == "matching" else None,
        listen=args.listen or None,
        advertise=args.advertise or None,
    ))

    def started(p) -> None:
        member = p.memberships.get(args.command)
        joined = f" (member {member.me.name} at {member.me.address})" if member is not None else ""
        print(f"fanflow {args.command} {name or ''} serving: {', '.join(s.address for s in p.servers.values())}{joined}", flush=True)
    return _serve(process, started)


def _cmd_worker(args) -> int:
    from worker_sdk.worker import Worker

    sys.path.insert(0, os.getcwd())
    for module in args.modules:
        importlib.import_module(module)  # registers its @workflow.define / @activity

    async def run() -> None:
        import signal

        client = await _connect(args)
        worker = Worker(
            client,
            task_queue=args.task_queue,
            max_concurrent_activities=args.max_concurrent_activities,
            max_cached_workflows=args.max_cached_workflows,
            disable_eager_activity_execution=args.disable_eager_activities,
            max_activities_per_second=args.max_activities_per_second,
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await worker.start()
        print(f"worker {worker.identity} polling {args.task_queue!r} on {args.address}: workflows {sorted(worker.workflows)}, {len(worker.activities)} activities", flush=True)
        beat = asyncio.create_task(_health_beat(args.address, Path(args.health_file), _tls_options(args))) if args.health_file else None
        await stop.wait()
        if beat is not None:
            beat.cancel()
        await worker.shutdown()
        await client.close()

    asyncio.run(run())
    return 0


HEALTH_BEAT_EVERY = 5.0  # seconds between a worker's checks of its frontend


async def _health_beat(address: str, path: Path, tls_options: dict) -> None:
    """Touch `path` whenever the frontend this worker polls answers SERVING, so
    `fanflow health --file` (the container's health check) sees a live worker."""
    while True:
        if await _check_health(address, "", timeout=3.0, tls_options=tls_options) is None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()
        await asyncio.sleep(HEALTH_BEAT_EVERY)


async def _check_health(address: str, service: str, timeout: float, tls_options: dict | None = None) -> str | None:
    """None when `address` answers SERVING for `service`, else what went wrong. tls_options:
    the --tls-* options (FANFLOW_TLS_* otherwise): a mutual-TLS service answers only a
    caller with a certificate it trusts."""
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    from worker_sdk.client import tls_channel

    try:
        channel = tls_channel(address, **(tls_options or {}))
    except ValueError as exc:
        return f"TLS options: {exc}"
    async with channel:
        try:
            response = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=service), timeout=timeout)
        except grpc.aio.AioRpcError as exc:
            return f"{exc.code().name}: {exc.details()}"
    if response.status != health_pb2.HealthCheckResponse.SERVING:
        return health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)
    return None


def _cmd_health(args) -> int:
    import time

    if args.file:
        try:
            age = time.time() - Path(args.file).stat().st_mtime
        except FileNotFoundError:
            print(f"unhealthy: {args.file} does not exist (the worker has not reached its frontend yet)", file=sys.stderr)
            return 1
        if age > args.max_age:
            print(f"unhealthy: {args.file} is {age:.0f} s old (more than {args.max_age:.0f} s)", file=sys.stderr)
            return 1
        return 0
    if args.http:
        return check_http_health(args.http, args.timeout)
    if not args.address:
        print("give an ADDRESS, --file or --http", file=sys.stderr)
        return 2
    problem = asyncio.run(_check_health(args.address, args.service, args.timeout, _tls_options(args)))
    if problem is not None:
        print(f"unhealthy: {args.address} {args.service or '(server)'}: {problem}", file=sys.stderr)
        return 1
    return 0


def _cmd_workflow(args) -> int:

    if args.action == "replay":
        return workflow_replay(args)
    try:  # --input values are JSON, one per workflow argument
        inputs = tuple(json.loads(text) for text in args.input)
    except json.JSONDecodeError as exc:
        print(f"--input must be JSON (e.g. --input '{{\"n\": 3}}' or --input '\"text\"'): {exc}", file=sys.stderr)
        return 2

    async def run() -> int:
        client = await _connect(args, retry_timeout=5.0)
        try:
            if args.action in ("list", "count"):
                return await workflow_listing(client, args)
            if args.action == "start":
                if not args.type:
                    print("give the workflow type: --type NAME", file=sys.stderr)
                    return 2
                handle = await client.start_workflow(args.type, args=inputs, id=args.workflow_id or None, task_queue=args.task_queue)
                print(json.dumps({"workflow_id": handle.workflow_id, "run_id": handle.run_id}))
                return 0
            if not args.workflow_id:
                print("give a workflow id", file=sys.stderr)
                return 2
            handle = client.get_workflow_handle(args.workflow_id)
            if args.action in MESSAGE_ACTIONS:
                return await MESSAGE_ACTIONS[args.action](handle, args, inputs)
            if args.action == "signal":
                if not args.name:
                    print("give the signal's name: --name NAME", file=sys.stderr)
                    return 2
                if len(inputs) > 1:
                    print("a signal takes one --input", file=sys.stderr)
                    return 2
                await handle.signal(args.name, inputs[0] if inputs else None)
                print(f"signalled {args.workflow_id}: {args.name}")
                return 0
            if args.action == "describe":
                _print(await handle.describe())
            elif args.action == "history":
                for event in await handle.history(run_id=""):
                    print(json.dumps(json_format.MessageToDict(event)))
            elif args.action == "result":
                print(json.dumps(await handle.result(timeout=args.timeout), default=str))
            elif args.action == "watch":
                return await workflow_watch(handle, args)
            elif args.action == "progress":
                from fanflow.progress_view import watch_progress

                return await watch_progress(handle, once=args.once)
            elif args.action == "terminate":
                await handle.terminate(args.reason)
                print(f"terminated {args.workflow_id}")
            elif args.action == "cancel":
                await handle.cancel(args.reason)
                print(f"asked {args.workflow_id} to cancel")
            return 0
        finally:
            await client.close()

    return asyncio.run(run())



def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fanflow", description="fanflow: a durable workflow engine for large fan-outs")
    parser.add_argument("--log-level", default=None, help="DEBUG, INFO (default), WARNING, ERROR")
    sub = parser.add_subparsers(dest="command", required=True)

    dev = sub.add_parser("dev", help="run frontend, history and matching in one process")
    dev.add_argument("--data-dir", default=os.environ.get("FANFLOW_DATA_DIR", ".fanflow"), help="folder for the SQLite files (default .fanflow)")
    dev.add_argument("--ip", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=7233)
    dev.add_argument("--shards", type=int, default=None,
                     help="history shards (default: what the data folder was made with; 4 for a new one). Fixed once it holds data")
    dev.add_argument("--partitions", type=int, default=4)
    dev.add_argument("--auth", action="store_true", help="require API keys (admin keys from FANFLOW_ADMIN_API_KEYS, else one is made up and printed)")
    dev.add_argument("--tls-cert", default=None, help="PEM certificate chain: serve every service over TLS")
    dev.add_argument("--tls-key", default=None, help="PEM private key for --tls-cert")
    dev.add_argument("--ui-address", default=ui_address_default(),
                     help=f"the web UI and HTTP API (default 127.0.0.1:8233, or {UI_ADDRESS_ENV}); 'off' turns them off")
    dev.add_argument("--tls-ca", default=None, help="PEM CA bundle: history and matching require client certificates it signed (mutual TLS)")
    dev.add_argument("--tls-client-auth", action="store_true", help="the frontend requires client certificates too (signed by --tls-ca)")
    dev.set_defaults(func=_cmd_dev)

    ui = sub.add_parser("ui", help="serve the web UI and HTTP API for a running cluster")
    ui.add_argument("--address", default=ui_address_default(), help=f"where to listen (default 127.0.0.1:8233, or {UI_ADDRESS_ENV})")
    ui.add_argument("--frontend", default=os.environ.get("FANFLOW_ADDRESS", "127.0.0.1:7233"), help="the cluster's frontend (default FANFLOW_ADDRESS or 127.0.0.1:7233)")
    ui.add_argument("--tls-ca-file", default=os.environ.get("FANFLOW_TLS_CA_FILE"), help="CA of the frontend's TLS certificate")
    ui.add_argument("--allowed-host", action="append", default=[], help="another Host name to answer when listening on loopback (repeat)")
    ui.set_defaults(func=cmd_ui)

    for role in ("frontend", "history", "matching"):
        p = sub.add_parser(role, help=f"run one {role} process from a cluster config")
        p.add_argument("--config", default=os.environ.get("FANFLOW_CONFIG"), help="cluster config file (TOML or JSON); or FANFLOW_CONFIG")
        p.add_argument("--name", default=None, help="this process's entry in the config (history/matching); or FANFLOW_NAME")
        p.add_argument("--listen", default=os.environ.get("FANFLOW_LISTEN"),
                       help="bind this address instead of the config's (e.g. 0.0.0.0:7234 in a container); or FANFLOW_LISTEN")
        p.add_argument("--advertise", default=os.environ.get("FANFLOW_ADVERTISE"),
                       help="live membership (PostgreSQL, no hosts in the config): the address others dial, if not the bound one "
                            "('auto': this host's IP address, the default when binding 0.0.0.0); or FANFLOW_ADVERTISE")
        p.set_defaults(func=_cmd_service)

    worker = sub.add_parser("worker", help="run a worker for the workflows and activities defined in MODULE(s)")
    worker.add_argument("modules", nargs="+", help="importable module(s) that define workflows/activities")
    worker.add_argument("--address", default=os.environ.get("FANFLOW_ADDRESS", "127.0.0.1:7233"))
    _add_tls_client_options(worker)
    worker.add_argument("--namespace", default=os.environ.get("FANFLOW_NAMESPACE", "default"))
    worker.add_argument("--task-queue", default=os.environ.get("FANFLOW_TASK_QUEUE", "default"))
    worker.add_argument("--max-concurrent-activities", type=int, default=100)
    worker.add_argument("--max-activities-per-second", type=float, default=None,
                        help="start at most this many activities per second on this worker (default: no limit)")
    worker.add_argument("--max-cached-workflows", type=int, default=1000, help="0 turns the cache off (full replay every task)")
    worker.add_argument("--disable-eager-activities", action="store_true",
                        help="send every activity through matching instead of taking those it has free slots for in the workflow task's reply")
    worker.add_argument("--health-file", default=os.environ.get("FANFLOW_WORKER_HEALTH_FILE"),
                        help="touch this file every few seconds while the frontend answers (for `fanflow health --file`)")
    worker.set_defaults(func=_cmd_worker)

    health = sub.add_parser("health", help="exit 0 if a service answers grpc.health.v1 SERVING (or a worker's health file is fresh)")
    health.add_argument("address", nargs="?", help="host:port of a frontend, history or matching process")
    health.add_argument("--service", default="", help="service name to check (default: the whole server)")
    health.add_argument("--timeout", type=float, default=3.0)
    health.add_argument("--file", default=None, help="a worker's --health-file: healthy if touched within --max-age seconds")
    health.add_argument("--max-age", type=float, default=30.0)
    health.add_argument("--http", default=None, help="an HTTP URL that must answer 2xx (e.g. the web UI's http://127.0.0.1:8233/healthz)")
    _add_tls_client_options(health)
    health.set_defaults(func=_cmd_health)

    wf = sub.add_parser("workflow", help="start, inspect or control workflows")
    wf.add_argument("action", choices=["start", "signal", "query", "update", "input", "list", "count", "describe", "history", "result", "progress", "watch", "cancel", "terminate", "replay"])
    wf.add_argument("workflow_id", nargs="?", help="start: optional (default: TYPE-uuid)")
    wf.add_argument("--type", default=None, help="start: the workflow type's name; list/count: only this type")
    wf.add_argument("--task-queue", default=os.environ.get("FANFLOW_TASK_QUEUE", "default"), help="start: the task queue")
    wf.add_argument("--name", default=None, help="signal/query/update: the handler's name")
    wf.add_argument("--input", action="append", default=[], help="start/signal/query/update/input: a JSON argument (repeat for more to start)")
    wf.add_argument("--update-id", default=None, help="update: its id (sending the same id again applies it once)")
    wf.add_argument("--no-wait", action="store_true", help="update: return once accepted, without waiting for its result")
    wf.add_argument("--task-id", default=None, help="input: the request to answer (see `fanflow workflow input ID`)")
    wf.add_argument("--label", default=None, help="input: the request to answer, by its label")
    wf.add_argument("--address", default=os.environ.get("FANFLOW_ADDRESS", "127.0.0.1:7233"))
    _add_tls_client_options(wf)
    wf.add_argument("--namespace", default=os.environ.get("FANFLOW_NAMESPACE", "default"))
    wf.add_argument("--timeout", type=float, default=None)
    wf.add_argument("--reason", default="terminated from the command line")
    wf.add_argument("--once", action="store_true", help="progress: print one snapshot instead of a live bar")
    add_listing_arguments(wf)  # search keys: the filters of list and count
    wf.add_argument("--cursor", type=int, default=0, help="watch: resume after this cursor (a line's \"cursor\")")
    wf.add_argument("--no-progress", action="store_true", help="watch: leave out the progress snapshots")
    wf.add_argument("--module", action="append", default=[], help="replay: a module with the code to check (repeat for more), as for `fanflow worker`")
    wf.add_argument("--run", default=None, help="replay: this run of the workflow ID (default: its latest run)")
    wf.add_argument("--all-running", action="store_true", help="replay: every running run of a workflow type the module defines")
    wf.add_argument("--history-file", default=None, help="replay: a history saved with `fanflow workflow history ID > FILE` ('-': stdin)")
    wf.set_defaults(func=_cmd_workflow)
    schema = sub.add_parser("schema", help="create, upgrade or show the PostgreSQL schema (persistence = \"postgres\")")
    schema.add_argument("action", choices=["create", "upgrade", "version"],
                        help="create: on an empty database; upgrade: apply what is missing; version: show it")
    schema.add_argument("--dsn", default=os.environ.get("FANFLOW_POSTGRES_DSN"),
                        help="postgresql://user:password@host:5432/dbname (or FANFLOW_POSTGRES_DSN)")
    schema.set_defaults(func=_cmd_schema)
    _add_tls_command(sub)
    sched = sub.add_parser("schedule", help="create, inspect or control schedules")
    sched.add_argument("action", choices=["create", "list", "describe", "pause", "unpause", "trigger", "backfill", "delete"])
    sched.add_argument("schedule_id", nargs="?")
    sched.add_argument("--type", default=None, help="create: the workflow type's name (a worker must have registered it)")
    sched.add_argument("--input", default=None, help="create: the workflow's params as JSON (e.g. '{\"report_type\": \"daily\"}')")
    sched.add_argument("--cron", action="append", default=[], help="create: a cron expression (repeat for more)")
    sched.add_argument("--interval", action="append", default=[], help="create: every DURATION[/OFFSET], e.g. 30s or 1h/15m (repeat for more)")
    sched.add_argument("--calendar", action="append", default=[], help='create: a ScheduleCalendar as JSON, e.g. \'{"hour": [{"start": 9}]}\'')
    sched.add_argument("--time-zone", default=None, help="create: IANA time zone of the calendars and cron expressions")
    sched.add_argument("--start-at", default=None, help="create: no time before this (ISO 8601)")
    sched.add_argument("--end-at", default=None, help="create: no time after this (ISO 8601)")
    sched.add_argument("--jitter", default=None, help="create: delay each start by up to this (e.g. 30s)")
    sched.add_argument("--overlap", default=None, help="create/trigger/backfill: SKIP, BUFFER_ONE, BUFFER_ALL, CANCEL_OTHER, TERMINATE_OTHER or ALLOW_ALL")
    sched.add_argument("--catchup-window", default=None, help="create: how late a missed time may still start (e.g. 10m; default 365d)")
    sched.add_argument("--pause-on-failure", action="store_true", help="create: pause when a started run fails or times out")
    sched.add_argument("--max-executions", type=int, default=None, help="create: start at most this many runs by itself")
    sched.add_argument("--paused", action="store_true", help="create: start paused")
    sched.add_argument("--note", default=None, help="create/pause/unpause: a note shown with the paused state")
    sched.add_argument("--start", default=None, help="backfill: the first time (ISO 8601, inclusive)")
    sched.add_argument("--end", default=None, help="backfill: the last time (ISO 8601, inclusive)")
    sched.add_argument("--count", type=int, default=10, help="describe: how many next times to show")
    sched.add_argument("--task-queue", default=os.environ.get("FANFLOW_TASK_QUEUE", "default"), help="create: the task queue of the runs")
    sched.add_argument("--address", default=os.environ.get("FANFLOW_ADDRESS", "127.0.0.1:7233"))
    _add_tls_client_options(sched)
    sched.add_argument("--namespace", default=os.environ.get("FANFLOW_NAMESPACE", "default"))
    sched.set_defaults(func=cmd_schedule)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.log_level)
    try:
        return args.func(args)
    except ModuleNotFoundError as exc:
        hint = server_extra_missing(exc)
        if hint is None:
            raise
        print(f"fanflow {args.command}: {hint}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
