"""fanflow's Python SDK.

    import worker_sdk as workflows

    @workflows.activity()
    async def process_item(item: str) -> dict: ...

    @workflows.workflow.define(name="concurrency_workflow")
    class ConcurrencyWorkflow:
        @workflows.workflow.entrypoint
        async def run(self, params: Input) -> list[dict]: ...

``workflows.activity`` is the (callable) ``worker_sdk.activity`` module: calling it is the
decorator, ``workflows.activity.heartbeat()`` / ``.info()`` are the in-activity hooks.
``workflows.workflow`` is the ``worker_sdk.workflow`` module.
"""
from . import activity, converter, workflow
from .activity import ActivityContext, ActivityInfo, RetryPolicy
from .exceptions import (
    ActivityError,
    ApplicationError,
    ContinueAsNewError,
    FailureError,
    NonDeterminismError,
    StaleWorkflowInstanceError,
    UnknownActivityTypeError,
    UnknownWorkflowTypeError,
    WorkflowAlreadyStartedError,
    WorkflowFailureError,
    WorkflowNotFoundError,
)

__all__ = [
    "activity",
    "workflow",
    "converter",
    "RetryPolicy",
    "ActivityContext",
    "ActivityInfo",
    "ApplicationError",
    "ActivityError",
    "FailureError",
    "WorkflowFailureError",
    "NonDeterminismError",
    "StaleWorkflowInstanceError",
    "ContinueAsNewError",
    "UnknownActivityTypeError",
    "UnknownWorkflowTypeError",
    "WorkflowNotFoundError",
    "WorkflowAlreadyStartedError",
]

# --- Added by other modules (client / worker / executors), keep below this line: ---
from .client import Client, WorkflowHandle  # noqa: E402
from .embedded import configure, execute_workflow  # noqa: E402
from .worker import Worker  # noqa: E402

__all__ += ["Client", "WorkflowHandle", "Worker", "configure", "execute_workflow"]
from .executors import GetItemFromIndexParams, execute_activities_in_parallel  # noqa: E402

__all__ += ["execute_activities_in_parallel", "GetItemFromIndexParams"]
from .workflow import record_event  # noqa: E402

__all__ += ["record_event"]
# The seed's workflow-definition and worker API (sdk1):
from . import models, schedules  # noqa: E402
from .definition import get_workflow_definition  # noqa: E402
from .discovery import discover_all_workflows_in_package  # noqa: E402
from .schedules import Schedule, ScheduleCalendar, ScheduleInterval, ScheduleOverlapPolicy, SchedulePolicy, ScheduleRange  # noqa: E402
from .workers import get_registered_workflow_names, run_worker  # noqa: E402
from .workflow import ChildWorkflowsNotSupportedError, ParentClosePolicy, get_execution_id  # noqa: E402

__all__ += [
    "models",
    "schedules",
    "get_workflow_definition",
    "discover_all_workflows_in_package",
    "get_registered_workflow_names",
    "run_worker",
    "get_execution_id",
    "ParentClosePolicy",
    "ChildWorkflowsNotSupportedError",
    "Schedule",
    "ScheduleCalendar",
    "ScheduleInterval",
    "ScheduleOverlapPolicy",
    "SchedulePolicy",
    "ScheduleRange",
]

# --- The seed's activity-side names (activity options, Depends, heartbeat, local
# activities, errors): ---
from . import dependencies, exceptions  # noqa: E402,F401  (modules the seed exposes)
from .activity import activity_heartbeat, run_activities_locally  # noqa: E402
from .dependencies import DependencyInjector, Depends  # noqa: E402
from .exceptions import ErrorCode, NotInTemporalContextError, WorkflowError, WorkflowsException  # noqa: E402
from .rate_limit import RateLimit  # noqa: E402

__all__ += [
    "exceptions",
    "activity_heartbeat",
    "run_activities_locally",
    "Depends",
    "DependencyInjector",
    "RateLimit",
    "WorkflowError",
    "WorkflowsException",
    "ErrorCode",
    "NotInTemporalContextError",
]
