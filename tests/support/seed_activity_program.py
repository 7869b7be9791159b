"""A program in the seed system's documented shapes (activities with retry options,
Depends, activity_heartbeat, run_activities_locally, WorkflowsException, WorkflowError,
asyncio.sleep) with only the import changed: `import worker_sdk as workflows`.

Workers import it (`fanflow worker seed_activity_program`); run as a script it executes the
workflows with `workflows.execute_workflow` and prints one JSON line per outcome.
`SEED_MARKS_DIR` is where the Depends provider notes when it opens and closes.
"""
import asyncio
import http
import json
import os
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

from pydantic import BaseModel

import worker_sdk as workflows
from worker_sdk import Depends, run_activities_locally
from worker_sdk.exceptions import ErrorCode, WorkflowError, WorkflowsException

MARKS = Path(os.environ.get("SEED_MARKS_DIR", "/tmp"))


class Database:
    """Stands in for a connection pool (the user's own object, not a part of fanflow)."""

    def __init__(self) -> None:
        self.rows: list[str] = []

    async def insert(self, name: str) -> int:
        self.rows.append(name)
        return len(self.rows)


@asynccontextmanager
async def get_db():
    (MARKS / f"db-open-{os.getpid()}").touch()
    try:
        yield Database()
    finally:
        (MARKS / f"db-closed-{os.getpid()}").touch()


@workflows.activity()
async def insert_user(name: str, db: Database = Depends(get_db)) -> int:
    return await db.insert(name)


@workflows.activity()
async def validate_email(email: str) -> bool:
    return "@" in email


@workflows.activity(start_to_close_timeout=timedelta(minutes=30), heartbeat_timeout=timedelta(seconds=30))
async def long_running_task(items: list[str]) -> dict:
    results = []
    for i, item in enumerate(items):
        results.append(item.upper())
        workflows.activity_heartbeat(i + 1, len(items))  # report progress
    return {"processed": len(results), "results": results}


@workflows.activity(retry_policy_max_attempts=2, retry_policy_backoff_coefficient=1.0)
async def validate_input(value: str) -> str:
    if not value:
        raise WorkflowsException(
            code=ErrorCode.INVALID_ARGUMENTS_ERROR,
            message="Input value cannot be empty",
            status=http.HTTPStatus.BAD_REQUEST,
        )
    return f"valid:{value}"


class Input(BaseModel):
    value: str


class Users(BaseModel):
    names: list[str]
    email: str


@workflows.workflow.define(name="seed_users_workflow")
class UsersWorkflow:
    @workflows.workflow.entrypoint
    async def run(self, params: Users) -> dict:
        with run_activities_locally():
            valid = await validate_email(params.email)
        await asyncio.sleep(0.5)  # a durable timer
        ids = [await insert_user(name) for name in params.names]
        report = await long_running_task(params.names)
        return {"valid": valid, "ids": ids, "report": report}


@workflows.workflow.define(name="seed_exception_workflow")
class ExceptionWorkflow:
    @workflows.workflow.entrypoint
    async def run(self, params: Input) -> str:
        return await validate_input(params.value)


@workflows.workflow.define(name="seed_rejecting_workflow")
class RejectingWorkflow:
    @workflows.workflow.entrypoint
    async def run(self, params: Input) -> str:
        raise WorkflowError(f"rejected {params.value}", {"value": params.value}, type="Rejected", non_retryable=True)


async def main() -> None:
    print(json.dumps({"users": await workflows.execute_workflow(UsersWorkflow, params=Users(names=["ada", "bob"], email="a@b.c"))}), flush=True)
    print(json.dumps({"valid": await workflows.execute_workflow(ExceptionWorkflow, params=Input(value="hello"))}), flush=True)
    try:
        await workflows.execute_workflow(ExceptionWorkflow, params=Input(value=""))
    except WorkflowsException as e:
        print(json.dumps({"code": str(e.code), "status": int(e.status)}), flush=True)
    try:
        await workflows.execute_workflow(RejectingWorkflow, params=Input(value="x"))
    except WorkflowsException as e:
        cause = e.__cause__
        print(json.dumps({"rejected": cause.message, "type": cause.type, "details": cause.details}), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
