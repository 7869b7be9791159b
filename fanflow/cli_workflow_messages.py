"""`fanflow workflow query|update|input|replay`: talking to a running workflow's handlers, and
checking workflow code against stored histories."""
from __future__ import annotations

import asyncio
import importlib
import json
import os
import sys
from pathlib import Path


async def _workflow_query(handle, args, inputs: tuple) -> int:
    """`fanflow workflow query ID --name N [--input JSON]`: the handler's value as JSON."""
    from worker_sdk.exceptions import WorkflowQueryFailedError

    if not args.name or len(inputs) > 1:
        print("give the query's name (--name NAME) and at most one --input JSON", file=sys.stderr)
        return 2
    try:
        value = await handle.query(args.name, *inputs, timeout=args.timeout)
    except WorkflowQueryFailedError as exc:
        print(f"query failed ({exc.grpc_code.name}): {exc.message}", file=sys.stderr)
        return 1
    print(json.dumps(value, default=str))
    return 0

async def _workflow_update(handle, args, inputs: tuple) -> int:
    """`fanflow workflow update ID --name N [--input JSON] [--update-id U]`: the handler's
    result as JSON, once it finished (or, with --no-wait, the update id once accepted)."""
    from worker_sdk.exceptions import WorkflowUpdateFailedError, WorkflowUpdateRejectedError

    if not args.name or len(inputs) > 1:
        print("give the update's name (--name NAME) and at most one --input JSON", file=sys.stderr)
        return 2
    try:
        if args.no_wait:
            update = await handle.start_update(args.name, *inputs, id=args.update_id)
            print(json.dumps({"update_id": update.id, "run_id": update.run_id, "stage": "accepted"}))
            return 0
        value = await handle.execute_update(args.name, *inputs, id=args.update_id, timeout=args.timeout)
    except WorkflowUpdateRejectedError as exc:
        print(f"update refused ({exc.grpc_code.name}), nothing recorded: {exc.message}", file=sys.stderr)
        return 1
    except WorkflowUpdateFailedError as exc:
        print(f"update failed: {exc.message}", file=sys.stderr)
        return 1
    print(json.dumps(value, default=str))
    return 0

async def _workflow_input(handle, args, inputs: tuple) -> int:
    """`fanflow workflow input ID`: the open wait_for_input requests (task id, label, JSON
    schema); with --input JSON (and --task-id T or --label L when several are open): answer one."""
    from worker_sdk.exceptions import WorkflowQueryFailedError, WorkflowUpdateFailedError, WorkflowUpdateRejectedError

    if len(inputs) > 1:
        print("give the input as one --input JSON", file=sys.stderr)
        return 2
    try:
        if not inputs:
            for request in await handle.pending_inputs(timeout=args.timeout):
                print(json.dumps({"task_id": request["task_id"], "label": request.get("label"), "input_schema": request["input_schema"]}))
            return 0
        await handle.submit_input(inputs[0], task_id=args.task_id, label=args.label, timeout=args.timeout)
    except WorkflowQueryFailedError as exc:
        print(f"could not list the input requests ({exc.grpc_code.name}): {exc.message}", file=sys.stderr)
        return 1
    except WorkflowUpdateRejectedError as exc:
        print(f"input refused ({exc.grpc_code.name}), nothing recorded: {exc.message}", file=sys.stderr)
        return 1
    except (WorkflowUpdateFailedError, ValueError) as exc:
        print(f"input not delivered: {exc}", file=sys.stderr)
        return 1
    print(f"input delivered to {args.workflow_id}")
    return 0

MESSAGE_ACTIONS = {"query": _workflow_query, "update": _workflow_update, "input": _workflow_input}

def workflow_replay(args) -> int:
    """fanflow workflow replay: stored histories (of a cluster, or a JSON file) replayed
    against the code of --module, as a worker of that module would replay them. Exit 0 when
    every run replays, 1 when one does not (where, and what history and code each have), 2
    when the check could not be made."""
    from worker_sdk.replayer import Replayer, WorkflowHistory, describe_replay_failure
    from worker_sdk.workflow import all_workflows

    def refuse(message: str) -> int:
        print(f"fanflow workflow replay: {message}", file=sys.stderr)
        return 2

    if not args.module:
        return refuse("give the module(s) with the new code: --module M (as for `fanflow worker M`)")
    if sum(map(bool, (args.workflow_id and not args.history_file, args.all_running, args.history_file))) != 1:
        return refuse("give one of: a workflow ID (its latest run, or --run R), --all-running, --history-file FILE")
    if args.run and args.all_running:
        return refuse("--run names one run of a workflow ID; --all-running replays every running run")
    sys.path.insert(0, os.getcwd())
    for module in args.module:
        try:
            importlib.import_module(module)  # registers its @workflow.define classes, as `fanflow worker` does
        except Exception as exc:  # noqa: BLE001 - reported, the check cannot run
            return refuse(f"--module {module} cannot be imported: {type(exc).__name__}: {exc}")
    definitions = all_workflows()
    if not definitions:
        return refuse(f"--module {' '.join(args.module)} defines no workflow (@workflow.define)")
    replayer = Replayer(workflows=list(definitions.values()), namespace=args.namespace)

    notes: list[str] = []
    outcomes: list = []  # replays done while connected to the cluster (its executor results readable)
    if args.history_file:
        try:
            text = sys.stdin.read() if args.history_file == "-" else Path(args.history_file).read_text()
            histories = [WorkflowHistory.from_json(args.workflow_id, text, run_id=args.run or "")]
        except (OSError, ValueError, TypeError) as exc:
            return refuse(f"--history-file {args.history_file}: {exc}")
        if not histories[0].run_id_known:
            notes.append(f"note: the history continued run {histories[0].continued_from}; without --run RUN_ID "
                         "workflow.random()/uuid4() do not replay the values the run had")
    else:
        fetched = asyncio.run(_replay_histories_from_cluster(args, set(definitions), list(definitions.values())))
        if isinstance(fetched, str):
            return refuse(fetched)
        histories, skipped, outcomes = fetched
        if skipped:
            notes.append(f"skipped {sum(skipped.values())} running run(s) of workflow types the module does not define: "
                         + ", ".join(f"{name} ({n})" for name, n in sorted(skipped.items())))
        if not histories:
            notes.append(f"no running runs of {', '.join(sorted(definitions))}")
    failed = 0
    for i, history in enumerate(histories):
        result = outcomes[i] if outcomes else replayer.replay_workflow_now(history, raise_on_replay_failure=False)
        where = f"{history.workflow_id}  run {history.run_id or '?'}  {history.workflow_type}  ({len(history.events)} events)"
        if result.ok:
            print(f"OK      {where}")
            continue
        failed += 1
        print(f"FAILED  {where}: {describe_replay_failure(result.replay_failure)}")
        print(f"        {result.replay_failure}")
    for note in notes:
        print(note)
    print(f"replayed {len(histories)} run(s) against {', '.join(args.module)}: {len(histories) - failed} OK, {failed} failed")
    return 1 if failed else 0

async def _replay_histories_from_cluster(args, types: set[str], definitions: list):
    """The histories to replay, the running runs of other types by type (--all-running), and
    each history's replay, done while connected (code that reads executor results reads them
    from the cluster); or what went wrong."""
    import collections

    import grpc

    from protos import common_pb2
    from fanflow.cli_tls import connect
    from worker_sdk.replayer import Replayer

    client = await connect(args, retry_timeout=5.0)
    try:
        if args.all_running:
            running = await client.list_workflows(status=common_pb2.WORKFLOW_EXECUTION_STATUS_RUNNING)
            skipped = collections.Counter(info.type.name for info in running if info.type.name not in types)
            histories = [
                await client.get_workflow_handle(info.execution.workflow_id).fetch_history(info.execution.run_id)
                for info in running if info.type.name in types
            ]
        else:
            histories, skipped = [await client.get_workflow_handle(args.workflow_id).fetch_history(args.run or "")], collections.Counter()
        replayer = Replayer(workflows=definitions, namespace=args.namespace, client=client)
        outcomes = [await replayer.replay_workflow(h, raise_on_replay_failure=False) for h in histories]
        return histories, dict(skipped), outcomes
    except grpc.aio.AioRpcError as exc:
        what = f"workflow {args.workflow_id}" + (f" run {args.run}" if args.run else "") if args.workflow_id else "the running workflows"
        return f"could not read {what} from {args.address}: {exc.code().name}: {exc.details()}"
    finally:
        await client.close()
