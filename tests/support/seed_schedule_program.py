"""A worker program with the seed's scheduling guide snippets, only the import changed
(`import worker_sdk as workflows`, `from worker_sdk.models import ...`); the seed itself
requires `name=` and `@workflow.entrypoint`, which its guide leaves out. Run by
tests/service/history/test_history_schedules.py as its own process (its schedules must not reach the test process's
registry), against FANFLOW_ADDRESS."""
import asyncio
from datetime import timedelta

import worker_sdk as workflows
from worker_sdk.models import ScheduleCalendar, ScheduleDefinition, ScheduleInterval, ScheduleOverlapPolicy, SchedulePolicy, ScheduleRange

# "Defining Schedules" / "Defining Schedule Policies"
schedule_policy = SchedulePolicy(
    catchup_window=timedelta(days=1),  # Allow 1 day of catchup
    overlap_policy=ScheduleOverlapPolicy.SKIP,  # Skip overlapping executions
)

schedule = ScheduleDefinition(
    input={"report_type": "daily"},
    cron_expressions=["0 0 * * *"],  # Daily at midnight UTC
    policy=schedule_policy,
)


@workflows.workflow.define(name="report-workflow", schedules=[schedule])
class ReportWorkflow:
    @workflows.workflow.entrypoint
    async def run(self, report_type: str = "daily") -> str:
        return f"report:{report_type}"


# "Creating a schedule" (calendars): daily at 9:00 AM UTC, with its own schedule_id
calendar_schedule = ScheduleDefinition(
    input={"report_type": "daily"},
    calendars=[ScheduleCalendar(hour=[ScheduleRange(start=9)], minute=[ScheduleRange(start=0)])],
    schedule_id="report-9am",
)


@workflows.workflow.define(name="calendar-report", schedules=[calendar_schedule])
class CalendarReport:
    @workflows.workflow.entrypoint
    async def run(self, report_type: str = "daily") -> str:
        return f"calendar:{report_type}"


# one that fires while the test watches: every second, three executions
ticker = ScheduleDefinition(input={"n": 21}, intervals=[ScheduleInterval(every=timedelta(seconds=1))], max_executions=3)


@workflows.workflow.define(name="ticker", schedules=[ticker])
class Ticker:
    @workflows.workflow.entrypoint
    async def run(self, n: int) -> int:
        return n * 2


async def main():
    await workflows.run_worker([ReportWorkflow, CalendarReport, Ticker])


if __name__ == "__main__":
    asyncio.run(main())
