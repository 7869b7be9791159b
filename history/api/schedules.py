"""The schedule RPCs on the shard that holds the schedule: create, describe, list, patch
(pause, unpause, trigger, backfill), delete. The frontend checked the request's shape; the
spec is compiled here again (a bad one is INVALID_ARGUMENT and nothing is written)."""
from __future__ import annotations


from fanflow.errors import AlreadyExists, InvalidArgument, NotFound
from fanflow.schedule_spec import SpecError
from fanflow.timeutil import ts_from_ns
from history.schedule_runner import list_entry
from history.schedules import REQUEST_IDS_KEPT, ScheduleMachine, compiled, new_record
from history.shard import Shard
from protos import schedule_pb2, schedule_state_pb2
from fanflow import clock

DEFAULT_FUTURE_ACTIONS = 10


def _remember(record: schedule_state_pb2.ScheduleRecord, request_id: str) -> None:
    if request_id:
        record.recent_request_ids.append(request_id)
        del record.recent_request_ids[:-REQUEST_IDS_KEPT]


def _definition_of(record: schedule_state_pb2.ScheduleRecord) -> tuple:
    s = record.schedule
    return (s.spec.SerializeToString(deterministic=True), s.action.SerializeToString(deterministic=True),
            s.policies.SerializeToString(deterministic=True), record.max_actions)


async def create_schedule(shard: Shard, request: schedule_pb2.CreateScheduleRequest) -> schedule_pb2.CreateScheduleResponse:
    runner = shard.schedules
    key = (request.namespace, request.schedule_id)
    fresh = new_record(request.namespace, request.schedule_id, request.schedule, clock.now_ns(), request.declared)
    try:
        spec = compiled(fresh)
    except SpecError as exc:
        raise InvalidArgument(str(exc)) from None
    async with runner.locks.hold(key):
        existing = await runner.load(key)
        now = clock.now_ns()
        if existing is not None:
            if request.request_id and request.request_id in existing.recent_request_ids:
                return schedule_pb2.CreateScheduleResponse(created=True)  # a retried create
            if not request.update_if_exists:
                raise AlreadyExists(
                    f"schedule {request.schedule_id!r} already exists in namespace {request.namespace!r}; "
                    "delete it first or pick another schedule_id"
                )
            if _definition_of(existing) == _definition_of(fresh):
                return schedule_pb2.CreateScheduleResponse()
            record = existing
            record.schedule.spec.CopyFrom(fresh.schedule.spec)
            record.schedule.action.CopyFrom(fresh.schedule.action)
            record.schedule.policies.CopyFrom(fresh.schedule.policies)
            if record.max_actions != fresh.max_actions:
                record.max_actions = fresh.max_actions
                record.schedule.state.limited_actions = fresh.schedule.state.limited_actions
                record.schedule.state.remaining_actions = fresh.schedule.state.remaining_actions
            record.last_processed_time.CopyFrom(ts_from_ns(max(record.last_processed_time.ToNanoseconds(), now)))  # no catch-up of the old spec
            record.info.update_time.CopyFrom(ts_from_ns(now))
            _remember(record, request.request_id)
            await runner.commit(ScheduleMachine(record, spec), now)
            return schedule_pb2.CreateScheduleResponse(updated=True)
        _remember(fresh, request.request_id)
        await runner.commit(ScheduleMachine(fresh, spec), now)
        return schedule_pb2.CreateScheduleResponse(created=True)


async def _require(shard: Shard, namespace: str, schedule_id: str) -> schedule_state_pb2.ScheduleRecord:
    record = await shard.schedules.load((namespace, schedule_id))
    if record is None:
        raise NotFound(f"schedule {schedule_id!r} not found in namespace {namespace!r}")
    return record


async def describe_schedule(shard: Shard, request: schedule_pb2.DescribeScheduleRequest) -> schedule_pb2.DescribeScheduleResponse:
    # The committed record, without the schedule's lock: a step may hold it while it waits on
    # a start on another shard, and describe must not wait for that.
    record = await _require(shard, request.namespace, request.schedule_id)
    machine = ScheduleMachine(record, compiled(record))
    info = schedule_pb2.ScheduleInfo()
    info.CopyFrom(record.info)
    info.future_action_times.extend(ts_from_ns(t) for t in machine.future_times(request.future_action_count or DEFAULT_FUTURE_ACTIONS))
    info.buffer_size = len(record.buffer)
    return schedule_pb2.DescribeScheduleResponse(schedule=record.schedule, info=info, conflict_token=record.conflict_token)


async def list_schedules(shard: Shard, namespace: str, after: str, limit: int) -> list[schedule_pb2.ScheduleListEntry]:
    return [list_entry(ScheduleMachine(r, compiled(r))) for r in await shard.schedules.records(namespace, after, limit)]


async def patch_schedule(shard: Shard, request: schedule_pb2.PatchScheduleRequest) -> None:
    runner = shard.schedules
    key = (request.namespace, request.schedule_id)
    patch = request.patch
    async with runner.locks.hold(key):
        record = await _require(shard, *key)
        if request.request_id and request.request_id in record.recent_request_ids:
            return  # a retried patch: applied once
    note = patch.note

    def apply(machine: ScheduleMachine, now: int) -> None:
        if request.request_id and request.request_id in machine.record.recent_request_ids:
            return
        _remember(machine.record, request.request_id)
        if patch.pause:
            machine.pause(note or f"paused by {request.identity or 'a client'}", now)
        if patch.unpause:
            machine.unpause(note or f"unpaused by {request.identity or 'a client'}", now)
        for backfill in patch.backfill:
            machine.add_backfill(backfill)
        if patch.HasField("trigger_immediately"):
            machine.trigger(now, patch.trigger_immediately.overlap_policy)

    if await runner.step(key, change=apply) is None:
        raise NotFound(f"schedule {request.schedule_id!r} not found in namespace {request.namespace!r}")


async def delete_schedule(shard: Shard, request: schedule_pb2.DeleteScheduleRequest) -> None:
    runner = shard.schedules
    key = (request.namespace, request.schedule_id)
    async with runner.locks.hold(key):
        await _require(shard, *key)
        await runner.delete(key)
