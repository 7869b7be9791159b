"""Patches: ``workflow.patched(id)`` and ``workflow.deprecate_patch(id)``, with Temporal's rules.

A patch is a branch in workflow code that new runs take and runs recorded before the change
do not, so changed code can be deployed while long runs are in flight:

    if workflows.workflow.patched("fraud-check"):
        await check_fraud(order)          # the new code
    await ship(order)                     # what every run does

The choice is recorded as a marker (a RecordMarker command, ``fanflow.patch``, details
``{"id": ..., "deprecated": ...}``), and the replay loop (``_instance.py``) matches it like
any command:

* not replaying (the newest workflow task): ``patched`` records the marker and returns True;
* replaying: True when history has the marker in the commands of this workflow task (or an
  earlier one), else False and nothing is recorded: the run was recorded by the old code;
* the first answer for an id is kept for the rest of the run (memoized), so every later
  ``patched(id)`` of the run takes the same branch, even once replay is over;
* ``deprecate_patch(id)`` records the marker the same way but never branches (step two, once
  no run can still take the old branch): histories with the marker match it, histories
  without it replay since it records nothing while replaying;
* a marker in history that no call matches: a *deprecated* one is skipped (the call was
  removed, step three); one recorded by ``patched`` is a non-determinism error naming the
  patch (keep ``deprecate_patch(id)`` while such runs may replay).

Temporal's SDK also upserts a search attribute (``TemporalChangeVersion``); fanflow does not.
"""
from __future__ import annotations

import dataclasses
import json
from typing import Iterable, Sequence

from protos import common_pb2

from . import converter

E = common_pb2.EventType
CT = common_pb2.CommandType

PATCH_MARKER = "fanflow.patch"
MAX_PATCH_ID_LENGTH = 1000  # history's limit on ids and names

__all__ = ["PATCH_MARKER", "PatchMarker", "Patches", "check_patch_id", "marker_command", "of_command", "of_event"]


@dataclasses.dataclass(frozen=True)
class PatchMarker:
    patch_id: str
    deprecated: bool

    def describe(self) -> str:
        call = "deprecate_patch" if self.deprecated else "patched"
        return f"workflow.{call}({self.patch_id!r})"


def check_patch_id(patch_id: object, call: str) -> str:
    """``patch_id`` when it is a usable id; else a TypeError / ValueError naming the call."""
    if not isinstance(patch_id, str):
        raise TypeError(f"workflow.{call}(patch_id) takes a string id, got {type(patch_id).__name__} {patch_id!r}")
    if not patch_id.strip():
        raise ValueError(f"workflow.{call}(patch_id) needs a non-empty id (e.g. \"fraud-check\")")
    if len(patch_id) > MAX_PATCH_ID_LENGTH:
        raise ValueError(f"workflow.{call}(patch_id): the id is {len(patch_id)} characters, at most {MAX_PATCH_ID_LENGTH}")
    return patch_id


def marker_command(marker: PatchMarker) -> common_pb2.Command:
    return common_pb2.Command(
        command_type=CT.COMMAND_TYPE_RECORD_MARKER,
        record_marker=common_pb2.RecordMarkerCommandAttributes(
            marker_name=PATCH_MARKER,
            details=converter.to_payload({"id": marker.patch_id, "deprecated": marker.deprecated}),
        ),
    )


def _from_details(payload: common_pb2.Payload) -> PatchMarker | None:
    try:
        details = json.loads(payload.data or b"null")
    except ValueError:
        return None
    if not isinstance(details, dict) or not isinstance(details.get("id"), str):
        return None  # a marker of that name that is not ours: matched as a plain marker
    return PatchMarker(details["id"], bool(details.get("deprecated", False)))


def of_command(cmd: common_pb2.Command) -> PatchMarker | None:
    """The patch a command records, if it is a patch marker."""
    if cmd.command_type != CT.COMMAND_TYPE_RECORD_MARKER or cmd.record_marker.marker_name != PATCH_MARKER:
        return None
    return _from_details(cmd.record_marker.details)


def of_event(ev: common_pb2.HistoryEvent) -> PatchMarker | None:
    """The patch a history event records, if it is a patch marker."""
    if ev.event_type != E.EVENT_TYPE_MARKER_RECORDED or ev.marker_recorded.marker_name != PATCH_MARKER:
        return None
    return _from_details(ev.marker_recorded.details)


def recorded_by_task(events: Sequence[common_pb2.HistoryEvent]) -> dict[int, set[str]]:
    """Patch ids recorded by each workflow task of ``events``, by the id of its
    WorkflowTaskStarted: the markers among the command events written after its
    WorkflowTaskCompleted (up to the next WorkflowTaskStarted)."""
    by_task: dict[int, set[str]] = {}
    task = 0
    for ev in events:
        if ev.event_type == E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            task = ev.workflow_task_completed.started_event_id
        elif ev.event_type == E.EVENT_TYPE_WORKFLOW_TASK_STARTED:
            task = 0
        elif task:
            marker = of_event(ev)
            if marker is not None:
                by_task.setdefault(task, set()).add(marker.patch_id)
    return by_task


def recorded_before_next_task(events: Iterable[common_pb2.HistoryEvent]) -> set[str]:
    """Patch ids among ``events`` up to the first WorkflowTaskStarted (the commands of the
    task just before them)."""
    ids: set[str] = set()
    for ev in events:
        if ev.event_type == E.EVENT_TYPE_WORKFLOW_TASK_STARTED:
            break
        marker = of_event(ev)
        if marker is not None:
            ids.add(marker.patch_id)
    return ids


class Patches:
    """One run's patches: the answer given for each id (kept for the rest of the run) and
    the ids whose markers history showed in the workflow tasks replayed so far."""

    def __init__(self) -> None:
        self.answers: dict[str, bool] = {}
        self.in_history: set[str] = set()
        #: Markers of the last workflow task when its command events were not given with it
        #: (a query's replay stops at the task's WorkflowTaskStarted): taken in at that task.
        self.upcoming: set[str] = set()

    def use(self, patch_id: str, *, deprecated: bool, replaying: bool) -> tuple[bool, common_pb2.Command | None]:
        """Whether the run takes the patched branch, and the marker command to record (if any)."""
        known = self.answers.get(patch_id)
        if known is not None:
            return known, None
        use = not replaying or patch_id in self.in_history
        self.answers[patch_id] = use
        return use, marker_command(PatchMarker(patch_id, deprecated)) if use else None
