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

The seed system's names (``mistralai.workflows.exceptions``) live here too:

* ``WorkflowError(message, *details, type=None, non_retryable=False, next_retry_delay=None)`` —
  an ``ApplicationError``: raised in an activity it fails the attempt (``non_retryable=True``
  stops the retries); raised in workflow code it fails the workflow with its message and type
  (the failure's type is ``type`` or ``"WorkflowError"``), which the client's
  ``WorkflowFailureError`` carries (``.cause`` is the rebuilt ``ApplicationError``).
* ``WorkflowsException(message, status=500, code=ErrorCode..., type=...)`` with ``ErrorCode``: the
  seed's structured error. Raised in an activity it is an ordinary (retryable) failure (type: the
  class name) whose details carry ``code``/``status``/``type``; the client's
  ``WorkflowFailureError`` is itself a ``WorkflowsException`` whose ``code``/``status`` are those of
  the ``WorkflowsException`` that caused the failure (else ``EXECUTION_ERROR`` / 500), so the seed's
  ``except WorkflowsException as e: e.code`` around ``execute_workflow`` works.
* ``ActivityError`` (fanflow's own, above; the seed re-exports Temporal's) and
  ``NotInTemporalContextError`` (raised by fanflow's in-workflow / in-activity helpers that need
  a running workflow or activity).
"""
from __future__ import annotations

import datetime
import enum
from http import HTTPStatus
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


class StickyWorkerSessionLostError(ActivityError):
    """An activity of a sticky worker session was not started by the session's worker in time:
    that worker is gone (stopped or crashed) or kept all its activity slots busy that long.

    Raised in the workflow where the activity was awaited, after the activity's
    ``schedule_to_start_timeout`` (for sticky activities 30 s unless set:
    ``worker_sdk.sticky_sessions.SESSION_SCHEDULE_TO_START_TIMEOUT``); history's failure says the
    same (type ``StickyWorkerSessionLost``). It is an ``ActivityError``: catch it, open a new
    session (``await get_sticky_worker_session()``, bound to a live worker) and go on.
    ``task_queue`` is the lost session's queue."""

    def __init__(self, message: str, *, task_queue: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.task_queue = task_queue


class ErrorCode(str, enum.Enum):
    """The seed's structured error codes (``WorkflowsException.code``); the values are the
    seed's strings."""

    EXECUTION_ERROR = "execution_error"
    TEMPORAL_ERROR = "temporal_error"
    TEMPORAL_SERVICE_ERROR = "temporal_service_error"
    TEMPORAL_CONNECTION_ERROR = "temporal_connection_error"
    ACTIVITY_DEFINITION_ERROR = "activity_definition_error"
    ACTIVITY_NOT_FOUND_ERROR = "activity_not_found_error"
    INVALID_ARGUMENTS_ERROR = "invalid_arguments_error"
    ACTIVITY_NOT_MODULE_LEVEL = "activity_not_module_level"
    ACTIVITY_RESERVED_NAME = "activity_reserved_name"
    TOOL_ARGUMENT_ERROR = "tool_argument_error"
    RATE_LIMIT_ERROR = "rate_limit_error"
    STICKY_WORKER_SESSION_MISSING = "sticky_worker_session_missing"
    WORKFLOW_DEFINITION_ERROR = "workflow_definition_error"
    WORKFLOW_DESCRIPTION_ERROR = "workflow_description_error"
    WORKFLOW_ALREADY_STARTED = "workflow_already_started"
    WORKFLOW_NOT_FOUND = "workflow_not_found"
    INVALID_PARAMS_ERROR = "invalid_params_error"
    WORKFLOW_TIMEOUT_ERROR = "workflow_timeout_error"
    WORKFLOW_SIGNAL_DEFINITION_ERROR = "workflow_signal_definition_error"
    WORKFLOW_UPDATE_DEFINITION_ERROR = "workflow_update_definition_error"
    WORKFLOW_QUERY_ERROR = "workflow_query_error"
    WORKER_REGISTRATION_ERROR = "worker_registration_error"
    WORKER_RUNTIME_CONFIG_ERROR = "worker_runtime_config_error"
    AGENT_EXECUTION_ERROR = "agent_execution_error"
    IN_MEMORY_CACHE_ERROR = "in_memory_cache_error"
    REJECTED_QUERY_ERROR = "rejected_query_error"
    UNSERIALIZABLE_PAYLOAD_ERROR = "unserializable_payload_error"
    BLOB_STORAGE_CONFIG_ERROR = "blob_storage_config_error"
    INPUT_SIZE_EXCEEDED_ERROR = "input_size_exceeded_error"

    def __str__(self) -> str:
        return self.value


_TRANSIENT_STATUSES = frozenset({HTTPStatus.BAD_GATEWAY, HTTPStatus.GATEWAY_TIMEOUT, HTTPStatus.SERVICE_UNAVAILABLE})


class WorkflowsException(Exception):
    """The seed's structured error: a message with an HTTP ``status``, an ``ErrorCode`` and a
    ``type`` string. ``str()`` gives ``"type: message (code ..., HTTP status ...)"``;
    ``.message`` the bare message."""

    def __init__(
        self,
        message: str,
        status: HTTPStatus | int = HTTPStatus.INTERNAL_SERVER_ERROR,
        code: "ErrorCode | str" = ErrorCode.EXECUTION_ERROR,
        type: str = "invalid_request_error",
        logging_message: str | None = None,
        logging_properties: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = _http_status(status)
        self.code = _error_code(code)
        self.type = type
        self.logging_message = logging_message
        self.logging_properties = logging_properties or {}

    def is_transient(self) -> bool:
        """True for statuses that usually pass (502, 503, 504)."""
        return self.status in _TRANSIENT_STATUSES

    def is_terminal(self) -> bool:
        return self.status == HTTPStatus.UNAUTHORIZED

    def asdict(self) -> dict[str, str]:
        return {"object": "Error", "message": self.message, "type": self.type, "code": str(self.code)}

    def __str__(self) -> str:
        return f"{self.type}: {self.message} (code {self.code}, HTTP status {int(self.status)})"


def _http_status(value: Any) -> HTTPStatus:
    try:
        return HTTPStatus(int(value))
    except (TypeError, ValueError):
        return HTTPStatus.INTERNAL_SERVER_ERROR


def _error_code(value: Any) -> "ErrorCode | str":
    try:
        return ErrorCode(value)
    except ValueError:
        return str(value)  # a code this SDK does not know: kept as given


class WorkflowError(ApplicationError):
    """The seed's workflow error (there a subclass of Temporal's ``ApplicationError``; here of
    fanflow's). ``details`` are kept as a tuple (sent as a JSON list). ``next_retry_delay`` and
    ``category`` are accepted and kept on the exception, but history's retry policy decides the
    delay before the next attempt (not yet overridable per failure)."""

    def __init__(
        self,
        message: str,
        *details: Any,
        type: str | None = None,
        non_retryable: bool = False,
        next_retry_delay: datetime.timedelta | None = None,
        category: Any = None,
    ) -> None:
        if next_retry_delay is not None and not isinstance(next_retry_delay, datetime.timedelta):
            raise TypeError(f"next_retry_delay must be a datetime.timedelta, not {next_retry_delay.__class__.__name__}")
        super().__init__(message, type=type, non_retryable=non_retryable, details=tuple(details) if details else None)
        self.next_retry_delay = next_retry_delay
        self.category = category

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.message!r}, type={self.type!r}, non_retryable={self.non_retryable})"


class NotInTemporalContextError(WorkflowError, RuntimeError):
    """Code that needs a running workflow or activity was called outside both (the seed's
    name, kept so seed programs that catch it still do; also a ``RuntimeError``, what
    fanflow's in-workflow functions raise outside a workflow)."""

    def __init__(self, message: str = "Not in a workflow or activity context: this function must be called from within a workflow or activity.") -> None:
        super().__init__(message)


class DependencyError(ApplicationError):
    """A ``Depends(provider)`` of an activity could not be provided (the provider raised).
    Fails the activity attempt (retried as the activity's policy says); the message names the
    activity, the parameter and the provider."""

    def __init__(self, message: str, *, activity: str, parameter: str, provider: str) -> None:
        super().__init__(message, type="DependencyError")
        self.activity = activity
        self.parameter = parameter
        self.provider = provider


class WorkflowFailureError(FailureError, WorkflowsException):
    """Client side: the workflow run failed. The message includes the cause chain;
    ``cause`` is the rebuilt exception, ``failure`` the proto. It is also a seed
    ``WorkflowsException``: ``code`` / ``status`` are those of the ``WorkflowsException`` that
    caused the failure when one did, else ``ErrorCode.EXECUTION_ERROR`` / 500.

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
        seed = _seed_exception_fields(failure)
        if seed is not None:
            self.code = _error_code(seed.get("code", ErrorCode.EXECUTION_ERROR))
            self.status = _http_status(seed.get("status", HTTPStatus.INTERNAL_SERVER_ERROR))
            self.type = str(seed.get("type", self.type))

    def __str__(self) -> str:
        return self.message


def _seed_exception_fields(failure: "common_pb2.Failure") -> dict[str, Any] | None:
    """The ``code``/``status``/``type`` a ``WorkflowsException`` left in the details of a failure
    of its chain (the first one found), else ``None``."""
    from .converter import from_payload

    f = failure
    for _ in range(20):
        if f.HasField("details") and f.details.data:
            try:
                details = from_payload(f.details)
            except Exception:
                details = None
            if isinstance(details, dict) and isinstance(details.get("workflows_exception"), dict):
                return details["workflows_exception"]
        if not f.HasField("cause"):
            return None
        f = f.cause
    return None


class NonDeterminismError(FanflowSDKError):
    """Replaying history produced different commands than the ones history recorded.

    Raised by ``WorkflowInstance.activate``; the worker fails the workflow task with
    cause ``WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR``. Besides the message:
    ``event_id`` (the history event where code and history part ways), ``recorded`` (what
    history has there, ``None``: nothing), ``produced`` (the command the code produced there,
    ``None``: none) and ``patch_id`` (when a ``workflow.patched`` marker is involved).
    """

    def __init__(
        self,
        message: str,
        *,
        event_id: int | None = None,
        recorded: str | None = None,
        produced: str | None = None,
        patch_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.event_id = event_id
        self.recorded = recorded
        self.produced = produced
        self.patch_id = patch_id


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


# ---------------------------------------------------------------- queries, updates and human input

# gRPC status name -> the seed's HTTP status for these client errors.
_HTTP_OF_GRPC = {
    "INVALID_ARGUMENT": HTTPStatus.UNPROCESSABLE_ENTITY,  # the seed's 422 for input that does not validate
    "FAILED_PRECONDITION": HTTPStatus.CONFLICT,
    "NOT_FOUND": HTTPStatus.NOT_FOUND,
    "UNAVAILABLE": HTTPStatus.SERVICE_UNAVAILABLE,
    "DEADLINE_EXCEEDED": HTTPStatus.GATEWAY_TIMEOUT,
}


class _MessageRefused(FanflowSDKError, WorkflowsException):
    """A query or update the cluster did not carry out: ``grpc_code`` is the status
    (``grpc.StatusCode``) and names whose fault it is; ``status`` / ``code`` are the seed's."""

    _error_code = ErrorCode.EXECUTION_ERROR

    def __init__(self, message: str, grpc_code: Any = None) -> None:
        name = getattr(grpc_code, "name", str(grpc_code))
        WorkflowsException.__init__(self, message, status=_HTTP_OF_GRPC.get(name, HTTPStatus.INTERNAL_SERVER_ERROR), code=self._error_code)
        self.grpc_code = grpc_code

    def __str__(self) -> str:
        return self.message


class WorkflowQueryFailedError(_MessageRefused):
    """Client side: a query got no answer. ``grpc_code``: INVALID_ARGUMENT (unknown query name,
    input that does not fit the handler), FAILED_PRECONDITION (the handler raised or tried to
    change the run, no state to query yet), UNAVAILABLE (no worker polls the run's task
    queue) or DEADLINE_EXCEEDED (no worker answered in time)."""

    _error_code = ErrorCode.REJECTED_QUERY_ERROR


class WorkflowUpdateRejectedError(_MessageRefused):
    """Client side: an update was not accepted, and nothing was recorded. ``grpc_code``:
    INVALID_ARGUMENT (unknown update name, input that does not fit the handler, a validator
    that refused the input), FAILED_PRECONDITION (the validator refused in the workflow's
    state, the workflow is closed), UNAVAILABLE / DEADLINE_EXCEEDED (no worker could check
    it in time)."""

    _error_code = ErrorCode.INVALID_ARGUMENTS_ERROR


class WorkflowUpdateFailedError(FailureError):
    """Client side: an accepted update's handler raised (or the run closed before it
    finished). ``failure`` is the proto, ``cause`` the exception rebuilt from it."""

    def __init__(self, message: str, *, failure: "common_pb2.Failure", update_id: str = "") -> None:
        from .converter import exception_from_failure

        super().__init__(message, failure=failure)
        self.update_id = update_id
        self.cause = exception_from_failure(failure)
        self.__cause__ = self.cause

    def __str__(self) -> str:
        return self.message
# Child workflows (worker_sdk/child_workflows.py).


class ChildWorkflowError(FailureError):
    """A child workflow did not complete: it failed, timed out, was cancelled or terminated (or
    could not start). fanflow's counterpart of Temporal's ``ChildWorkflowError``, which the seed
    raises: the same attributes (``namespace``, ``workflow_id``, ``run_id``, ``workflow_type``,
    ``initiated_event_id``, ``started_event_id``, ``retry_state``) and ``cause``, the child's
    own failure rebuilt (an ``ApplicationError`` whose ``type`` is e.g. ``"ValueError"``,
    ``"CancelledError"``, ``"Terminated"`` or ``"TimeoutError"``; also ``__cause__``).
    Uncaught in the parent it fails the parent, with the child's failure as the cause."""

    def __init__(
        self,
        message: str,
        *,
        failure: "common_pb2.Failure | None" = None,
        namespace: str = "",
        workflow_id: str = "",
        run_id: str = "",
        workflow_type: str = "",
        initiated_event_id: int = 0,
        started_event_id: int = 0,
        retry_state: int = 0,
        cause: BaseException | None = None,
    ) -> None:
        super().__init__(message, failure=failure)
        self.namespace = namespace
        self.workflow_id = workflow_id
        self.run_id = run_id
        self.workflow_type = workflow_type
        self.initiated_event_id = initiated_event_id
        self.started_event_id = started_event_id
        self.retry_state = retry_state
        self.cause = cause
        if cause is not None:
            self.__cause__ = cause


class ChildWorkflowAlreadyStartedError(ChildWorkflowError, WorkflowAlreadyStartedError):
    """The child could not start: a workflow with its id is already running
    (StartChildWorkflowExecutionFailed, cause WORKFLOW_ALREADY_EXISTS)."""


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
