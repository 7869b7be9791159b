"""Exceptions of the fanflow SDK.

Two families:

* ``FailureError`` and its subclasses (``ApplicationError``, ``ActivityError``,
  ``WorkflowFailureError``) describe a *failure that crosses the wire* as a
  ``common_pb2.Failure``. Raised out of a workflow's entrypoint they fail the
  workflow (FailWorkflowExecution); raised out of an activity they fail the
  attempt (``non_retryable`` stops the retries).
* Everything else raised out of workflow code (``NameError``, ``KeyError``,
  ``NonDeterminismError``, a pydantic ``ValidationError`` on an activity result, ...)
  is treated as a bug: ``WorkflowInstance.activate`` re-raises it, the worker fails the
  *workflow task*, and the task is retried (after a fix is deployed it succeeds).
  This mirrors Temporal's Python SDK.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from protos import common_pb2


class FanflowSDKError(Exception):
    """Base class of every exception the SDK defines (except ``ContinueAsNewError``)."""


class FailureError(FanflowSDKError):
    """An error that is (or came from) a ``common_pb2.Failure``.

    ``failure`` is the proto when the error was built from one (else ``None``;
    ``converter.failure_from_exception`` builds it on demand).
    """

    def __init__(self, message: str, *, failure: "common_pb2.Failure | None" = None):
        super().__init__(message)
        self.message = message
        self.failure = failure


class ApplicationError(FailureError):
    """A user-raised failure with an explicit ``type`` and retry behaviour.

    ``type`` defaults to ``None`` (the failure's type is then ``"ApplicationError"``); it is
    what ``RetryPolicy.non_retryable_error_types`` is matched against. ``non_retryable=True``
    stops an activity's retries regardless of the policy.
    """

    def __init__(
        self,
        message: str,
        type: str | None = None,
        non_retryable: bool = False,
        *,
        details: Any = None,
        failure: "common_pb2.Failure | None" = None,
    ):
        super().__init__(message, failure=failure)
        self.type = type
        self.non_retryable = non_retryable
        self.details = details

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"ApplicationError({self.message!r}, type={self.type!r}, non_retryable={self.non_retryable})"


class ActivityError(FailureError):
    """Raised inside a workflow when an activity finally failed (retries exhausted,
    non-retryable failure, or timed out).

    ``failure`` is the activity's ``Failure`` from history, ``cause`` the exception rebuilt
    from it (an ``ApplicationError`` whose ``type`` is e.g. ``"ValueError"``).
    """

    def __init__(
        self,
        message: str,
        *,
        failure: "common_pb2.Failure | None",
        activity_type: str,
        activity_id: str,
        scheduled_event_id: int = 0,
        retry_state: int = 0,
        timeout_type: int = 0,
        cause: BaseException | None = None,
    ):
        super().__init__(message, failure=failure)
        self.activity_type = activity_type
        self.activity_id = activity_id
        self.scheduled_event_id = scheduled_event_id
        self.retry_state = retry_state
        self.timeout_type = timeout_type
        self.cause = cause
        if cause is not None:
            self.__cause__ = cause


class WorkflowFailureError(FailureError):
    """Client side: the workflow run failed. The message includes the cause chain;
    ``cause`` is the rebuilt exception, ``failure`` the proto.

    ``WorkflowFailureError(failure, workflow_id=..., run_id=...)`` builds the message;
    ``WorkflowFailureError("message", failure=failure)`` uses the given one.
    """

    def __init__(
        self,
        failure_or_message: "common_pb2.Failure | str | None" = None,
        /,
        *,
        failure: "common_pb2.Failure | None" = None,
        workflow_id: str | None = None,
        run_id: str | None = None,
        message: str | None = None,
    ):
        from protos import common_pb2

        from .converter import describe_failure, exception_from_failure

        if isinstance(failure_or_message, str):  # WorkflowFailureError("message", failure=...)
            message = failure_or_message
        elif failure_or_message is not None:
            if failure is not None:
                raise TypeError("failure given twice")
            failure = failure_or_message
        if failure is None:
            failure = common_pb2.Failure(message=message or "workflow failed")
        if message is None:
            who = f"Workflow {workflow_id!r}" if workflow_id else "Workflow"
            if run_id:
                who += f" (run {run_id})"
            message = f"{who} failed: {describe_failure(failure)}"
        super().__init__(message, failure=failure)
        self.workflow_id = workflow_id
        self.run_id = run_id
        self.cause = exception_from_failure(failure)
        self.__cause__ = self.cause


class NonDeterminismError(FanflowSDKError):
    """Replaying history produced different commands than the ones history recorded.

    Raised by ``WorkflowInstance.activate``; the worker fails the workflow task with
    cause ``WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR``.
    """


class StaleWorkflowInstanceError(FanflowSDKError):
    """A cached ``WorkflowInstance`` cannot continue with the events it was given
    (a gap in event ids, or the workflow task it last ran was failed / timed out by
    history, or an earlier ``activate`` raised). Discard the instance and replay the
    full history into a fresh one."""


class UnknownWorkflowTypeError(FanflowSDKError, LookupError):
    """No workflow is registered under that name (worker: fail the task with cause
    ``WORKFLOW_TASK_FAILED_CAUSE_UNKNOWN_WORKFLOW_TYPE``)."""


class UnknownActivityTypeError(FanflowSDKError, LookupError):
    """No activity is registered under that name."""


class WorkflowNotFoundError(FanflowSDKError):
    """Client side: no such workflow execution."""


class WorkflowAlreadyStartedError(FanflowSDKError):
    """Client side: a run with that workflow id is already running."""


class ContinueAsNewError(BaseException):
    """Internal signal raised by ``workflow.continue_as_new``.

    A ``BaseException`` (like Temporal's) so that a user's ``except Exception`` does not
    swallow it; the runtime turns it into a ContinueAsNewWorkflowExecution command.
    """

    def __init__(self, input: "common_pb2.Payload", *, workflow_type: str, task_queue: str):
        super().__init__(f"continue as new {workflow_type!r}")
        self.input = input
        self.workflow_type = workflow_type
        self.task_queue = task_queue
