import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TaskQueueKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TASK_QUEUE_KIND_UNSPECIFIED: _ClassVar[TaskQueueKind]
    TASK_QUEUE_KIND_NORMAL: _ClassVar[TaskQueueKind]
    TASK_QUEUE_KIND_STICKY: _ClassVar[TaskQueueKind]

class TaskType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TASK_TYPE_UNSPECIFIED: _ClassVar[TaskType]
    TASK_TYPE_WORKFLOW: _ClassVar[TaskType]
    TASK_TYPE_ACTIVITY: _ClassVar[TaskType]

class WorkflowExecutionStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WORKFLOW_EXECUTION_STATUS_UNSPECIFIED: _ClassVar[WorkflowExecutionStatus]
    WORKFLOW_EXECUTION_STATUS_RUNNING: _ClassVar[WorkflowExecutionStatus]
    WORKFLOW_EXECUTION_STATUS_COMPLETED: _ClassVar[WorkflowExecutionStatus]
    WORKFLOW_EXECUTION_STATUS_FAILED: _ClassVar[WorkflowExecutionStatus]
    WORKFLOW_EXECUTION_STATUS_TERMINATED: _ClassVar[WorkflowExecutionStatus]
    WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW: _ClassVar[WorkflowExecutionStatus]
    WORKFLOW_EXECUTION_STATUS_TIMED_OUT: _ClassVar[WorkflowExecutionStatus]
    WORKFLOW_EXECUTION_STATUS_CANCELED: _ClassVar[WorkflowExecutionStatus]

class TimeoutType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TIMEOUT_TYPE_UNSPECIFIED: _ClassVar[TimeoutType]
    TIMEOUT_TYPE_START_TO_CLOSE: _ClassVar[TimeoutType]
    TIMEOUT_TYPE_SCHEDULE_TO_START: _ClassVar[TimeoutType]
    TIMEOUT_TYPE_SCHEDULE_TO_CLOSE: _ClassVar[TimeoutType]
    TIMEOUT_TYPE_HEARTBEAT: _ClassVar[TimeoutType]

class RetryState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RETRY_STATE_UNSPECIFIED: _ClassVar[RetryState]
    RETRY_STATE_IN_PROGRESS: _ClassVar[RetryState]
    RETRY_STATE_NON_RETRYABLE_FAILURE: _ClassVar[RetryState]
    RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED: _ClassVar[RetryState]
    RETRY_STATE_TIMEOUT: _ClassVar[RetryState]
    RETRY_STATE_RETRY_POLICY_NOT_SET: _ClassVar[RetryState]

class WorkflowTaskFailedCause(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WORKFLOW_TASK_FAILED_CAUSE_UNSPECIFIED: _ClassVar[WorkflowTaskFailedCause]
    WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE: _ClassVar[WorkflowTaskFailedCause]
    WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR: _ClassVar[WorkflowTaskFailedCause]
    WORKFLOW_TASK_FAILED_CAUSE_UNKNOWN_WORKFLOW_TYPE: _ClassVar[WorkflowTaskFailedCause]
    WORKFLOW_TASK_FAILED_CAUSE_BAD_COMMAND: _ClassVar[WorkflowTaskFailedCause]
    WORKFLOW_TASK_FAILED_CAUSE_RESET_STICKY_TASK_QUEUE: _ClassVar[WorkflowTaskFailedCause]
    WORKFLOW_TASK_FAILED_CAUSE_PENDING_ACTIVITIES_LIMIT_EXCEEDED: _ClassVar[WorkflowTaskFailedCause]
    WORKFLOW_TASK_FAILED_CAUSE_PAYLOAD_TOO_LARGE: _ClassVar[WorkflowTaskFailedCause]

class EventType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EVENT_TYPE_UNSPECIFIED: _ClassVar[EventType]
    EVENT_TYPE_WORKFLOW_EXECUTION_STARTED: _ClassVar[EventType]
    EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED: _ClassVar[EventType]
    EVENT_TYPE_WORKFLOW_EXECUTION_FAILED: _ClassVar[EventType]
    EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT: _ClassVar[EventType]
    EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED: _ClassVar[EventType]
    EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW: _ClassVar[EventType]
    EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: _ClassVar[EventType]
    EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED: _ClassVar[EventType]
    EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED: _ClassVar[EventType]
    EVENT_TYPE_WORKFLOW_TASK_SCHEDULED: _ClassVar[EventType]
    EVENT_TYPE_WORKFLOW_TASK_STARTED: _ClassVar[EventType]
    EVENT_TYPE_WORKFLOW_TASK_COMPLETED: _ClassVar[EventType]
    EVENT_TYPE_WORKFLOW_TASK_FAILED: _ClassVar[EventType]
    EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT: _ClassVar[EventType]
    EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: _ClassVar[EventType]
    EVENT_TYPE_ACTIVITY_TASK_STARTED: _ClassVar[EventType]
    EVENT_TYPE_ACTIVITY_TASK_COMPLETED: _ClassVar[EventType]
    EVENT_TYPE_ACTIVITY_TASK_FAILED: _ClassVar[EventType]
    EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT: _ClassVar[EventType]
    EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED: _ClassVar[EventType]
    EVENT_TYPE_ACTIVITY_TASK_CANCELED: _ClassVar[EventType]
    EVENT_TYPE_TIMER_STARTED: _ClassVar[EventType]
    EVENT_TYPE_TIMER_FIRED: _ClassVar[EventType]
    EVENT_TYPE_TIMER_CANCELED: _ClassVar[EventType]
    EVENT_TYPE_MARKER_RECORDED: _ClassVar[EventType]
    EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED: _ClassVar[EventType]
    EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED: _ClassVar[EventType]
    EVENT_TYPE_SEARCH_KEYS_UPSERTED: _ClassVar[EventType]
    EVENT_TYPE_SEARCH_KEYS_DELETED: _ClassVar[EventType]
    EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED: _ClassVar[EventType]
    EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED: _ClassVar[EventType]
    EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED: _ClassVar[EventType]
    EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED: _ClassVar[EventType]
    EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED: _ClassVar[EventType]
    EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED: _ClassVar[EventType]
    EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT: _ClassVar[EventType]
    EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED: _ClassVar[EventType]
    EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED: _ClassVar[EventType]
    EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED: _ClassVar[EventType]

class CommandType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COMMAND_TYPE_UNSPECIFIED: _ClassVar[CommandType]
    COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK: _ClassVar[CommandType]
    COMMAND_TYPE_START_TIMER: _ClassVar[CommandType]
    COMMAND_TYPE_CANCEL_TIMER: _ClassVar[CommandType]
    COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION: _ClassVar[CommandType]
    COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION: _ClassVar[CommandType]
    COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION: _ClassVar[CommandType]
    COMMAND_TYPE_RECORD_MARKER: _ClassVar[CommandType]
    COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK: _ClassVar[CommandType]
    COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION: _ClassVar[CommandType]
    COMMAND_TYPE_COMPLETE_WORKFLOW_UPDATE: _ClassVar[CommandType]
    COMMAND_TYPE_UPSERT_SEARCH_KEYS: _ClassVar[CommandType]
    COMMAND_TYPE_DELETE_SEARCH_KEYS: _ClassVar[CommandType]
    COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION: _ClassVar[CommandType]
    COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION: _ClassVar[CommandType]

class QueryKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    QUERY_KIND_UNSPECIFIED: _ClassVar[QueryKind]
    QUERY_KIND_QUERY: _ClassVar[QueryKind]
    QUERY_KIND_UPDATE_VALIDATION: _ClassVar[QueryKind]

class ParentClosePolicy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PARENT_CLOSE_POLICY_UNSPECIFIED: _ClassVar[ParentClosePolicy]
    PARENT_CLOSE_POLICY_TERMINATE: _ClassVar[ParentClosePolicy]
    PARENT_CLOSE_POLICY_ABANDON: _ClassVar[ParentClosePolicy]
    PARENT_CLOSE_POLICY_REQUEST_CANCEL: _ClassVar[ParentClosePolicy]

class StartChildWorkflowExecutionFailedCause(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_UNSPECIFIED: _ClassVar[StartChildWorkflowExecutionFailedCause]
    START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS: _ClassVar[StartChildWorkflowExecutionFailedCause]
    START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_INVALID_REQUEST: _ClassVar[StartChildWorkflowExecutionFailedCause]
TASK_QUEUE_KIND_UNSPECIFIED: TaskQueueKind
TASK_QUEUE_KIND_NORMAL: TaskQueueKind
TASK_QUEUE_KIND_STICKY: TaskQueueKind
TASK_TYPE_UNSPECIFIED: TaskType
TASK_TYPE_WORKFLOW: TaskType
TASK_TYPE_ACTIVITY: TaskType
WORKFLOW_EXECUTION_STATUS_UNSPECIFIED: WorkflowExecutionStatus
WORKFLOW_EXECUTION_STATUS_RUNNING: WorkflowExecutionStatus
WORKFLOW_EXECUTION_STATUS_COMPLETED: WorkflowExecutionStatus
WORKFLOW_EXECUTION_STATUS_FAILED: WorkflowExecutionStatus
WORKFLOW_EXECUTION_STATUS_TERMINATED: WorkflowExecutionStatus
WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW: WorkflowExecutionStatus
WORKFLOW_EXECUTION_STATUS_TIMED_OUT: WorkflowExecutionStatus
WORKFLOW_EXECUTION_STATUS_CANCELED: WorkflowExecutionStatus
TIMEOUT_TYPE_UNSPECIFIED: TimeoutType
TIMEOUT_TYPE_START_TO_CLOSE: TimeoutType
TIMEOUT_TYPE_SCHEDULE_TO_START: TimeoutType
TIMEOUT_TYPE_SCHEDULE_TO_CLOSE: TimeoutType
TIMEOUT_TYPE_HEARTBEAT: TimeoutType
RETRY_STATE_UNSPECIFIED: RetryState
RETRY_STATE_IN_PROGRESS: RetryState
RETRY_STATE_NON_RETRYABLE_FAILURE: RetryState
RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED: RetryState
RETRY_STATE_TIMEOUT: RetryState
RETRY_STATE_RETRY_POLICY_NOT_SET: RetryState
WORKFLOW_TASK_FAILED_CAUSE_UNSPECIFIED: WorkflowTaskFailedCause
WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE: WorkflowTaskFailedCause
WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR: WorkflowTaskFailedCause
WORKFLOW_TASK_FAILED_CAUSE_UNKNOWN_WORKFLOW_TYPE: WorkflowTaskFailedCause
WORKFLOW_TASK_FAILED_CAUSE_BAD_COMMAND: WorkflowTaskFailedCause
WORKFLOW_TASK_FAILED_CAUSE_RESET_STICKY_TASK_QUEUE: WorkflowTaskFailedCause
WORKFLOW_TASK_FAILED_CAUSE_PENDING_ACTIVITIES_LIMIT_EXCEEDED: WorkflowTaskFailedCause
WORKFLOW_TASK_FAILED_CAUSE_PAYLOAD_TOO_LARGE: WorkflowTaskFailedCause
EVENT_TYPE_UNSPECIFIED: EventType
EVENT_TYPE_WORKFLOW_EXECUTION_STARTED: EventType
EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED: EventType
EVENT_TYPE_WORKFLOW_EXECUTION_FAILED: EventType
EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT: EventType
EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED: EventType
EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW: EventType
EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: EventType
EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED: EventType
EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED: EventType
EVENT_TYPE_WORKFLOW_TASK_SCHEDULED: EventType
EVENT_TYPE_WORKFLOW_TASK_STARTED: EventType
EVENT_TYPE_WORKFLOW_TASK_COMPLETED: EventType
EVENT_TYPE_WORKFLOW_TASK_FAILED: EventType
EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT: EventType
EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: EventType
EVENT_TYPE_ACTIVITY_TASK_STARTED: EventType
EVENT_TYPE_ACTIVITY_TASK_COMPLETED: EventType
EVENT_TYPE_ACTIVITY_TASK_FAILED: EventType
EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT: EventType
EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED: EventType
EVENT_TYPE_ACTIVITY_TASK_CANCELED: EventType
EVENT_TYPE_TIMER_STARTED: EventType
EVENT_TYPE_TIMER_FIRED: EventType
EVENT_TYPE_TIMER_CANCELED: EventType
EVENT_TYPE_MARKER_RECORDED: EventType
EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED: EventType
EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED: EventType
EVENT_TYPE_SEARCH_KEYS_UPSERTED: EventType
EVENT_TYPE_SEARCH_KEYS_DELETED: EventType
EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED: EventType
EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED: EventType
EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED: EventType
EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED: EventType
EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED: EventType
EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED: EventType
EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT: EventType
EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED: EventType
EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED: EventType
EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED: EventType
COMMAND_TYPE_UNSPECIFIED: CommandType
COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK: CommandType
COMMAND_TYPE_START_TIMER: CommandType
COMMAND_TYPE_CANCEL_TIMER: CommandType
COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION: CommandType
COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION: CommandType
COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION: CommandType
COMMAND_TYPE_RECORD_MARKER: CommandType
COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK: CommandType
COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION: CommandType
COMMAND_TYPE_COMPLETE_WORKFLOW_UPDATE: CommandType
COMMAND_TYPE_UPSERT_SEARCH_KEYS: CommandType
COMMAND_TYPE_DELETE_SEARCH_KEYS: CommandType
COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION: CommandType
COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION: CommandType
QUERY_KIND_UNSPECIFIED: QueryKind
QUERY_KIND_QUERY: QueryKind
QUERY_KIND_UPDATE_VALIDATION: QueryKind
PARENT_CLOSE_POLICY_UNSPECIFIED: ParentClosePolicy
PARENT_CLOSE_POLICY_TERMINATE: ParentClosePolicy
PARENT_CLOSE_POLICY_ABANDON: ParentClosePolicy
PARENT_CLOSE_POLICY_REQUEST_CANCEL: ParentClosePolicy
START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_UNSPECIFIED: StartChildWorkflowExecutionFailedCause
START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS: StartChildWorkflowExecutionFailedCause
START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_INVALID_REQUEST: StartChildWorkflowExecutionFailedCause

class Payload(_message.Message):
    __slots__ = ("data", "encoding", "blob_id", "blob_size", "blob_workflow_id")
    DATA_FIELD_NUMBER: _ClassVar[int]
    ENCODING_FIELD_NUMBER: _ClassVar[int]
    BLOB_ID_FIELD_NUMBER: _ClassVar[int]
    BLOB_SIZE_FIELD_NUMBER: _ClassVar[int]
    BLOB_WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    encoding: str
    blob_id: str
    blob_size: int
    blob_workflow_id: str
    def __init__(self, data: _Optional[bytes] = ..., encoding: _Optional[str] = ..., blob_id: _Optional[str] = ..., blob_size: _Optional[int] = ..., blob_workflow_id: _Optional[str] = ...) -> None: ...

class WorkflowExecution(_message.Message):
    __slots__ = ("workflow_id", "run_id")
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    workflow_id: str
    run_id: str
    def __init__(self, workflow_id: _Optional[str] = ..., run_id: _Optional[str] = ...) -> None: ...

class WorkflowType(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ActivityType(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class TaskQueue(_message.Message):
    __slots__ = ("name", "kind")
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    name: str
    kind: TaskQueueKind
    def __init__(self, name: _Optional[str] = ..., kind: _Optional[_Union[TaskQueueKind, str]] = ...) -> None: ...

class RetryPolicy(_message.Message):
    __slots__ = ("initial_interval", "backoff_coefficient", "maximum_interval", "maximum_attempts", "non_retryable_error_types")
    INITIAL_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    BACKOFF_COEFFICIENT_FIELD_NUMBER: _ClassVar[int]
    MAXIMUM_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    MAXIMUM_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    NON_RETRYABLE_ERROR_TYPES_FIELD_NUMBER: _ClassVar[int]
    initial_interval: _duration_pb2.Duration
    backoff_coefficient: float
    maximum_interval: _duration_pb2.Duration
    maximum_attempts: int
    non_retryable_error_types: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, initial_interval: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., backoff_coefficient: _Optional[float] = ..., maximum_interval: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., maximum_attempts: _Optional[int] = ..., non_retryable_error_types: _Optional[_Iterable[str]] = ...) -> None: ...

class Failure(_message.Message):
    __slots__ = ("message", "type", "stack_trace", "non_retryable", "cause", "details", "source")
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    STACK_TRACE_FIELD_NUMBER: _ClassVar[int]
    NON_RETRYABLE_FIELD_NUMBER: _ClassVar[int]
    CAUSE_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    message: str
    type: str
    stack_trace: str
    non_retryable: bool
    cause: Failure
    details: Payload
    source: str
    def __init__(self, message: _Optional[str] = ..., type: _Optional[str] = ..., stack_trace: _Optional[str] = ..., non_retryable: _Optional[bool] = ..., cause: _Optional[_Union[Failure, _Mapping]] = ..., details: _Optional[_Union[Payload, _Mapping]] = ..., source: _Optional[str] = ...) -> None: ...

class WorkflowMetadata(_message.Message):
    __slots__ = ("display_name", "description", "is_technical", "signal_names", "query_names", "update_names", "handler_names_declared")
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    IS_TECHNICAL_FIELD_NUMBER: _ClassVar[int]
    SIGNAL_NAMES_FIELD_NUMBER: _ClassVar[int]
    QUERY_NAMES_FIELD_NUMBER: _ClassVar[int]
    UPDATE_NAMES_FIELD_NUMBER: _ClassVar[int]
    HANDLER_NAMES_DECLARED_FIELD_NUMBER: _ClassVar[int]
    display_name: str
    description: str
    is_technical: bool
    signal_names: _containers.RepeatedScalarFieldContainer[str]
    query_names: _containers.RepeatedScalarFieldContainer[str]
    update_names: _containers.RepeatedScalarFieldContainer[str]
    handler_names_declared: bool
    def __init__(self, display_name: _Optional[str] = ..., description: _Optional[str] = ..., is_technical: _Optional[bool] = ..., signal_names: _Optional[_Iterable[str]] = ..., query_names: _Optional[_Iterable[str]] = ..., update_names: _Optional[_Iterable[str]] = ..., handler_names_declared: _Optional[bool] = ...) -> None: ...

class WorkflowTaskFailureInfo(_message.Message):
    __slots__ = ("cause", "failure", "attempt", "time", "identity", "timed_out")
    CAUSE_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    TIMED_OUT_FIELD_NUMBER: _ClassVar[int]
    cause: WorkflowTaskFailedCause
    failure: Failure
    attempt: int
    time: _timestamp_pb2.Timestamp
    identity: str
    timed_out: bool
    def __init__(self, cause: _Optional[_Union[WorkflowTaskFailedCause, str]] = ..., failure: _Optional[_Union[Failure, _Mapping]] = ..., attempt: _Optional[int] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., identity: _Optional[str] = ..., timed_out: _Optional[bool] = ...) -> None: ...

class WorkflowExecutionStartedEventAttributes(_message.Message):
    __slots__ = ("workflow_type", "task_queue", "input", "workflow_execution_timeout", "workflow_run_timeout", "workflow_task_timeout", "continued_execution_run_id", "first_execution_run_id", "identity", "attempt", "sdk_state", "metadata", "workflow_execution_expiration_time", "schedule_id", "scheduled_time", "search_keys", "parent_workflow_execution", "parent_workflow_namespace", "parent_initiated_event_id")
    WORKFLOW_TYPE_FIELD_NUMBER: _ClassVar[int]
    TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_EXECUTION_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_RUN_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TASK_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    CONTINUED_EXECUTION_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    FIRST_EXECUTION_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    SDK_STATE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_EXECUTION_EXPIRATION_TIME_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    SCHEDULED_TIME_FIELD_NUMBER: _ClassVar[int]
    SEARCH_KEYS_FIELD_NUMBER: _ClassVar[int]
    PARENT_WORKFLOW_EXECUTION_FIELD_NUMBER: _ClassVar[int]
    PARENT_WORKFLOW_NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    PARENT_INITIATED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    workflow_type: WorkflowType
    task_queue: TaskQueue
    input: Payload
    workflow_execution_timeout: _duration_pb2.Duration
    workflow_run_timeout: _duration_pb2.Duration
    workflow_task_timeout: _duration_pb2.Duration
    continued_execution_run_id: str
    first_execution_run_id: str
    identity: str
    attempt: int
    sdk_state: Payload
    metadata: WorkflowMetadata
    workflow_execution_expiration_time: _timestamp_pb2.Timestamp
    schedule_id: str
    scheduled_time: _timestamp_pb2.Timestamp
    search_keys: _containers.RepeatedCompositeFieldContainer[SearchKey]
    parent_workflow_execution: WorkflowExecution
    parent_workflow_namespace: str
    parent_initiated_event_id: int
    def __init__(self, workflow_type: _Optional[_Union[WorkflowType, _Mapping]] = ..., task_queue: _Optional[_Union[TaskQueue, _Mapping]] = ..., input: _Optional[_Union[Payload, _Mapping]] = ..., workflow_execution_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., workflow_run_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., workflow_task_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., continued_execution_run_id: _Optional[str] = ..., first_execution_run_id: _Optional[str] = ..., identity: _Optional[str] = ..., attempt: _Optional[int] = ..., sdk_state: _Optional[_Union[Payload, _Mapping]] = ..., metadata: _Optional[_Union[WorkflowMetadata, _Mapping]] = ..., workflow_execution_expiration_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., schedule_id: _Optional[str] = ..., scheduled_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., search_keys: _Optional[_Iterable[_Union[SearchKey, _Mapping]]] = ..., parent_workflow_execution: _Optional[_Union[WorkflowExecution, _Mapping]] = ..., parent_workflow_namespace: _Optional[str] = ..., parent_initiated_event_id: _Optional[int] = ...) -> None: ...

class WorkflowExecutionCompletedEventAttributes(_message.Message):
    __slots__ = ("result", "workflow_task_completed_event_id")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TASK_COMPLETED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    result: Payload
    workflow_task_completed_event_id: int
    def __init__(self, result: _Optional[_Union[Payload, _Mapping]] = ..., workflow_task_completed_event_id: _Optional[int] = ...) -> None: ...

class WorkflowExecutionFailedEventAttributes(_message.Message):
    __slots__ = ("failure", "workflow_task_completed_event_id")
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TASK_COMPLETED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    failure: Failure
    workflow_task_completed_event_id: int
    def __init__(self, failure: _Optional[_Union[Failure, _Mapping]] = ..., workflow_task_completed_event_id: _Optional[int] = ...) -> None: ...

class WorkflowExecutionTimedOutEventAttributes(_message.Message):
    __slots__ = ("execution_timeout",)
    EXECUTION_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    execution_timeout: bool
    def __init__(self, execution_timeout: _Optional[bool] = ...) -> None: ...

class WorkflowExecutionTerminatedEventAttributes(_message.Message):
    __slots__ = ("reason", "identity")
    REASON_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    reason: str
    identity: str
    def __init__(self, reason: _Optional[str] = ..., identity: _Optional[str] = ...) -> None: ...

class WorkflowExecutionContinuedAsNewEventAttributes(_message.Message):
    __slots__ = ("new_execution_run_id", "workflow_type", "task_queue", "input", "workflow_task_completed_event_id")
    NEW_EXECUTION_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TYPE_FIELD_NUMBER: _ClassVar[int]
    TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TASK_COMPLETED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    new_execution_run_id: str
    workflow_type: WorkflowType
    task_queue: TaskQueue
    input: Payload
    workflow_task_completed_event_id: int
    def __init__(self, new_execution_run_id: _Optional[str] = ..., workflow_type: _Optional[_Union[WorkflowType, _Mapping]] = ..., task_queue: _Optional[_Union[TaskQueue, _Mapping]] = ..., input: _Optional[_Union[Payload, _Mapping]] = ..., workflow_task_completed_event_id: _Optional[int] = ...) -> None: ...

class WorkflowExecutionSignaledEventAttributes(_message.Message):
    __slots__ = ("signal_name", "input", "identity")
    SIGNAL_NAME_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    signal_name: str
    input: Payload
    identity: str
    def __init__(self, signal_name: _Optional[str] = ..., input: _Optional[_Union[Payload, _Mapping]] = ..., identity: _Optional[str] = ...) -> None: ...

class WorkflowTaskScheduledEventAttributes(_message.Message):
    __slots__ = ("task_queue", "start_to_close_timeout", "attempt")
    TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    START_TO_CLOSE_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    task_queue: TaskQueue
    start_to_close_timeout: _duration_pb2.Duration
    attempt: int
    def __init__(self, task_queue: _Optional[_Union[TaskQueue, _Mapping]] = ..., start_to_close_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., attempt: _Optional[int] = ...) -> None: ...

class WorkflowTaskStartedEventAttributes(_message.Message):
    __slots__ = ("scheduled_event_id", "identity", "suggest_continue_as_new", "history_size_bytes", "suggest_continue_as_new_events", "suggest_continue_as_new_bytes")
    SCHEDULED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    SUGGEST_CONTINUE_AS_NEW_FIELD_NUMBER: _ClassVar[int]
    HISTORY_SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    SUGGEST_CONTINUE_AS_NEW_EVENTS_FIELD_NUMBER: _ClassVar[int]
    SUGGEST_CONTINUE_AS_NEW_BYTES_FIELD_NUMBER: _ClassVar[int]
    scheduled_event_id: int
    identity: str
    suggest_continue_as_new: bool
    history_size_bytes: int
    suggest_continue_as_new_events: int
    suggest_continue_as_new_bytes: int
    def __init__(self, scheduled_event_id: _Optional[int] = ..., identity: _Optional[str] = ..., suggest_continue_as_new: _Optional[bool] = ..., history_size_bytes: _Optional[int] = ..., suggest_continue_as_new_events: _Optional[int] = ..., suggest_continue_as_new_bytes: _Optional[int] = ...) -> None: ...

class WorkflowTaskCompletedEventAttributes(_message.Message):
    __slots__ = ("scheduled_event_id", "started_event_id", "identity")
    SCHEDULED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    STARTED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    scheduled_event_id: int
    started_event_id: int
    identity: str
    def __init__(self, scheduled_event_id: _Optional[int] = ..., started_event_id: _Optional[int] = ..., identity: _Optional[str] = ...) -> None: ...

class WorkflowTaskFailedEventAttributes(_message.Message):
    __slots__ = ("scheduled_event_id", "started_event_id", "cause", "failure", "identity")
    SCHEDULED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    STARTED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    CAUSE_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    scheduled_event_id: int
    started_event_id: int
    cause: WorkflowTaskFailedCause
    failure: Failure
    identity: str
    def __init__(self, scheduled_event_id: _Optional[int] = ..., started_event_id: _Optional[int] = ..., cause: _Optional[_Union[WorkflowTaskFailedCause, str]] = ..., failure: _Optional[_Union[Failure, _Mapping]] = ..., identity: _Optional[str] = ...) -> None: ...

class WorkflowTaskTimedOutEventAttributes(_message.Message):
    __slots__ = ("scheduled_event_id", "started_event_id", "timeout_type")
    SCHEDULED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    STARTED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_TYPE_FIELD_NUMBER: _ClassVar[int]
    scheduled_event_id: int
    started_event_id: int
    timeout_type: TimeoutType
    def __init__(self, scheduled_event_id: _Optional[int] = ..., started_event_id: _Optional[int] = ..., timeout_type: _Optional[_Union[TimeoutType, str]] = ...) -> None: ...

class ActivityTaskScheduledEventAttributes(_message.Message):
    __slots__ = ("activity_id", "activity_type", "task_queue", "input", "schedule_to_close_timeout", "schedule_to_start_timeout", "start_to_close_timeout", "heartbeat_timeout", "retry_policy", "workflow_task_completed_event_id", "result_sink", "rate_limit")
    ACTIVITY_ID_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_TYPE_FIELD_NUMBER: _ClassVar[int]
    TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_TO_CLOSE_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_TO_START_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    START_TO_CLOSE_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    RETRY_POLICY_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TASK_COMPLETED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    RESULT_SINK_FIELD_NUMBER: _ClassVar[int]
    RATE_LIMIT_FIELD_NUMBER: _ClassVar[int]
    activity_id: str
    activity_type: ActivityType
    task_queue: TaskQueue
    input: Payload
    schedule_to_close_timeout: _duration_pb2.Duration
    schedule_to_start_timeout: _duration_pb2.Duration
    start_to_close_timeout: _duration_pb2.Duration
    heartbeat_timeout: _duration_pb2.Duration
    retry_policy: RetryPolicy
    workflow_task_completed_event_id: int
    result_sink: ResultSink
    rate_limit: ActivityRateLimit
    def __init__(self, activity_id: _Optional[str] = ..., activity_type: _Optional[_Union[ActivityType, _Mapping]] = ..., task_queue: _Optional[_Union[TaskQueue, _Mapping]] = ..., input: _Optional[_Union[Payload, _Mapping]] = ..., schedule_to_close_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., schedule_to_start_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., start_to_close_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., heartbeat_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., retry_policy: _Optional[_Union[RetryPolicy, _Mapping]] = ..., workflow_task_completed_event_id: _Optional[int] = ..., result_sink: _Optional[_Union[ResultSink, _Mapping]] = ..., rate_limit: _Optional[_Union[ActivityRateLimit, _Mapping]] = ...) -> None: ...

class ActivityTaskStartedEventAttributes(_message.Message):
    __slots__ = ("scheduled_event_id", "identity", "attempt", "last_failure")
    SCHEDULED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    LAST_FAILURE_FIELD_NUMBER: _ClassVar[int]
    scheduled_event_id: int
    identity: str
    attempt: int
    last_failure: Failure
    def __init__(self, scheduled_event_id: _Optional[int] = ..., identity: _Optional[str] = ..., attempt: _Optional[int] = ..., last_failure: _Optional[_Union[Failure, _Mapping]] = ...) -> None: ...

class ActivityTaskCompletedEventAttributes(_message.Message):
    __slots__ = ("scheduled_event_id", "started_event_id", "result", "identity")
    SCHEDULED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    STARTED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    scheduled_event_id: int
    started_event_id: int
    result: Payload
    identity: str
    def __init__(self, scheduled_event_id: _Optional[int] = ..., started_event_id: _Optional[int] = ..., result: _Optional[_Union[Payload, _Mapping]] = ..., identity: _Optional[str] = ...) -> None: ...

class ActivityTaskFailedEventAttributes(_message.Message):
    __slots__ = ("scheduled_event_id", "started_event_id", "failure", "retry_state", "identity")
    SCHEDULED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    STARTED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    RETRY_STATE_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    scheduled_event_id: int
    started_event_id: int
    failure: Failure
    retry_state: RetryState
    identity: str
    def __init__(self, scheduled_event_id: _Optional[int] = ..., started_event_id: _Optional[int] = ..., failure: _Optional[_Union[Failure, _Mapping]] = ..., retry_state: _Optional[_Union[RetryState, str]] = ..., identity: _Optional[str] = ...) -> None: ...

class ActivityTaskTimedOutEventAttributes(_message.Message):
    __slots__ = ("scheduled_event_id", "started_event_id", "failure", "timeout_type", "retry_state")
    SCHEDULED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    STARTED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_TYPE_FIELD_NUMBER: _ClassVar[int]
    RETRY_STATE_FIELD_NUMBER: _ClassVar[int]
    scheduled_event_id: int
    started_event_id: int
    failure: Failure
    timeout_type: TimeoutType
    retry_state: RetryState
    def __init__(self, scheduled_event_id: _Optional[int] = ..., started_event_id: _Optional[int] = ..., failure: _Optional[_Union[Failure, _Mapping]] = ..., timeout_type: _Optional[_Union[TimeoutType, str]] = ..., retry_state: _Optional[_Union[RetryState, str]] = ...) -> None: ...

class WorkflowExecutionCancelRequestedEventAttributes(_message.Message):
    __slots__ = ("reason", "identity")
    REASON_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    reason: str
    identity: str
    def __init__(self, reason: _Optional[str] = ..., identity: _Optional[str] = ...) -> None: ...

class WorkflowExecutionCanceledEventAttributes(_message.Message):
    __slots__ = ("details", "workflow_task_completed_event_id")
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TASK_COMPLETED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    details: Payload
    workflow_task_completed_event_id: int
    def __init__(self, details: _Optional[_Union[Payload, _Mapping]] = ..., workflow_task_completed_event_id: _Optional[int] = ...) -> None: ...

class ActivityTaskCancelRequestedEventAttributes(_message.Message):
    __slots__ = ("scheduled_event_id", "workflow_task_completed_event_id")
    SCHEDULED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TASK_COMPLETED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    scheduled_event_id: int
    workflow_task_completed_event_id: int
    def __init__(self, scheduled_event_id: _Optional[int] = ..., workflow_task_completed_event_id: _Optional[int] = ...) -> None: ...

class ActivityTaskCanceledEventAttributes(_message.Message):
    __slots__ = ("scheduled_event_id", "started_event_id", "details", "identity")
    SCHEDULED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    STARTED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    scheduled_event_id: int
    started_event_id: int
    details: Payload
    identity: str
    def __init__(self, scheduled_event_id: _Optional[int] = ..., started_event_id: _Optional[int] = ..., details: _Optional[_Union[Payload, _Mapping]] = ..., identity: _Optional[str] = ...) -> None: ...

class TimerStartedEventAttributes(_message.Message):
    __slots__ = ("timer_id", "start_to_fire_timeout", "workflow_task_completed_event_id")
    TIMER_ID_FIELD_NUMBER: _ClassVar[int]
    START_TO_FIRE_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TASK_COMPLETED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    timer_id: str
    start_to_fire_timeout: _duration_pb2.Duration
    workflow_task_completed_event_id: int
    def __init__(self, timer_id: _Optional[str] = ..., start_to_fire_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., workflow_task_completed_event_id: _Optional[int] = ...) -> None: ...

class TimerFiredEventAttributes(_message.Message):
    __slots__ = ("timer_id", "started_event_id")
    TIMER_ID_FIELD_NUMBER: _ClassVar[int]
    STARTED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    timer_id: str
    started_event_id: int
    def __init__(self, timer_id: _Optional[str] = ..., started_event_id: _Optional[int] = ...) -> None: ...

class TimerCanceledEventAttributes(_message.Message):
    __slots__ = ("timer_id", "started_event_id", "workflow_task_completed_event_id")
    TIMER_ID_FIELD_NUMBER: _ClassVar[int]
    STARTED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TASK_COMPLETED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    timer_id: str
    started_event_id: int
    workflow_task_completed_event_id: int
    def __init__(self, timer_id: _Optional[str] = ..., started_event_id: _Optional[int] = ..., workflow_task_completed_event_id: _Optional[int] = ...) -> None: ...

class MarkerRecordedEventAttributes(_message.Message):
    __slots__ = ("marker_name", "details", "workflow_task_completed_event_id")
    MARKER_NAME_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TASK_COMPLETED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    marker_name: str
    details: Payload
    workflow_task_completed_event_id: int
    def __init__(self, marker_name: _Optional[str] = ..., details: _Optional[_Union[Payload, _Mapping]] = ..., workflow_task_completed_event_id: _Optional[int] = ...) -> None: ...

class HistoryEvent(_message.Message):
    __slots__ = ("event_id", "event_time", "event_type", "workflow_execution_started", "workflow_execution_completed", "workflow_execution_failed", "workflow_execution_timed_out", "workflow_execution_terminated", "workflow_execution_continued_as_new", "workflow_execution_signaled", "workflow_execution_cancel_requested", "workflow_execution_canceled", "workflow_task_scheduled", "workflow_task_started", "workflow_task_completed", "workflow_task_failed", "workflow_task_timed_out", "activity_task_scheduled", "activity_task_started", "activity_task_completed", "activity_task_failed", "activity_task_timed_out", "activity_task_cancel_requested", "activity_task_canceled", "timer_started", "timer_fired", "timer_canceled", "marker_recorded", "workflow_execution_update_accepted", "workflow_execution_update_completed", "search_keys_upserted", "search_keys_deleted", "start_child_workflow_execution_initiated", "start_child_workflow_execution_failed", "child_workflow_execution_started", "child_workflow_execution_completed", "child_workflow_execution_failed", "child_workflow_execution_canceled", "child_workflow_execution_timed_out", "child_workflow_execution_terminated", "request_cancel_external_workflow_execution_initiated", "external_workflow_execution_cancel_requested")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_EXECUTION_STARTED_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_EXECUTION_COMPLETED_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_EXECUTION_FAILED_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_EXECUTION_TIMED_OUT_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_EXECUTION_TERMINATED_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_EXECUTION_CONTINUED_AS_NEW_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_EXECUTION_SIGNALED_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_EXECUTION_CANCEL_REQUESTED_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_EXECUTION_CANCELED_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TASK_SCHEDULED_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TASK_STARTED_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TASK_COMPLETED_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TASK_FAILED_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TASK_TIMED_OUT_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_TASK_SCHEDULED_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_TASK_STARTED_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_TASK_COMPLETED_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_TASK_FAILED_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_TASK_TIMED_OUT_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_TASK_CANCEL_REQUESTED_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_TASK_CANCELED_FIELD_NUMBER: _ClassVar[int]
    TIMER_STARTED_FIELD_NUMBER: _ClassVar[int]
    TIMER_FIRED_FIELD_NUMBER: _ClassVar[int]
    TIMER_CANCELED_FIELD_NUMBER: _ClassVar[int]
    MARKER_RECORDED_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_EXECUTION_UPDATE_ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_EXECUTION_UPDATE_COMPLETED_FIELD_NUMBER: _ClassVar[int]
    SEARCH_KEYS_UPSERTED_FIELD_NUMBER: _ClassVar[int]
    SEARCH_KEYS_DELETED_FIELD_NUMBER: _ClassVar[int]
    START_CHILD_WORKFLOW_EXECUTION_INITIATED_FIELD_NUMBER: _ClassVar[int]
    START_CHILD_WORKFLOW_EXECUTION_FAILED_FIELD_NUMBER: _ClassVar[int]
    CHILD_WORKFLOW_EXECUTION_STARTED_FIELD_NUMBER: _ClassVar[int]
    CHILD_WORKFLOW_EXECUTION_COMPLETED_FIELD_NUMBER: _ClassVar[int]
    CHILD_WORKFLOW_EXECUTION_FAILED_FIELD_NUMBER: _ClassVar[int]
    CHILD_WORKFLOW_EXECUTION_CANCELED_FIELD_NUMBER: _ClassVar[int]
    CHILD_WORKFLOW_EXECUTION_TIMED_OUT_FIELD_NUMBER: _ClassVar[int]
    CHILD_WORKFLOW_EXECUTION_TERMINATED_FIELD_NUMBER: _ClassVar[int]
    REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED_FIELD_NUMBER: _ClassVar[int]
    event_id: int
    event_time: _timestamp_pb2.Timestamp
    event_type: EventType
    workflow_execution_started: WorkflowExecutionStartedEventAttributes
    workflow_execution_completed: WorkflowExecutionCompletedEventAttributes
    workflow_execution_failed: WorkflowExecutionFailedEventAttributes
    workflow_execution_timed_out: WorkflowExecutionTimedOutEventAttributes
    workflow_execution_terminated: WorkflowExecutionTerminatedEventAttributes
    workflow_execution_continued_as_new: WorkflowExecutionContinuedAsNewEventAttributes
    workflow_execution_signaled: WorkflowExecutionSignaledEventAttributes
    workflow_execution_cancel_requested: WorkflowExecutionCancelRequestedEventAttributes
    workflow_execution_canceled: WorkflowExecutionCanceledEventAttributes
    workflow_task_scheduled: WorkflowTaskScheduledEventAttributes
    workflow_task_started: WorkflowTaskStartedEventAttributes
    workflow_task_completed: WorkflowTaskCompletedEventAttributes
    workflow_task_failed: WorkflowTaskFailedEventAttributes
    workflow_task_timed_out: WorkflowTaskTimedOutEventAttributes
    activity_task_scheduled: ActivityTaskScheduledEventAttributes
    activity_task_started: ActivityTaskStartedEventAttributes
    activity_task_completed: ActivityTaskCompletedEventAttributes
    activity_task_failed: ActivityTaskFailedEventAttributes
    activity_task_timed_out: ActivityTaskTimedOutEventAttributes
    activity_task_cancel_requested: ActivityTaskCancelRequestedEventAttributes
    activity_task_canceled: ActivityTaskCanceledEventAttributes
    timer_started: TimerStartedEventAttributes
    timer_fired: TimerFiredEventAttributes
    timer_canceled: TimerCanceledEventAttributes
    marker_recorded: MarkerRecordedEventAttributes
    workflow_execution_update_accepted: WorkflowExecutionUpdateAcceptedEventAttributes
    workflow_execution_update_completed: WorkflowExecutionUpdateCompletedEventAttributes
    search_keys_upserted: SearchKeysUpsertedEventAttributes
    search_keys_deleted: SearchKeysDeletedEventAttributes
    start_child_workflow_execution_initiated: StartChildWorkflowExecutionInitiatedEventAttributes
    start_child_workflow_execution_failed: StartChildWorkflowExecutionFailedEventAttributes
    child_workflow_execution_started: ChildWorkflowExecutionStartedEventAttributes
    child_workflow_execution_completed: ChildWorkflowExecutionCompletedEventAttributes
    child_workflow_execution_failed: ChildWorkflowExecutionFailedEventAttributes
    child_workflow_execution_canceled: ChildWorkflowExecutionCanceledEventAttributes
    child_workflow_execution_timed_out: ChildWorkflowExecutionTimedOutEventAttributes
    child_workflow_execution_terminated: ChildWorkflowExecutionTerminatedEventAttributes
    request_cancel_external_workflow_execution_initiated: RequestCancelExternalWorkflowExecutionInitiatedEventAttributes
    external_workflow_execution_cancel_requested: ExternalWorkflowExecutionCancelRequestedEventAttributes
    def __init__(self, event_id: _Optional[int] = ..., event_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., event_type: _Optional[_Union[EventType, str]] = ..., workflow_execution_started: _Optional[_Union[WorkflowExecutionStartedEventAttributes, _Mapping]] = ..., workflow_execution_completed: _Optional[_Union[WorkflowExecutionCompletedEventAttributes, _Mapping]] = ..., workflow_execution_failed: _Optional[_Union[WorkflowExecutionFailedEventAttributes, _Mapping]] = ..., workflow_execution_timed_out: _Optional[_Union[WorkflowExecutionTimedOutEventAttributes, _Mapping]] = ..., workflow_execution_terminated: _Optional[_Union[WorkflowExecutionTerminatedEventAttributes, _Mapping]] = ..., workflow_execution_continued_as_new: _Optional[_Union[WorkflowExecutionContinuedAsNewEventAttributes, _Mapping]] = ..., workflow_execution_signaled: _Optional[_Union[WorkflowExecutionSignaledEventAttributes, _Mapping]] = ..., workflow_execution_cancel_requested: _Optional[_Union[WorkflowExecutionCancelRequestedEventAttributes, _Mapping]] = ..., workflow_execution_canceled: _Optional[_Union[WorkflowExecutionCanceledEventAttributes, _Mapping]] = ..., workflow_task_scheduled: _Optional[_Union[WorkflowTaskScheduledEventAttributes, _Mapping]] = ..., workflow_task_started: _Optional[_Union[WorkflowTaskStartedEventAttributes, _Mapping]] = ..., workflow_task_completed: _Optional[_Union[WorkflowTaskCompletedEventAttributes, _Mapping]] = ..., workflow_task_failed: _Optional[_Union[WorkflowTaskFailedEventAttributes, _Mapping]] = ..., workflow_task_timed_out: _Optional[_Union[WorkflowTaskTimedOutEventAttributes, _Mapping]] = ..., activity_task_scheduled: _Optional[_Union[ActivityTaskScheduledEventAttributes, _Mapping]] = ..., activity_task_started: _Optional[_Union[ActivityTaskStartedEventAttributes, _Mapping]] = ..., activity_task_completed: _Optional[_Union[ActivityTaskCompletedEventAttributes, _Mapping]] = ..., activity_task_failed: _Optional[_Union[ActivityTaskFailedEventAttributes, _Mapping]] = ..., activity_task_timed_out: _Optional[_Union[ActivityTaskTimedOutEventAttributes, _Mapping]] = ..., activity_task_cancel_requested: _Optional[_Union[ActivityTaskCancelRequestedEventAttributes, _Mapping]] = ..., activity_task_canceled: _Optional[_Union[ActivityTaskCanceledEventAttributes, _Mapping]] = ..., timer_started: _Optional[_Union[TimerStartedEventAttributes, _Mapping]] = ..., timer_fired: _Optional[_Union[TimerFiredEventAttributes, _Mapping]] = ..., timer_canceled: _Optional[_Union[TimerCanceledEventAttributes, _Mapping]] = ..., marker_recorded: _Optional[_Union[MarkerRecordedEventAttributes, _Mapping]] = ..., workflow_execution_update_accepted: _Optional[_Union[WorkflowExecutionUpdateAcceptedEventAttributes, _Mapping]] = ..., workflow_execution_update_completed: _Optional[_Union[WorkflowExecutionUpdateCompletedEventAttributes, _Mapping]] = ..., search_keys_upserted: _Optional[_Union[SearchKeysUpsertedEventAttributes, _Mapping]] = ..., search_keys_deleted: _Optional[_Union[SearchKeysDeletedEventAttributes, _Mapping]] = ..., start_child_workflow_execution_initiated: _Optional[_Union[StartChildWorkflowExecutionInitiatedEventAttributes, _Mapping]] = ..., start_child_workflow_execution_failed: _Optional[_Union[StartChildWorkflowExecutionFailedEventAttributes, _Mapping]] = ..., child_workflow_execution_started: _Optional[_Union[ChildWorkflowExecutionStartedEventAttributes, _Mapping]] = ..., child_workflow_execution_completed: _Optional[_Union[ChildWorkflowExecutionCompletedEventAttributes, _Mapping]] = ..., child_workflow_execution_failed: _Optional[_Union[ChildWorkflowExecutionFailedEventAttributes, _Mapping]] = ..., child_workflow_execution_canceled: _Optional[_Union[ChildWorkflowExecutionCanceledEventAttributes, _Mapping]] = ..., child_workflow_execution_timed_out: _Optional[_Union[ChildWorkflowExecutionTimedOutEventAttributes, _Mapping]] = ..., child_workflow_execution_terminated: _Optional[_Union[ChildWorkflowExecutionTerminatedEventAttributes, _Mapping]] = ..., request_cancel_external_workflow_execution_initiated: _Optional[_Union[RequestCancelExternalWorkflowExecutionInitiatedEventAttributes, _Mapping]] = ..., external_workflow_execution_cancel_requested: _Optional[_Union[ExternalWorkflowExecutionCancelRequestedEventAttributes, _Mapping]] = ...) -> None: ...

class History(_message.Message):
    __slots__ = ("events",)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[HistoryEvent]
    def __init__(self, events: _Optional[_Iterable[_Union[HistoryEvent, _Mapping]]] = ...) -> None: ...

class ScheduleActivityTaskCommandAttributes(_message.Message):
    __slots__ = ("activity_id", "activity_type", "task_queue", "input", "schedule_to_close_timeout", "schedule_to_start_timeout", "start_to_close_timeout", "heartbeat_timeout", "retry_policy", "result_sink", "request_eager_execution", "rate_limit")
    ACTIVITY_ID_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_TYPE_FIELD_NUMBER: _ClassVar[int]
    TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_TO_CLOSE_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_TO_START_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    START_TO_CLOSE_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    RETRY_POLICY_FIELD_NUMBER: _ClassVar[int]
    RESULT_SINK_FIELD_NUMBER: _ClassVar[int]
    REQUEST_EAGER_EXECUTION_FIELD_NUMBER: _ClassVar[int]
    RATE_LIMIT_FIELD_NUMBER: _ClassVar[int]
    activity_id: str
    activity_type: ActivityType
    task_queue: TaskQueue
    input: Payload
    schedule_to_close_timeout: _duration_pb2.Duration
    schedule_to_start_timeout: _duration_pb2.Duration
    start_to_close_timeout: _duration_pb2.Duration
    heartbeat_timeout: _duration_pb2.Duration
    retry_policy: RetryPolicy
    result_sink: ResultSink
    request_eager_execution: bool
    rate_limit: ActivityRateLimit
    def __init__(self, activity_id: _Optional[str] = ..., activity_type: _Optional[_Union[ActivityType, _Mapping]] = ..., task_queue: _Optional[_Union[TaskQueue, _Mapping]] = ..., input: _Optional[_Union[Payload, _Mapping]] = ..., schedule_to_close_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., schedule_to_start_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., start_to_close_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., heartbeat_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., retry_policy: _Optional[_Union[RetryPolicy, _Mapping]] = ..., result_sink: _Optional[_Union[ResultSink, _Mapping]] = ..., request_eager_execution: _Optional[bool] = ..., rate_limit: _Optional[_Union[ActivityRateLimit, _Mapping]] = ...) -> None: ...

class ResultSink(_message.Message):
    __slots__ = ("executor_id", "index")
    EXECUTOR_ID_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    executor_id: str
    index: int
    def __init__(self, executor_id: _Optional[str] = ..., index: _Optional[int] = ...) -> None: ...

class StartTimerCommandAttributes(_message.Message):
    __slots__ = ("timer_id", "start_to_fire_timeout")
    TIMER_ID_FIELD_NUMBER: _ClassVar[int]
    START_TO_FIRE_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    timer_id: str
    start_to_fire_timeout: _duration_pb2.Duration
    def __init__(self, timer_id: _Optional[str] = ..., start_to_fire_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class CancelTimerCommandAttributes(_message.Message):
    __slots__ = ("timer_id",)
    TIMER_ID_FIELD_NUMBER: _ClassVar[int]
    timer_id: str
    def __init__(self, timer_id: _Optional[str] = ...) -> None: ...

class RequestCancelActivityTaskCommandAttributes(_message.Message):
    __slots__ = ("scheduled_event_id",)
    SCHEDULED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    scheduled_event_id: int
    def __init__(self, scheduled_event_id: _Optional[int] = ...) -> None: ...

class CancelWorkflowExecutionCommandAttributes(_message.Message):
    __slots__ = ("details",)
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    details: Payload
    def __init__(self, details: _Optional[_Union[Payload, _Mapping]] = ...) -> None: ...

class CompleteWorkflowExecutionCommandAttributes(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: Payload
    def __init__(self, result: _Optional[_Union[Payload, _Mapping]] = ...) -> None: ...

class FailWorkflowExecutionCommandAttributes(_message.Message):
    __slots__ = ("failure",)
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    failure: Failure
    def __init__(self, failure: _Optional[_Union[Failure, _Mapping]] = ...) -> None: ...

class ContinueAsNewWorkflowExecutionCommandAttributes(_message.Message):
    __slots__ = ("workflow_type", "task_queue", "input", "workflow_run_timeout", "workflow_task_timeout", "sdk_state")
    WORKFLOW_TYPE_FIELD_NUMBER: _ClassVar[int]
    TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_RUN_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TASK_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    SDK_STATE_FIELD_NUMBER: _ClassVar[int]
    workflow_type: WorkflowType
    task_queue: TaskQueue
    input: Payload
    workflow_run_timeout: _duration_pb2.Duration
    workflow_task_timeout: _duration_pb2.Duration
    sdk_state: Payload
    def __init__(self, workflow_type: _Optional[_Union[WorkflowType, _Mapping]] = ..., task_queue: _Optional[_Union[TaskQueue, _Mapping]] = ..., input: _Optional[_Union[Payload, _Mapping]] = ..., workflow_run_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., workflow_task_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., sdk_state: _Optional[_Union[Payload, _Mapping]] = ...) -> None: ...

class RecordMarkerCommandAttributes(_message.Message):
    __slots__ = ("marker_name", "details")
    MARKER_NAME_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    marker_name: str
    details: Payload
    def __init__(self, marker_name: _Optional[str] = ..., details: _Optional[_Union[Payload, _Mapping]] = ...) -> None: ...

class Command(_message.Message):
    __slots__ = ("command_type", "schedule_activity_task", "start_timer", "cancel_timer", "complete_workflow_execution", "fail_workflow_execution", "continue_as_new_workflow_execution", "record_marker", "request_cancel_activity_task", "cancel_workflow_execution", "start_child_workflow_execution", "request_cancel_external_workflow_execution", "complete_workflow_update", "upsert_search_keys", "delete_search_keys")
    COMMAND_TYPE_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_ACTIVITY_TASK_FIELD_NUMBER: _ClassVar[int]
    START_TIMER_FIELD_NUMBER: _ClassVar[int]
    CANCEL_TIMER_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_WORKFLOW_EXECUTION_FIELD_NUMBER: _ClassVar[int]
    FAIL_WORKFLOW_EXECUTION_FIELD_NUMBER: _ClassVar[int]
    CONTINUE_AS_NEW_WORKFLOW_EXECUTION_FIELD_NUMBER: _ClassVar[int]
    RECORD_MARKER_FIELD_NUMBER: _ClassVar[int]
    REQUEST_CANCEL_ACTIVITY_TASK_FIELD_NUMBER: _ClassVar[int]
    CANCEL_WORKFLOW_EXECUTION_FIELD_NUMBER: _ClassVar[int]
    START_CHILD_WORKFLOW_EXECUTION_FIELD_NUMBER: _ClassVar[int]
    REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_WORKFLOW_UPDATE_FIELD_NUMBER: _ClassVar[int]
    UPSERT_SEARCH_KEYS_FIELD_NUMBER: _ClassVar[int]
    DELETE_SEARCH_KEYS_FIELD_NUMBER: _ClassVar[int]
    command_type: CommandType
    schedule_activity_task: ScheduleActivityTaskCommandAttributes
    start_timer: StartTimerCommandAttributes
    cancel_timer: CancelTimerCommandAttributes
    complete_workflow_execution: CompleteWorkflowExecutionCommandAttributes
    fail_workflow_execution: FailWorkflowExecutionCommandAttributes
    continue_as_new_workflow_execution: ContinueAsNewWorkflowExecutionCommandAttributes
    record_marker: RecordMarkerCommandAttributes
    request_cancel_activity_task: RequestCancelActivityTaskCommandAttributes
    cancel_workflow_execution: CancelWorkflowExecutionCommandAttributes
    start_child_workflow_execution: StartChildWorkflowExecutionCommandAttributes
    request_cancel_external_workflow_execution: RequestCancelExternalWorkflowExecutionCommandAttributes
    complete_workflow_update: CompleteWorkflowUpdateCommandAttributes
    upsert_search_keys: UpsertSearchKeysCommandAttributes
    delete_search_keys: DeleteSearchKeysCommandAttributes
    def __init__(self, command_type: _Optional[_Union[CommandType, str]] = ..., schedule_activity_task: _Optional[_Union[ScheduleActivityTaskCommandAttributes, _Mapping]] = ..., start_timer: _Optional[_Union[StartTimerCommandAttributes, _Mapping]] = ..., cancel_timer: _Optional[_Union[CancelTimerCommandAttributes, _Mapping]] = ..., complete_workflow_execution: _Optional[_Union[CompleteWorkflowExecutionCommandAttributes, _Mapping]] = ..., fail_workflow_execution: _Optional[_Union[FailWorkflowExecutionCommandAttributes, _Mapping]] = ..., continue_as_new_workflow_execution: _Optional[_Union[ContinueAsNewWorkflowExecutionCommandAttributes, _Mapping]] = ..., record_marker: _Optional[_Union[RecordMarkerCommandAttributes, _Mapping]] = ..., request_cancel_activity_task: _Optional[_Union[RequestCancelActivityTaskCommandAttributes, _Mapping]] = ..., cancel_workflow_execution: _Optional[_Union[CancelWorkflowExecutionCommandAttributes, _Mapping]] = ..., start_child_workflow_execution: _Optional[_Union[StartChildWorkflowExecutionCommandAttributes, _Mapping]] = ..., request_cancel_external_workflow_execution: _Optional[_Union[RequestCancelExternalWorkflowExecutionCommandAttributes, _Mapping]] = ..., complete_workflow_update: _Optional[_Union[CompleteWorkflowUpdateCommandAttributes, _Mapping]] = ..., upsert_search_keys: _Optional[_Union[UpsertSearchKeysCommandAttributes, _Mapping]] = ..., delete_search_keys: _Optional[_Union[DeleteSearchKeysCommandAttributes, _Mapping]] = ...) -> None: ...

class WorkflowExecutionUpdateAcceptedEventAttributes(_message.Message):
    __slots__ = ("update_id", "name", "input", "identity")
    UPDATE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    update_id: str
    name: str
    input: Payload
    identity: str
    def __init__(self, update_id: _Optional[str] = ..., name: _Optional[str] = ..., input: _Optional[_Union[Payload, _Mapping]] = ..., identity: _Optional[str] = ...) -> None: ...

class WorkflowExecutionUpdateCompletedEventAttributes(_message.Message):
    __slots__ = ("update_id", "accepted_event_id", "result", "failure", "workflow_task_completed_event_id")
    UPDATE_ID_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TASK_COMPLETED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    update_id: str
    accepted_event_id: int
    result: Payload
    failure: Failure
    workflow_task_completed_event_id: int
    def __init__(self, update_id: _Optional[str] = ..., accepted_event_id: _Optional[int] = ..., result: _Optional[_Union[Payload, _Mapping]] = ..., failure: _Optional[_Union[Failure, _Mapping]] = ..., workflow_task_completed_event_id: _Optional[int] = ...) -> None: ...

class CompleteWorkflowUpdateCommandAttributes(_message.Message):
    __slots__ = ("update_id", "result", "failure")
    UPDATE_ID_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    update_id: str
    result: Payload
    failure: Failure
    def __init__(self, update_id: _Optional[str] = ..., result: _Optional[_Union[Payload, _Mapping]] = ..., failure: _Optional[_Union[Failure, _Mapping]] = ...) -> None: ...

class WorkflowQuery(_message.Message):
    __slots__ = ("query_type", "query_args", "kind", "update_id")
    QUERY_TYPE_FIELD_NUMBER: _ClassVar[int]
    QUERY_ARGS_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    UPDATE_ID_FIELD_NUMBER: _ClassVar[int]
    query_type: str
    query_args: Payload
    kind: QueryKind
    update_id: str
    def __init__(self, query_type: _Optional[str] = ..., query_args: _Optional[_Union[Payload, _Mapping]] = ..., kind: _Optional[_Union[QueryKind, str]] = ..., update_id: _Optional[str] = ...) -> None: ...

class StartChildWorkflowExecutionCommandAttributes(_message.Message):
    __slots__ = ("namespace", "workflow_id", "workflow_type", "task_queue", "input", "workflow_execution_timeout", "workflow_run_timeout", "workflow_task_timeout", "parent_close_policy", "metadata")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TYPE_FIELD_NUMBER: _ClassVar[int]
    TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_EXECUTION_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_RUN_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TASK_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    PARENT_CLOSE_POLICY_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    workflow_id: str
    workflow_type: WorkflowType
    task_queue: TaskQueue
    input: Payload
    workflow_execution_timeout: _duration_pb2.Duration
    workflow_run_timeout: _duration_pb2.Duration
    workflow_task_timeout: _duration_pb2.Duration
    parent_close_policy: ParentClosePolicy
    metadata: WorkflowMetadata
    def __init__(self, namespace: _Optional[str] = ..., workflow_id: _Optional[str] = ..., workflow_type: _Optional[_Union[WorkflowType, _Mapping]] = ..., task_queue: _Optional[_Union[TaskQueue, _Mapping]] = ..., input: _Optional[_Union[Payload, _Mapping]] = ..., workflow_execution_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., workflow_run_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., workflow_task_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., parent_close_policy: _Optional[_Union[ParentClosePolicy, str]] = ..., metadata: _Optional[_Union[WorkflowMetadata, _Mapping]] = ...) -> None: ...

class RequestCancelExternalWorkflowExecutionCommandAttributes(_message.Message):
    __slots__ = ("namespace", "workflow_id", "run_id", "child_workflow_only", "reason")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    CHILD_WORKFLOW_ONLY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    workflow_id: str
    run_id: str
    child_workflow_only: bool
    reason: str
    def __init__(self, namespace: _Optional[str] = ..., workflow_id: _Optional[str] = ..., run_id: _Optional[str] = ..., child_workflow_only: _Optional[bool] = ..., reason: _Optional[str] = ...) -> None: ...

class StartChildWorkflowExecutionInitiatedEventAttributes(_message.Message):
    __slots__ = ("namespace", "workflow_id", "workflow_type", "task_queue", "input", "workflow_execution_timeout", "workflow_run_timeout", "workflow_task_timeout", "parent_close_policy", "workflow_task_completed_event_id", "metadata")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TYPE_FIELD_NUMBER: _ClassVar[int]
    TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_EXECUTION_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_RUN_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TASK_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    PARENT_CLOSE_POLICY_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TASK_COMPLETED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    workflow_id: str
    workflow_type: WorkflowType
    task_queue: TaskQueue
    input: Payload
    workflow_execution_timeout: _duration_pb2.Duration
    workflow_run_timeout: _duration_pb2.Duration
    workflow_task_timeout: _duration_pb2.Duration
    parent_close_policy: ParentClosePolicy
    workflow_task_completed_event_id: int
    metadata: WorkflowMetadata
    def __init__(self, namespace: _Optional[str] = ..., workflow_id: _Optional[str] = ..., workflow_type: _Optional[_Union[WorkflowType, _Mapping]] = ..., task_queue: _Optional[_Union[TaskQueue, _Mapping]] = ..., input: _Optional[_Union[Payload, _Mapping]] = ..., workflow_execution_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., workflow_run_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., workflow_task_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., parent_close_policy: _Optional[_Union[ParentClosePolicy, str]] = ..., workflow_task_completed_event_id: _Optional[int] = ..., metadata: _Optional[_Union[WorkflowMetadata, _Mapping]] = ...) -> None: ...

class StartChildWorkflowExecutionFailedEventAttributes(_message.Message):
    __slots__ = ("namespace", "workflow_id", "workflow_type", "cause", "initiated_event_id", "workflow_task_completed_event_id", "message")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TYPE_FIELD_NUMBER: _ClassVar[int]
    CAUSE_FIELD_NUMBER: _ClassVar[int]
    INITIATED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TASK_COMPLETED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    workflow_id: str
    workflow_type: WorkflowType
    cause: StartChildWorkflowExecutionFailedCause
    initiated_event_id: int
    workflow_task_completed_event_id: int
    message: str
    def __init__(self, namespace: _Optional[str] = ..., workflow_id: _Optional[str] = ..., workflow_type: _Optional[_Union[WorkflowType, _Mapping]] = ..., cause: _Optional[_Union[StartChildWorkflowExecutionFailedCause, str]] = ..., initiated_event_id: _Optional[int] = ..., workflow_task_completed_event_id: _Optional[int] = ..., message: _Optional[str] = ...) -> None: ...

class ChildWorkflowExecutionStartedEventAttributes(_message.Message):
    __slots__ = ("namespace", "initiated_event_id", "workflow_execution", "workflow_type")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    INITIATED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_EXECUTION_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TYPE_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    initiated_event_id: int
    workflow_execution: WorkflowExecution
    workflow_type: WorkflowType
    def __init__(self, namespace: _Optional[str] = ..., initiated_event_id: _Optional[int] = ..., workflow_execution: _Optional[_Union[WorkflowExecution, _Mapping]] = ..., workflow_type: _Optional[_Union[WorkflowType, _Mapping]] = ...) -> None: ...

class ChildWorkflowExecutionCompletedEventAttributes(_message.Message):
    __slots__ = ("result", "namespace", "workflow_execution", "workflow_type", "initiated_event_id", "started_event_id")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_EXECUTION_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TYPE_FIELD_NUMBER: _ClassVar[int]
    INITIATED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    STARTED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    result: Payload
    namespace: str
    workflow_execution: WorkflowExecution
    workflow_type: WorkflowType
    initiated_event_id: int
    started_event_id: int
    def __init__(self, result: _Optional[_Union[Payload, _Mapping]] = ..., namespace: _Optional[str] = ..., workflow_execution: _Optional[_Union[WorkflowExecution, _Mapping]] = ..., workflow_type: _Optional[_Union[WorkflowType, _Mapping]] = ..., initiated_event_id: _Optional[int] = ..., started_event_id: _Optional[int] = ...) -> None: ...

class ChildWorkflowExecutionFailedEventAttributes(_message.Message):
    __slots__ = ("failure", "namespace", "workflow_execution", "workflow_type", "initiated_event_id", "started_event_id", "retry_state")
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_EXECUTION_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TYPE_FIELD_NUMBER: _ClassVar[int]
    INITIATED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    STARTED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    RETRY_STATE_FIELD_NUMBER: _ClassVar[int]
    failure: Failure
    namespace: str
    workflow_execution: WorkflowExecution
    workflow_type: WorkflowType
    initiated_event_id: int
    started_event_id: int
    retry_state: RetryState
    def __init__(self, failure: _Optional[_Union[Failure, _Mapping]] = ..., namespace: _Optional[str] = ..., workflow_execution: _Optional[_Union[WorkflowExecution, _Mapping]] = ..., workflow_type: _Optional[_Union[WorkflowType, _Mapping]] = ..., initiated_event_id: _Optional[int] = ..., started_event_id: _Optional[int] = ..., retry_state: _Optional[_Union[RetryState, str]] = ...) -> None: ...

class ChildWorkflowExecutionCanceledEventAttributes(_message.Message):
    __slots__ = ("details", "namespace", "workflow_execution", "workflow_type", "initiated_event_id", "started_event_id")
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_EXECUTION_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TYPE_FIELD_NUMBER: _ClassVar[int]
    INITIATED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    STARTED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    details: Payload
    namespace: str
    workflow_execution: WorkflowExecution
    workflow_type: WorkflowType
    initiated_event_id: int
    started_event_id: int
    def __init__(self, details: _Optional[_Union[Payload, _Mapping]] = ..., namespace: _Optional[str] = ..., workflow_execution: _Optional[_Union[WorkflowExecution, _Mapping]] = ..., workflow_type: _Optional[_Union[WorkflowType, _Mapping]] = ..., initiated_event_id: _Optional[int] = ..., started_event_id: _Optional[int] = ...) -> None: ...

class ChildWorkflowExecutionTimedOutEventAttributes(_message.Message):
    __slots__ = ("namespace", "workflow_execution", "workflow_type", "initiated_event_id", "started_event_id", "retry_state", "message")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_EXECUTION_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TYPE_FIELD_NUMBER: _ClassVar[int]
    INITIATED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    STARTED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    RETRY_STATE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    workflow_execution: WorkflowExecution
    workflow_type: WorkflowType
    initiated_event_id: int
    started_event_id: int
    retry_state: RetryState
    message: str
    def __init__(self, namespace: _Optional[str] = ..., workflow_execution: _Optional[_Union[WorkflowExecution, _Mapping]] = ..., workflow_type: _Optional[_Union[WorkflowType, _Mapping]] = ..., initiated_event_id: _Optional[int] = ..., started_event_id: _Optional[int] = ..., retry_state: _Optional[_Union[RetryState, str]] = ..., message: _Optional[str] = ...) -> None: ...

class ChildWorkflowExecutionTerminatedEventAttributes(_message.Message):
    __slots__ = ("namespace", "workflow_execution", "workflow_type", "initiated_event_id", "started_event_id", "reason")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_EXECUTION_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TYPE_FIELD_NUMBER: _ClassVar[int]
    INITIATED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    STARTED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    workflow_execution: WorkflowExecution
    workflow_type: WorkflowType
    initiated_event_id: int
    started_event_id: int
    reason: str
    def __init__(self, namespace: _Optional[str] = ..., workflow_execution: _Optional[_Union[WorkflowExecution, _Mapping]] = ..., workflow_type: _Optional[_Union[WorkflowType, _Mapping]] = ..., initiated_event_id: _Optional[int] = ..., started_event_id: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class RequestCancelExternalWorkflowExecutionInitiatedEventAttributes(_message.Message):
    __slots__ = ("workflow_task_completed_event_id", "namespace", "workflow_execution", "child_workflow_only", "reason")
    WORKFLOW_TASK_COMPLETED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_EXECUTION_FIELD_NUMBER: _ClassVar[int]
    CHILD_WORKFLOW_ONLY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    workflow_task_completed_event_id: int
    namespace: str
    workflow_execution: WorkflowExecution
    child_workflow_only: bool
    reason: str
    def __init__(self, workflow_task_completed_event_id: _Optional[int] = ..., namespace: _Optional[str] = ..., workflow_execution: _Optional[_Union[WorkflowExecution, _Mapping]] = ..., child_workflow_only: _Optional[bool] = ..., reason: _Optional[str] = ...) -> None: ...

class ExternalWorkflowExecutionCancelRequestedEventAttributes(_message.Message):
    __slots__ = ("initiated_event_id", "namespace", "workflow_execution")
    INITIATED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_EXECUTION_FIELD_NUMBER: _ClassVar[int]
    initiated_event_id: int
    namespace: str
    workflow_execution: WorkflowExecution
    def __init__(self, initiated_event_id: _Optional[int] = ..., namespace: _Optional[str] = ..., workflow_execution: _Optional[_Union[WorkflowExecution, _Mapping]] = ...) -> None: ...

class ParentExecutionInfo(_message.Message):
    __slots__ = ("namespace", "execution", "initiated_event_id")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    INITIATED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    execution: WorkflowExecution
    initiated_event_id: int
    def __init__(self, namespace: _Optional[str] = ..., execution: _Optional[_Union[WorkflowExecution, _Mapping]] = ..., initiated_event_id: _Optional[int] = ...) -> None: ...

class ActivityRateLimit(_message.Message):
    __slots__ = ("key", "max_execution", "time_window")
    KEY_FIELD_NUMBER: _ClassVar[int]
    MAX_EXECUTION_FIELD_NUMBER: _ClassVar[int]
    TIME_WINDOW_FIELD_NUMBER: _ClassVar[int]
    key: str
    max_execution: int
    time_window: _duration_pb2.Duration
    def __init__(self, key: _Optional[str] = ..., max_execution: _Optional[int] = ..., time_window: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class SearchKey(_message.Message):
    __slots__ = ("key", "value", "unset")
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    UNSET_FIELD_NUMBER: _ClassVar[int]
    key: str
    value: str
    unset: bool
    def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ..., unset: _Optional[bool] = ...) -> None: ...

class UpsertSearchKeysCommandAttributes(_message.Message):
    __slots__ = ("search_keys", "from_sdk")
    SEARCH_KEYS_FIELD_NUMBER: _ClassVar[int]
    FROM_SDK_FIELD_NUMBER: _ClassVar[int]
    search_keys: _containers.RepeatedCompositeFieldContainer[SearchKey]
    from_sdk: bool
    def __init__(self, search_keys: _Optional[_Iterable[_Union[SearchKey, _Mapping]]] = ..., from_sdk: _Optional[bool] = ...) -> None: ...

class DeleteSearchKeysCommandAttributes(_message.Message):
    __slots__ = ("keys", "from_sdk")
    KEYS_FIELD_NUMBER: _ClassVar[int]
    FROM_SDK_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedScalarFieldContainer[str]
    from_sdk: bool
    def __init__(self, keys: _Optional[_Iterable[str]] = ..., from_sdk: _Optional[bool] = ...) -> None: ...

class SearchKeysUpsertedEventAttributes(_message.Message):
    __slots__ = ("search_keys", "dropped_keys", "workflow_task_completed_event_id", "identity", "from_sdk")
    SEARCH_KEYS_FIELD_NUMBER: _ClassVar[int]
    DROPPED_KEYS_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TASK_COMPLETED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    FROM_SDK_FIELD_NUMBER: _ClassVar[int]
    search_keys: _containers.RepeatedCompositeFieldContainer[SearchKey]
    dropped_keys: _containers.RepeatedScalarFieldContainer[str]
    workflow_task_completed_event_id: int
    identity: str
    from_sdk: bool
    def __init__(self, search_keys: _Optional[_Iterable[_Union[SearchKey, _Mapping]]] = ..., dropped_keys: _Optional[_Iterable[str]] = ..., workflow_task_completed_event_id: _Optional[int] = ..., identity: _Optional[str] = ..., from_sdk: _Optional[bool] = ...) -> None: ...

class SearchKeysDeletedEventAttributes(_message.Message):
    __slots__ = ("keys", "workflow_task_completed_event_id", "identity", "from_sdk")
    KEYS_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TASK_COMPLETED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    FROM_SDK_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedScalarFieldContainer[str]
    workflow_task_completed_event_id: int
    identity: str
    from_sdk: bool
    def __init__(self, keys: _Optional[_Iterable[str]] = ..., workflow_task_completed_event_id: _Optional[int] = ..., identity: _Optional[str] = ..., from_sdk: _Optional[bool] = ...) -> None: ...
