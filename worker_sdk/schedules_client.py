"""Schedules from the client: create, list, describe, pause, unpause, trigger, backfill, delete;
and what a worker registers when it starts (its workflow types, and the schedules its
workflows declare with ``@workflow.define(schedules=[...])``).

    handle = await client.create_schedule(ReportWorkflow, workflows.Schedule(
        input={"report_type": "daily"}, cron_expressions=["0 9 * * *"]), schedule_id="daily-report")
    await handle.pause("holiday"); await handle.trigger(); await handle.delete()

The schedule runs in the cluster (a record in a history shard), not in this process: each
time it starts the workflow with the id "<schedule id>-<time, RFC 3339 UTC>".
"""
from __future__ import annotations

import datetime
import uuid
from typing import TYPE_CHECKING, Any

import grpc
import structlog
from pydantic import BaseModel, Field

from fanflow.schedule_spec import SpecError, compile_spec
from fanflow.timeutil import duration, ts_from_ns, ts_to_datetime
from protos import common_pb2, schedule_pb2 as S

from . import converter
from .schedules import ScheduleCalendar, ScheduleDefinition, ScheduleInterval, ScheduleOverlapPolicy, SchedulePolicy, ScheduleRange

if TYPE_CHECKING:
    from .client import Client

log = structlog.get_logger("fanflow.sdk.schedules")

__all__ = [
    "ScheduleHandle",
    "ScheduleDescription",
    "ScheduleFutureExecution",
    "ScheduleRecentExecution",
    "ScheduleNotFoundError",
    "ScheduleAlreadyExistsError",
    "declared_schedule_id",
    "schedule_to_proto",
]


class ScheduleNotFoundError(LookupError):
    """No schedule with that id in the namespace."""


class ScheduleAlreadyExistsError(Exception):
    """create_schedule with an id that is taken (pass update_if_exists=True to replace its definition)."""


class ScheduleFutureExecution(BaseModel):
    scheduled_at: datetime.datetime


class ScheduleRecentExecution(BaseModel):
    scheduled_at: datetime.datetime  # the nominal time
    started_at: datetime.datetime
    execution_id: str  # the workflow id
    run_id: str
    status: str  # running, completed, failed, ... (as the run ended)
    manual: bool = False  # trigger or backfill


class ScheduleDescription(BaseModel):
    """What describe_schedule returns (the seed's ScheduleDefinitionOutput fields, and more)."""

    schedule_id: str
    workflow_name: str
    paused: bool
    note: str | None = None
    remaining_executions: int | None = None  # None: unlimited
    future_executions: list[ScheduleFutureExecution] = Field(default_factory=list)
    recent_executions: list[ScheduleRecentExecution] = Field(default_factory=list)  # newest last
    running_executions: list[str] = Field(default_factory=list)  # workflow ids of open runs (not ALLOW_ALL ones)
    action_count: int = 0
    missed_catchup_window: int = 0
    overlap_skipped: int = 0
    buffer_size: int = 0
    last_start_error: str = ""
    declared: bool = False  # registered by a worker from define(schedules=[...])
    cron_expressions: list[str] = Field(default_factory=list)
    time_zone_name: str | None = None
    policy: SchedulePolicy = Field(default_factory=SchedulePolicy)


# ---------------------------------------------------------------- conversions


def _utc(value: datetime.datetime) -> datetime.datetime:
    return value.replace(tzinfo=datetime.timezone.utc) if value.tzinfo is None else value


def _ts(value: datetime.datetime):
    return ts_from_ns(int(_utc(value).timestamp() * 1_000_000_000))


def _calendar(cal: ScheduleCalendar) -> S.ScheduleCalendar:
    out = S.ScheduleCalendar(comment=cal.comment or "")
    for name in ("second", "minute", "hour", "day_of_month", "month", "year", "day_of_week"):
        getattr(out, name).extend(S.ScheduleRange(start=r.start, end=r.end, step=r.step) for r in getattr(cal, name))
    return out


def schedule_to_proto(schedule: ScheduleDefinition, action: S.ScheduleAction, *, paused: bool = False, note: str = "") -> S.Schedule:
    """The API's Schedule for a seed-style definition and the action (workflow, input) it starts.
    Raises ValueError naming the part of the spec that is wrong."""
    spec = S.ScheduleSpec(
        calendars=[_calendar(c) for c in schedule.calendars],
        intervals=[S.ScheduleInterval(every=duration(i.every.total_seconds()), offset=duration((i.offset or datetime.timedelta(0)).total_seconds())) for i in schedule.intervals],
        cron_expressions=list(schedule.cron_expressions),
        skip=[_calendar(c) for c in schedule.skip],
        time_zone_name=schedule.time_zone_name or "",
    )
    if schedule.start_at is not None:
        spec.start_time.CopyFrom(_ts(schedule.start_at))
    if schedule.end_at is not None:
        spec.end_time.CopyFrom(_ts(schedule.end_at))
    if schedule.jitter:
        spec.jitter.CopyFrom(duration(schedule.jitter.total_seconds()))
    try:
        compile_spec(spec, "schedule")
    except SpecError as exc:
        raise ValueError(str(exc)) from None
    policy = schedule.policy
    policies = S.SchedulePolicies(overlap_policy=int(policy.overlap), pause_on_failure=policy.pause_on_failure)
    policies.catchup_window.CopyFrom(duration(policy.catchup_window_seconds))
    state = S.ScheduleState(paused=paused, notes=note)
    if schedule.max_executions is not None:
        state.limited_actions, state.remaining_actions = True, schedule.max_executions
    return S.Schedule(spec=spec, action=action, policies=policies, state=state)


def declared_schedule_id(workflow_name: str, index: int, schedule: ScheduleDefinition) -> str:
    """The id of a schedule a workflow declares: its own schedule_id, else
    "<workflow name>-schedule-<index in the list>" (the same in every worker and every run)."""
    return schedule.schedule_id or f"{workflow_name}-schedule-{index}"


def _overlap(value: Any) -> int:
    if value is None:
        return S.SCHEDULE_OVERLAP_POLICY_UNSPECIFIED
    if isinstance(value, str):
        try:
            return int(ScheduleOverlapPolicy[value.upper()])
        except KeyError:
            raise ValueError(f"overlap policy {value!r} is unknown; use one of {', '.join(p.name for p in ScheduleOverlapPolicy)}") from None
    try:
        return int(ScheduleOverlapPolicy(int(value)))
    except (ValueError, TypeError):
        raise ValueError(f"overlap policy {value!r} is unknown; use one of {', '.join(p.name for p in ScheduleOverlapPolicy)}") from None


def _status(status: int) -> str:
    if status == common_pb2.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED:
        return "unknown"
    return common_pb2.WorkflowExecutionStatus.Name(status).removeprefix("WORKFLOW_EXECUTION_STATUS_").lower()


def describe_from_proto(schedule_id: str, response: S.DescribeScheduleResponse) -> ScheduleDescription:
    schedule, info = response.schedule, response.info
    state = schedule.state
    policies = schedule.policies
    return ScheduleDescription(
        schedule_id=schedule_id,
        workflow_name=schedule.action.workflow_type.name,
        paused=state.paused,
        note=state.notes or None,
        remaining_executions=state.remaining_actions if state.limited_actions else None,
        future_executions=[ScheduleFutureExecution(scheduled_at=ts_to_datetime(t)) for t in info.future_action_times],
        recent_executions=[
            ScheduleRecentExecution(
                scheduled_at=ts_to_datetime(a.schedule_time), started_at=ts_to_datetime(a.actual_time), execution_id=a.workflow_id,
                run_id=a.run_id, status=_status(a.status), manual=a.manual,
            )
            for a in info.recent_actions
        ],
        running_executions=[e.workflow_id for e in info.running_workflows],
        action_count=info.action_count,
        missed_catchup_window=info.missed_catchup_window,
        overlap_skipped=info.overlap_skipped,
        buffer_size=info.buffer_size,
        last_start_error=info.last_start_error,
        declared=info.declared,
        cron_expressions=list(schedule.spec.cron_expressions),
        time_zone_name=schedule.spec.time_zone_name or None,
        policy=SchedulePolicy(
            catchup_window_seconds=int(policies.catchup_window.ToSeconds()),
            overlap=ScheduleOverlapPolicy(policies.overlap_policy or ScheduleOverlapPolicy.SKIP),
            pause_on_failure=policies.pause_on_failure,
        ),
    )


# ---------------------------------------------------------------- the client side


def _raise_for(exc: grpc.aio.AioRpcError, schedule_id: str) -> None:
    if exc.code() == grpc.StatusCode.NOT_FOUND:
        raise ScheduleNotFoundError(exc.details()) from None
    if exc.code() == grpc.StatusCode.ALREADY_EXISTS:
        raise ScheduleAlreadyExistsError(exc.details()) from None
    raise exc


class ScheduleHandle:
    """One schedule of the client's namespace, by id."""

    def __init__(self, client: "Client", schedule_id: str):
        self.client = client
        self.schedule_id = schedule_id

    async def _call(self, method: str, request):
        try:
            return await self.client.call(method, request)
        except grpc.aio.AioRpcError as exc:
            _raise_for(exc, self.schedule_id)

    async def describe(self, future_actions: int = 10) -> ScheduleDescription:
        """The spec's next times, recent starts (nominal and actual time, workflow id, outcome),
        open runs, paused state and note, remaining executions."""
        return describe_from_proto(self.schedule_id, await self.describe_raw(future_actions))

    async def describe_raw(self, future_actions: int = 10) -> S.DescribeScheduleResponse:
        return await self._call("DescribeSchedule", S.DescribeScheduleRequest(
            namespace=self.client.namespace, schedule_id=self.schedule_id, future_action_count=future_actions))

    async def _patch(self, patch: S.SchedulePatch) -> None:
        await self._call("PatchSchedule", S.PatchScheduleRequest(
            namespace=self.client.namespace, schedule_id=self.schedule_id, patch=patch, identity=self.client.identity, request_id=str(uuid.uuid4())))

    async def pause(self, note: str = "") -> None:
        await self._patch(S.SchedulePatch(pause=True, note=note))

    async def unpause(self, note: str = "") -> None:
        await self._patch(S.SchedulePatch(unpause=True, note=note))

    async def trigger(self, overlap: ScheduleOverlapPolicy | str | None = None) -> None:
        """Start the workflow now (even when paused or out of executions); `overlap` defaults to the schedule's policy."""
        await self._patch(S.SchedulePatch(trigger_immediately=S.ScheduleTrigger(overlap_policy=_overlap(overlap))))

    async def backfill(self, start: datetime.datetime, end: datetime.datetime, overlap: ScheduleOverlapPolicy | str | None = None) -> None:
        """Start the spec's times from `start` to `end` (inclusive) as if they were due now (naive = UTC)."""
        if _utc(end) < _utc(start):
            raise ValueError(f"backfill end {end} is before its start {start}")
        await self._patch(S.SchedulePatch(backfill=[S.ScheduleBackfill(start_time=_ts(start), end_time=_ts(end), overlap_policy=_overlap(overlap))]))

    async def delete(self) -> None:
        """Delete the schedule; runs it started keep running."""
        await self._call("DeleteSchedule", S.DeleteScheduleRequest(namespace=self.client.namespace, schedule_id=self.schedule_id, identity=self.client.identity))


class ScheduleClient:
    """The schedule methods of ``Client`` (a base class of it)."""

    async def create_schedule(
        self: "Client",
        workflow: Any,
        schedule: ScheduleDefinition | dict,
        *,
        schedule_id: str | None = None,
        task_queue: str | None = None,
        paused: bool = False,
        note: str = "",
        update_if_exists: bool = False,
        declared: bool = False,
    ) -> ScheduleHandle:
        """Create a schedule that starts `workflow` (a ``@workflow.define`` class, or a type name)
        with ``schedule.input`` at the times ``schedule`` gives (a ``workflows.Schedule``).

        ``schedule_id``: default ``schedule.schedule_id``, else a new uuid. ``task_queue``: where
        the runs go (default "default"). The cluster refuses a workflow type no worker of the
        namespace registered (FAILED_PRECONDITION). ``update_if_exists``: an existing schedule
        with that id takes this definition (kept as it is when equal) instead of raising
        ``ScheduleAlreadyExistsError``."""
        from .client import DEFAULT_TASK_QUEUE

        if isinstance(schedule, dict):
            schedule = ScheduleDefinition.model_validate(schedule)
        if not isinstance(schedule, ScheduleDefinition):
            raise TypeError(f"create_schedule needs a workflows.Schedule, got {type(schedule).__name__}")
        sid = schedule_id or schedule.schedule_id or str(uuid.uuid4())
        from .client import _definition

        queue = task_queue or DEFAULT_TASK_QUEUE
        if _definition(workflow) is not None:  # input checked against the entrypoint now, as execute_workflow(params=...)
            start = self.start_workflow_request(workflow, schedule.input, task_queue=queue)
        else:
            start = self.start_workflow_request(workflow, task_queue=queue)
            if schedule.input is not None:  # a type name: the worker binds it by the seed's rule
                start.input.CopyFrom(converter.to_payload(schedule.input))
        action = S.ScheduleAction(
            workflow_type=start.workflow_type, task_queue=start.task_queue, input=start.input, metadata=start.metadata,
            workflow_execution_timeout=start.workflow_execution_timeout, workflow_run_timeout=start.workflow_run_timeout,
        )
        request = S.CreateScheduleRequest(
            namespace=self.namespace, schedule_id=sid, schedule=schedule_to_proto(schedule, action, paused=paused, note=note),
            identity=self.identity, request_id=str(uuid.uuid4()), update_if_exists=update_if_exists, declared=declared,
        )
        try:
            await self.call("CreateSchedule", request)
        except grpc.aio.AioRpcError as exc:
            _raise_for(exc, sid)
        return ScheduleHandle(self, sid)

    def get_schedule_handle(self: "Client", schedule_id: str) -> ScheduleHandle:
        return ScheduleHandle(self, schedule_id)

    async def list_schedules(self: "Client", page_size: int = 100) -> list[S.ScheduleListEntry]:
        """Every schedule of the namespace, by id (spec, state, next and recent times)."""
        out, token = [], b""
        while True:
            response = await self.call("ListSchedules", S.ListSchedulesRequest(namespace=self.namespace, page_size=page_size, next_page_token=token))
            out.extend(response.schedules)
            token = response.next_page_token
            if not token:
                return out

    async def describe_schedule(self: "Client", schedule_id: str) -> ScheduleDescription:
        return await ScheduleHandle(self, schedule_id).describe()

    async def pause_schedule(self: "Client", schedule_id: str, note: str = "") -> None:
        await ScheduleHandle(self, schedule_id).pause(note)

    async def unpause_schedule(self: "Client", schedule_id: str, note: str = "") -> None:
        await ScheduleHandle(self, schedule_id).unpause(note)

    async def trigger_schedule(self: "Client", schedule_id: str, overlap: ScheduleOverlapPolicy | str | None = None) -> None:
        await ScheduleHandle(self, schedule_id).trigger(overlap)

    async def backfill_schedule(self: "Client", schedule_id: str, start: datetime.datetime, end: datetime.datetime,
                                overlap: ScheduleOverlapPolicy | str | None = None) -> None:
        await ScheduleHandle(self, schedule_id).backfill(start, end, overlap)

    async def delete_schedule(self: "Client", schedule_id: str) -> None:
        await ScheduleHandle(self, schedule_id).delete()


# ---------------------------------------------------------------- what a worker registers


async def register_worker(client: "Client", task_queue: str, definitions: list) -> None:
    """Tell the cluster which workflow types this worker serves, then create (or bring up to
    date) the schedules they declare. A cluster without these calls is told nothing (a warning)."""
    names = sorted(d.name for d in definitions)
    if not names:
        return
    try:
        await client.call("RegisterWorkflowTypes", S.RegisterWorkflowTypesRequest(
            namespace=client.namespace, task_queue=task_queue, workflow_types=names, identity=client.identity))
    except grpc.aio.AioRpcError as exc:
        if exc.code() == grpc.StatusCode.UNIMPLEMENTED:
            log.warning("the cluster does not take workflow-type registrations; declared schedules are not registered", error=exc.details())
            return
        raise
    for definition in definitions:
        for i, schedule in enumerate(definition.schedules):
            sid = declared_schedule_id(definition.name, i, schedule)
            try:
                await client.create_schedule(definition, schedule, schedule_id=sid, task_queue=task_queue, update_if_exists=True, declared=True)
            except grpc.aio.AioRpcError as exc:
                raise ValueError(f"workflow {definition.name!r}: its schedule {sid!r} (define(schedules=[...])[{i}]) was refused: {exc.details()}") from None
