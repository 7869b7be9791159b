"""Updates on the worker: the check before history accepts one, and its handler in the run.

Before: a query task of kind ``QUERY_KIND_UPDATE_VALIDATION`` (``queries.py``) asks whether
the update's name is a handler of the workflow, whether its input decodes against the
handler's parameters, and whether its validator (``@my_update.validator``) lets it through;
the validator runs read-only on the run's state, like a query. A refusal is recorded nowhere.

After: history wrote WorkflowExecutionUpdateAccepted; applying that event (on every replay,
at the same place in history) starts the handler as a task of the workflow, like an async
signal handler: it may run activities and timers. When it returns, a CompleteWorkflowUpdate
command carries its result; when it raises a ``FailureError`` (``ApplicationError``,
``ActivityError``, ...) or any other ``Exception``, the command carries the failure and the
workflow goes on (the caller gets ``WorkflowUpdateFailedError``). A non-determinism or a
forbidden event-loop call inside the handler is a bug of the workflow: it fails the workflow
task, as elsewhere.
"""
from __future__ import annotations

import asyncio
import inspect
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from protos import common_pb2, workflow_service_pb2 as ws

from . import converter
from ._loop import WorkflowLoopError
from .exceptions import ContinueAsNewError, NonDeterminismError
from .queries import QueryRefused, ReadOnlyViolation, decode_handler_input, instance_for

if TYPE_CHECKING:  # pragma: no cover
    from ._instance import WorkflowInstance
    from .workflow import WorkflowDefinition
    from .workflow_worker import WorkflowWorker

CT = common_pb2.CommandType
# A validator raising one of these says the input is wrong (INVALID_ARGUMENT); anything else is
# the workflow refusing it in its current state (FAILED_PRECONDITION).
_INPUT_ERRORS = (ValueError, TypeError, ValidationError)
# Bugs of the workflow's code, not outcomes of the update: they fail the workflow task.
_BUGS = (NonDeterminismError, WorkflowLoopError, ContinueAsNewError)


# ------------------------------------------------------------------ before: validation


async def validate_update(
    workflow_worker: "WorkflowWorker", task: ws.PollWorkflowTaskQueueResponse, definition: "WorkflowDefinition", name: str, payload: common_pb2.Payload | None
) -> None:
    """Returns when the update may be accepted, else raises ``QueryRefused``."""
    spec = definition.updates.get(name)
    if spec is None:
        known = ", ".join(repr(n) for n in sorted(definition.updates)) or "none"
        raise QueryRefused("UnknownUpdate", f"workflow {definition.name!r} has no update handler named {name!r}; its updates: {known}")
    args, kwargs = decode_handler_input(spec, payload)
    if spec.validator is None:
        return
    instance, throwaway = await instance_for(workflow_worker, task, definition)
    what = f"validator {spec.validator.__name__!r} of update {name!r}"
    try:
        with instance.read_only_section(what):
            spec.validator(instance.workflow_object, *args, **kwargs)
    except ReadOnlyViolation as exc:
        raise QueryRefused("ReadOnlyViolation", str(exc)) from None
    except _INPUT_ERRORS as exc:
        detail = converter.describe_validation_error(exc) if isinstance(exc, ValidationError) else str(exc)
        raise QueryRefused("InvalidArgument", f"rejected by its {what}: {detail}") from None
    except Exception as exc:  # noqa: BLE001 - the validator's refusal is the answer
        raise QueryRefused("ValidatorRejected", f"rejected by its {what}: {type(exc).__name__}: {exc}") from None
    finally:
        if throwaway:
            instance.close()


# ------------------------------------------------------------------ after: the handler in the run


def start_update_handler(instance: "WorkflowInstance", update_id: str, name: str, payload: common_pb2.Payload) -> None:
    """WorkflowExecutionUpdateAccepted was applied: run the handler as a task of the workflow."""
    if instance.is_completed:
        return  # the run produced its close first; history records the update as abandoned
    spec = instance.definition.updates.get(name)
    if spec is None or instance.workflow_object is None:
        known = ", ".join(sorted(instance.definition.updates)) or "none"
        failure = common_pb2.Failure(message=f"workflow {instance.definition.name!r} has no update handler {name!r} (its updates: {known})", type="UnknownUpdate", source="workflow")
        instance.complete_update(complete_command(update_id, failure=failure))
        return
    try:
        args, kwargs = decode_handler_input(spec, payload)
    except QueryRefused as exc:  # validated before it was accepted: the code changed since
        instance.complete_update(complete_command(update_id, failure=common_pb2.Failure(message=exc.message, type=exc.kind, source="workflow")))
        return
    handler = getattr(instance.workflow_object, spec.method_name)
    instance._loop.create_task(_run_handler(instance, update_id, handler, args, kwargs), name=f"update:{name}:{update_id}")


async def _run_handler(instance: "WorkflowInstance", update_id: str, handler: Any, args: list[Any], kwargs: dict[str, Any]) -> None:
    try:
        result = handler(*args, **kwargs)
        if inspect.isawaitable(result):
            result = await result
        command = complete_command(update_id, result=converter.to_payload(result))
    except _BUGS as exc:
        instance.record_handler_error(exc)
        return
    except asyncio.CancelledError:
        command = complete_command(update_id, failure=common_pb2.Failure(message=f"update {update_id!r} was cancelled", type="CancelledError", source="workflow"))
    except Exception as exc:  # noqa: BLE001 - the update's failure, reported to its caller
        command = complete_command(update_id, failure=converter.failure_from_exception(exc, source="workflow"))
    instance.complete_update(command)


def complete_command(update_id: str, *, result: common_pb2.Payload | None = None, failure: common_pb2.Failure | None = None) -> common_pb2.Command:
    return common_pb2.Command(
        command_type=CT.COMMAND_TYPE_COMPLETE_WORKFLOW_UPDATE,
        complete_workflow_update=common_pb2.CompleteWorkflowUpdateCommandAttributes(update_id=update_id, result=result, failure=failure),
    )
