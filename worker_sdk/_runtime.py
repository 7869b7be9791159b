"""The deterministic workflow runtime: the private event loop (``_loop``) and
``WorkflowInstance`` (``_instance``). Import from here."""
from ._instance import WorkflowInstance, command_type_name, describe_command, describe_event, event_type_name
from ._loop import WorkflowEventLoop, WorkflowLoopError, current_instance, current_loop

__all__ = [
    "WorkflowInstance",
    "WorkflowEventLoop",
    "WorkflowLoopError",
    "current_instance",
    "current_loop",
    "describe_command",
    "describe_event",
    "event_type_name",
    "command_type_name",
]
