"""Side effects of the SDK's own markers, stored with the marker's event.

`fanflow.executor` (an executor starting: its id, pattern and item count) starts
the executor's progress record; `fanflow.event` (`workflows.record_event`) is kept
as a recorded event for the progress API. Other markers are history only.
"""
from __future__ import annotations

import json
from collections.abc import Sequence

import structlog

from history.persistence.store import ExecutorStarted
from protos import common_pb2, workflow_service_pb2

log = structlog.get_logger("fanflow.history.shard")


def records(
    markers: Sequence[common_pb2.MarkerRecordedEventAttributes], run_id: str, now: int
) -> tuple[list[ExecutorStarted], list[workflow_service_pb2.RecordedEvent]]:
    """What the markers of one commit ask to store; a malformed one is logged and skipped."""
    started: list[ExecutorStarted] = []
    recorded: list[workflow_service_pb2.RecordedEvent] = []
    for marker in markers:
        try:
            details = json.loads(marker.details.data or b"null")
            if marker.marker_name == "fanflow.executor":
                started.append(ExecutorStarted(str(details["executor_id"]), str(details.get("pattern", "")), int(details.get("total") or 0)))
            elif marker.marker_name == "fanflow.event":
                payload = common_pb2.Payload(data=json.dumps(details.get("details")).encode(), encoding="json/plain")
                event = workflow_service_pb2.RecordedEvent(name=str(details["name"]), details=payload, run_id=run_id)
                event.time.FromNanoseconds(now)
                recorded.append(event)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("ignoring malformed fanflow marker", marker=marker.marker_name, error=str(exc))
    return started, recorded
