"""`fanflow schedule ...`: the client's schedule calls from the command line."""
from __future__ import annotations

import asyncio
import json
import sys

from fanflow.cli_output import print_message as _print


def cmd_schedule(args) -> int:
    """fanflow schedule ...: the client's schedule calls from the command line."""
    import datetime

    from fanflow.cli_tls import connect
    from worker_sdk.schedules import Schedule, ScheduleCalendar, ScheduleInterval, SchedulePolicy
    from worker_sdk.schedules_client import ScheduleAlreadyExistsError, ScheduleNotFoundError

    def when(text: str, option: str) -> datetime.datetime:
        try:
            value = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise SystemExit(f"fanflow schedule: {option} {text!r} is not an ISO 8601 time (e.g. 2026-05-01T09:00:00Z)") from None
        return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)

    def span(text: str, option: str) -> datetime.timedelta:
        from fanflow.schedule_spec import SpecError, parse_duration

        try:
            return datetime.timedelta(microseconds=parse_duration(text) // 1000)
        except SpecError as exc:
            raise SystemExit(f"fanflow schedule: {option}: {exc}") from None

    if args.action != "list" and not args.schedule_id:
        print("give a schedule id", file=sys.stderr)
        return 2

    async def run() -> int:
        client = await connect(args, retry_timeout=5.0)
        handle = client.get_schedule_handle(args.schedule_id or "")
        try:
            if args.action == "create":
                if not args.type:
                    print("give the workflow type: --type NAME", file=sys.stderr)
                    return 2
                try:
                    params = json.loads(args.input) if args.input is not None else None
                    calendars = [ScheduleCalendar.model_validate(json.loads(c)) for c in args.calendar]
                except (json.JSONDecodeError, ValueError) as exc:
                    print(f"--input / --calendar must be JSON: {exc}", file=sys.stderr)
                    return 2
                intervals = []
                for text in args.interval:
                    every, _, offset = text.partition("/")
                    intervals.append(ScheduleInterval(every=span(every, "--interval"), offset=span(offset, "--interval offset") if offset else None))
                policy = {"overlap": args.overlap.upper()} if args.overlap else {}
                if args.catchup_window:
                    policy["catchup_window_seconds"] = int(span(args.catchup_window, "--catchup-window").total_seconds())
                try:
                    schedule = Schedule(
                        input=params, cron_expressions=args.cron, intervals=intervals, calendars=calendars,
                        start_at=when(args.start_at, "--start-at") if args.start_at else None,
                        end_at=when(args.end_at, "--end-at") if args.end_at else None,
                        jitter=span(args.jitter, "--jitter") if args.jitter else None, time_zone_name=args.time_zone,
                        policy=SchedulePolicy(pause_on_failure=args.pause_on_failure, **{k: (v if k != "overlap" else _overlap_name(v)) for k, v in policy.items()}),
                        max_executions=args.max_executions,
                    )
                    await client.create_schedule(args.type, schedule, schedule_id=args.schedule_id, task_queue=args.task_queue,
                                                 paused=args.paused, note=args.note or "")
                except ValueError as exc:
                    print(f"fanflow schedule create: {exc}", file=sys.stderr)
                    return 2
                print(f"created schedule {args.schedule_id}")
            elif args.action == "list":
                for entry in await client.list_schedules():
                    nxt = entry.future_action_times[0].ToJsonString() if entry.future_action_times else "-"
                    state = "paused" if entry.state.paused else "active"
                    print(f"{entry.schedule_id}  {entry.workflow_type.name}  {state}  next={nxt}")
            elif args.action == "describe":
                _print(await handle.describe_raw(args.count))
            elif args.action == "pause":
                await handle.pause(args.note or "paused from the command line")
                print(f"paused {args.schedule_id}")
            elif args.action == "unpause":
                await handle.unpause(args.note or "unpaused from the command line")
                print(f"unpaused {args.schedule_id}")
            elif args.action == "trigger":
                await handle.trigger(args.overlap)
                print(f"triggered {args.schedule_id}")
            elif args.action == "backfill":
                if not (args.start and args.end):
                    print("give the range: --start TIME --end TIME", file=sys.stderr)
                    return 2
                await handle.backfill(when(args.start, "--start"), when(args.end, "--end"), args.overlap)
                print(f"backfilling {args.schedule_id} from {args.start} to {args.end}")
            elif args.action == "delete":
                await handle.delete()
                print(f"deleted {args.schedule_id}")
            return 0
        except (ScheduleNotFoundError, ScheduleAlreadyExistsError) as exc:
            print(f"fanflow schedule {args.action}: {exc}", file=sys.stderr)
            return 1
        except ValueError as exc:
            print(f"fanflow schedule {args.action}: {exc}", file=sys.stderr)
            return 2
        finally:
            await client.close()

    import grpc

    try:
        return asyncio.run(run())
    except grpc.aio.AioRpcError as exc:
        print(f"fanflow schedule {args.action}: {exc.code().name}: {exc.details()}", file=sys.stderr)
        return 1


def _overlap_name(value: str):
    from worker_sdk.schedules import ScheduleOverlapPolicy

    try:
        return ScheduleOverlapPolicy[value.upper()]
    except KeyError:
        raise SystemExit(f"fanflow schedule: --overlap {value!r} is unknown; use one of {', '.join(p.name for p in ScheduleOverlapPolicy)}") from None
