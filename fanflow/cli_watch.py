"""`fanflow workflow watch ID [--cursor N] [--no-progress]`: what happens to a workflow as it
happens (WatchWorkflow), one JSON line per change, until its continue-as-new chain closes."""
from __future__ import annotations

import json
import sys

from google.protobuf import json_format


async def workflow_watch(handle, args) -> int:
    from worker_sdk.exceptions import WorkflowNotFoundError

    if args.cursor < 0:
        print("--cursor must be 0 or a cursor a watch line gave", file=sys.stderr)
        return 2
    try:
        async for response in handle.watch(args.cursor, progress=not args.no_progress):
            print(json.dumps(watch_line(response)), flush=True)
    except WorkflowNotFoundError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    return 0


def watch_line(response) -> dict:
    """A watch response as JSON, with task states and event details as the JSON they hold."""
    line = json_format.MessageToDict(response)
    for item, field, source in (("task", "state", response.task.state), ("event", "details", response.event.details)):
        if item in line and field in line[item]:
            line[item][field] = json.loads(source.data or b"null")
    for task, source in zip(line.get("progress", {}).get("tasks", []), response.progress.tasks):
        if "state" in task:
            task["state"] = json.loads(source.state.data or b"null")
    return line
