"""fanflow's Python SDK: define workflows and activities, run workers, start and follow
workflows on a fanflow cluster (or on an embedded one, started on demand).

    import worker_sdk as workflows

    @workflows.activity()
    async def process_item(item: str) -> dict: ...

    @workflows.workflow.define(name="concurrency_workflow")
    class ConcurrencyWorkflow:
        @workflows.workflow.entrypoint
        async def run(self, params: Input) -> list[dict]: ...

The public API is the one of the seed system, Mistral Workflows (``mistralai.workflows``):
a program written for it runs on fanflow with ``import mistralai.workflows as workflows``
changed to ``import worker_sdk as workflows``. Its names keep their meaning here:
``workflows.workflow`` (the ``worker_sdk.workflow`` module: ``define``, ``entrypoint``,
``signal`` / ``query`` / ``update``, and what workflow code calls while it runs) and
``workflows.activity`` (the callable ``worker_sdk.activity`` module: calling it is the
decorator, ``.heartbeat()`` / ``.info()`` are the in-activity hooks), the concurrency
patterns, ``execute_workflow``, ``run_worker``, the models and schedules, the errors.
fanflow adds Temporal-style pieces the seed takes from Temporal: ``Client`` /
``WorkflowHandle``, ``Worker``, ``RetryPolicy``, ``ActivityContext`` / ``ActivityInfo``, the
payload ``converter``.

The names below are listed in that order: defining, parallel executors, in workflow code,
running, replaying recorded runs, describing, errors, payloads.
"""
# Defining workflows and activities.
from . import activity, workflow
from .activity import ActivityContext, ActivityInfo, RetryPolicy, activity_heartbeat, run_activities_locally
from .dependencies import DependencyInjector, Depends
from .rate_limit import RateLimit

# Parallel executors (the seed's concurrency patterns).
from .executors import ExtraItemParams, GetItemFromIndexParams, execute_activities_in_parallel

# Called from workflow code (besides ``workflows.workflow.*``).
from .workflow import ParentClosePolicy, get_execution_id, record_event
from .sticky_sessions import StickyWorkerSession, get_sticky_worker_session, run_sticky_worker_session
from .interactive import InteractiveWorkflow
from .child_workflows import ChildWorkflowHandle
from .tasks import Task, task, task_from
from .offload import OffloadableField, OffloadableFieldException, OffloadableModel, PayloadBlobNotFoundError

# Running: start workflows, serve them.
from .client import Client, WorkflowHandle
from .client_messages import WorkflowUpdateHandle
from .embedded import configure, execute_workflow
from .worker import Worker
from .workers import get_registered_workflow_names, run_worker

# Checking changed code against recorded runs (before a deploy).
from .replayer import Replayer, WorkflowHistory, WorkflowReplayResult, WorkflowReplayResults, replay

# Describing workflows: their public description, discovery, schedules.
from . import models, schedules
from .definition import get_workflow_definition
from .discovery import discover_all_workflows_in_package
from .schedules import Schedule, ScheduleCalendar, ScheduleInterval, ScheduleOverlapPolicy, SchedulePolicy, ScheduleRange

# Errors.
from . import exceptions
from .exceptions import (
    ActivityError,
    ApplicationError,
    ChildWorkflowAlreadyStartedError,
    ChildWorkflowError,
    ContinueAsNewError,
    ErrorCode,
    FailureError,
    NonDeterminismError,
    NotInTemporalContextError,
    StaleWorkflowInstanceError,
    StickyWorkerSessionLostError,
    UnknownActivityTypeError,
    UnknownWorkflowTypeError,
    WorkflowAlreadyStartedError,
    WorkflowError,
    WorkflowFailureError,
    WorkflowNotFoundError,
    WorkflowQueryFailedError,
    WorkflowsException,
    WorkflowUpdateFailedError,
    WorkflowUpdateRejectedError,
)

# Payloads.
from . import converter

__all__ = [
    # defining
    "workflow",
    "activity",
    "RetryPolicy",
    "RateLimit",
    "Depends",
    "DependencyInjector",
    "ActivityContext",
    "ActivityInfo",
    "activity_heartbeat",
    "run_activities_locally",
    # parallel executors
    "execute_activities_in_parallel",
    "ExtraItemParams",
    "GetItemFromIndexParams",
    # in workflow code
    "record_event",
    "get_execution_id",
    "ParentClosePolicy",
    "StickyWorkerSession",
    "get_sticky_worker_session",
    "run_sticky_worker_session",
    "InteractiveWorkflow",
    "ChildWorkflowHandle",
    "task",
    "task_from",
    "Task",
    "OffloadableModel",
    "OffloadableField",
    "OffloadableFieldException",
    "PayloadBlobNotFoundError",
    # running
    "execute_workflow",
    "configure",
    "Client",
    "WorkflowHandle",
    "WorkflowUpdateHandle",
    "Worker",
    "run_worker",
    "get_registered_workflow_names",
    # replaying recorded runs
    "Replayer",
    "WorkflowHistory",
    "WorkflowReplayResult",
    "WorkflowReplayResults",
    "replay",
    # describing
    "get_workflow_definition",
    "discover_all_workflows_in_package",
    "models",
    "schedules",
    "Schedule",
    "ScheduleCalendar",
    "ScheduleInterval",
    "ScheduleOverlapPolicy",
    "SchedulePolicy",
    "ScheduleRange",
    # errors
    "exceptions",
    "WorkflowsException",
    "WorkflowError",
    "ErrorCode",
    "ApplicationError",
    "ActivityError",
    "ChildWorkflowError",
    "ChildWorkflowAlreadyStartedError",
    "StickyWorkerSessionLostError",
    "FailureError",
    "WorkflowFailureError",
    "NonDeterminismError",
    "StaleWorkflowInstanceError",
    "ContinueAsNewError",
    "NotInTemporalContextError",
    "UnknownActivityTypeError",
    "UnknownWorkflowTypeError",
    "WorkflowNotFoundError",
    "WorkflowAlreadyStartedError",
    "WorkflowQueryFailedError",
    "WorkflowUpdateRejectedError",
    "WorkflowUpdateFailedError",
    # payloads
    "converter",
]
