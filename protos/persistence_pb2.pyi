import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from protos import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TimerTaskKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TIMER_TASK_KIND_UNSPECIFIED: _ClassVar[TimerTaskKind]
    TIMER_TASK_KIND_WORKFLOW_TASK_START_TO_CLOSE: _ClassVar[TimerTaskKind]
    TIMER_TASK_KIND_WORKFLOW_TASK_SCHEDULE_TO_START: _ClassVar[TimerTaskKind]
    TIMER_TASK_KIND_WORKFLOW_TASK_RETRY: _ClassVar[TimerTaskKind]
    TIMER_TASK_KIND_ACTIVITY_START_TO_CLOSE: _ClassVar[TimerTaskKind]
    TIMER_TASK_KIND_ACTIVITY_SCHEDULE_TO_START: _ClassVar[TimerTaskKind]
    TIMER_TASK_KIND_ACTIVITY_SCHEDULE_TO_CLOSE: _ClassVar[TimerTaskKind]
    TIMER_TASK_KIND_ACTIVITY_HEARTBEAT: _ClassVar[TimerTaskKind]
    TIMER_TASK_KIND_ACTIVITY_RETRY: _ClassVar[TimerTaskKind]
    TIMER_TASK_KIND_USER_TIMER: _ClassVar[TimerTaskKind]
    TIMER_TASK_KIND_WORKFLOW_RUN_TIMEOUT: _ClassVar[TimerTaskKind]
    TIMER_TASK_KIND_WORKFLOW_EXECUTION_TIMEOUT: _ClassVar[TimerTaskKind]
    TIMER_TASK_KIND_SCHEDULE_WAKEUP: _ClassVar[TimerTaskKind]
TIMER_TASK_KIND_UNSPECIFIED: TimerTaskKind
TIMER_TASK_KIND_WORKFLOW_TASK_START_TO_CLOSE: TimerTaskKind
TIMER_TASK_KIND_WORKFLOW_TASK_SCHEDULE_TO_START: TimerTaskKind
TIMER_TASK_KIND_WORKFLOW_TASK_RETRY: TimerTaskKind
TIMER_TASK_KIND_ACTIVITY_START_TO_CLOSE: TimerTaskKind
TIMER_TASK_KIND_ACTIVITY_SCHEDULE_TO_START: TimerTaskKind
TIMER_TASK_KIND_ACTIVITY_SCHEDULE_TO_CLOSE: TimerTaskKind
TIMER_TASK_KIND_ACTIVITY_HEARTBEAT: TimerTaskKind
TIMER_TASK_KIND_ACTIVITY_RETRY: TimerTaskKind
TIMER_TASK_KIND_USER_TIMER: TimerTaskKind
TIMER_TASK_KIND_WORKFLOW_RUN_TIMEOUT: TimerTaskKind
TIMER_TASK_KIND_WORKFLOW_EXECUTION_TIMEOUT: TimerTaskKind
TIMER_TASK_KIND_SCHEDULE_WAKEUP: TimerTaskKind

class WorkflowTaskInfo(_message.Message):
    __slots__ = ("scheduled_event_id", "started_event_id", "attempt", "task_queue", "scheduled_time", "started_time", "identity", "deadline_ns")
    SCHEDULED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    STARTED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    SCHEDULED_TIME_FIELD_NUMBER: _ClassVar[int]
    STARTED_TIME_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_NS_FIELD_NUMBER: _ClassVar[int]
    scheduled_event_id: int
    started_event_id: int
    attempt: int
    task_queue: _common_pb2.TaskQueue
    scheduled_time: _timestamp_pb2.Timestamp
    started_time: _timestamp_pb2.Timestamp
    identity: str
    deadline_ns: int
    def __init__(self, scheduled_event_id: _Optional[int] = ..., started_event_id: _Optional[int] = ..., attempt: _Optional[int] = ..., task_queue: _Optional[_Union[_common_pb2.TaskQueue, _Mapping]] = ..., scheduled_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., started_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., identity: _Optional[str] = ..., deadline_ns: _Optional[int] = ...) -> None: ...

class TimerInfo(_message.Message):
    __slots__ = ("timer_id", "started_event_id", "fire_time")
    TIMER_ID_FIELD_NUMBER: _ClassVar[int]
    STARTED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    FIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    timer_id: str
    started_event_id: int
    fire_time: _timestamp_pb2.Timestamp
    def __init__(self, timer_id: _Optional[str] = ..., started_event_id: _Optional[int] = ..., fire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ExecutionState(_message.Message):
    __slots__ = ("namespace", "workflow_id", "run_id", "first_run_id", "workflow_type", "task_queue", "status", "start_time", "close_time", "next_event_id", "history_size_bytes", "workflow_task", "sticky_task_queue", "sticky_schedule_to_start_timeout", "last_completed_wft_started_event_id", "events_since_wft_started", "timers", "continued_as_new_run_id", "request_id", "workflow_task_timeout", "workflow_run_timeout", "close_event_id", "pending_activity_count", "failed_wft_attempts", "cancel_requested", "metadata", "execution_expiration_time", "last_wft_failure", "updates", "search_keys", "parent", "pending_child_count", "child_counts")
    class TimersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: TimerInfo
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[TimerInfo, _Mapping]] = ...) -> None: ...
    class UpdatesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: UpdateInfo
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[UpdateInfo, _Mapping]] = ...) -> None: ...
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    FIRST_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TYPE_FIELD_NUMBER: _ClassVar[int]
    TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    CLOSE_TIME_FIELD_NUMBER: _ClassVar[int]
    NEXT_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    HISTORY_SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TASK_FIELD_NUMBER: _ClassVar[int]
    STICKY_TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    STICKY_SCHEDULE_TO_START_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    LAST_COMPLETED_WFT_STARTED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    EVENTS_SINCE_WFT_STARTED_FIELD_NUMBER: _ClassVar[int]
    TIMERS_FIELD_NUMBER: _ClassVar[int]
    CONTINUED_AS_NEW_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TASK_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_RUN_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    CLOSE_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    PENDING_ACTIVITY_COUNT_FIELD_NUMBER: _ClassVar[int]
    FAILED_WFT_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    CANCEL_REQUESTED_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_EXPIRATION_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_WFT_FAILURE_FIELD_NUMBER: _ClassVar[int]
    UPDATES_FIELD_NUMBER: _ClassVar[int]
    SEARCH_KEYS_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PENDING_CHILD_COUNT_FIELD_NUMBER: _ClassVar[int]
    CHILD_COUNTS_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    workflow_id: str
    run_id: str
    first_run_id: str
    workflow_type: str
    task_queue: _common_pb2.TaskQueue
    status: _common_pb2.WorkflowExecutionStatus
    start_time: _timestamp_pb2.Timestamp
    close_time: _timestamp_pb2.Timestamp
    next_event_id: int
    history_size_bytes: int
    workflow_task: WorkflowTaskInfo
    sticky_task_queue: _common_pb2.TaskQueue
    sticky_schedule_to_start_timeout: _duration_pb2.Duration
    last_completed_wft_started_event_id: int
    events_since_wft_started: bool
    timers: _containers.MessageMap[str, TimerInfo]
    continued_as_new_run_id: str
    request_id: str
    workflow_task_timeout: _duration_pb2.Duration
    workflow_run_timeout: _duration_pb2.Duration
    close_event_id: int
    pending_activity_count: int
    failed_wft_attempts: int
    cancel_requested: bool
    metadata: _common_pb2.WorkflowMetadata
    execution_expiration_time: _timestamp_pb2.Timestamp
    last_wft_failure: _common_pb2.WorkflowTaskFailureInfo
    updates: _containers.MessageMap[str, UpdateInfo]
    search_keys: _containers.RepeatedCompositeFieldContainer[_common_pb2.SearchKey]
    parent: _common_pb2.ParentExecutionInfo
    pending_child_count: int
    child_counts: ChildWorkflowCounts
    def __init__(self, namespace: _Optional[str] = ..., workflow_id: _Optional[str] = ..., run_id: _Optional[str] = ..., first_run_id: _Optional[str] = ..., workflow_type: _Optional[str] = ..., task_queue: _Optional[_Union[_common_pb2.TaskQueue, _Mapping]] = ..., status: _Optional[_Union[_common_pb2.WorkflowExecutionStatus, str]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., close_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., next_event_id: _Optional[int] = ..., history_size_bytes: _Optional[int] = ..., workflow_task: _Optional[_Union[WorkflowTaskInfo, _Mapping]] = ..., sticky_task_queue: _Optional[_Union[_common_pb2.TaskQueue, _Mapping]] = ..., sticky_schedule_to_start_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., last_completed_wft_started_event_id: _Optional[int] = ..., events_since_wft_started: _Optional[bool] = ..., timers: _Optional[_Mapping[str, TimerInfo]] = ..., continued_as_new_run_id: _Optional[str] = ..., request_id: _Optional[str] = ..., workflow_task_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., workflow_run_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., close_event_id: _Optional[int] = ..., pending_activity_count: _Optional[int] = ..., failed_wft_attempts: _Optional[int] = ..., cancel_requested: _Optional[bool] = ..., metadata: _Optional[_Union[_common_pb2.WorkflowMetadata, _Mapping]] = ..., execution_expiration_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_wft_failure: _Optional[_Union[_common_pb2.WorkflowTaskFailureInfo, _Mapping]] = ..., updates: _Optional[_Mapping[str, UpdateInfo]] = ..., search_keys: _Optional[_Iterable[_Union[_common_pb2.SearchKey, _Mapping]]] = ..., parent: _Optional[_Union[_common_pb2.ParentExecutionInfo, _Mapping]] = ..., pending_child_count: _Optional[int] = ..., child_counts: _Optional[_Union[ChildWorkflowCounts, _Mapping]] = ...) -> None: ...

class ActivityInfo(_message.Message):
    __slots__ = ("scheduled_event_id", "activity_id", "activity_type", "task_queue", "attempt", "started", "started_identity", "started_time", "scheduled_time", "attempt_scheduled_time", "schedule_to_close_timeout", "schedule_to_start_timeout", "start_to_close_timeout", "heartbeat_timeout", "retry_policy", "last_failure", "heartbeat_details", "last_heartbeat_time", "result_sink", "cancel_requested", "rate_limit")
    SCHEDULED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_ID_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_TYPE_FIELD_NUMBER: _ClassVar[int]
    TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    STARTED_FIELD_NUMBER: _ClassVar[int]
    STARTED_IDENTITY_FIELD_NUMBER: _ClassVar[int]
    STARTED_TIME_FIELD_NUMBER: _ClassVar[int]
    SCHEDULED_TIME_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_SCHEDULED_TIME_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_TO_CLOSE_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_TO_START_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    START_TO_CLOSE_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    RETRY_POLICY_FIELD_NUMBER: _ClassVar[int]
    LAST_FAILURE_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_DETAILS_FIELD_NUMBER: _ClassVar[int]
    LAST_HEARTBEAT_TIME_FIELD_NUMBER: _ClassVar[int]
    RESULT_SINK_FIELD_NUMBER: _ClassVar[int]
    CANCEL_REQUESTED_FIELD_NUMBER: _ClassVar[int]
    RATE_LIMIT_FIELD_NUMBER: _ClassVar[int]
    scheduled_event_id: int
    activity_id: str
    activity_type: str
    task_queue: _common_pb2.TaskQueue
    attempt: int
    started: bool
    started_identity: str
    started_time: _timestamp_pb2.Timestamp
    scheduled_time: _timestamp_pb2.Timestamp
    attempt_scheduled_time: _timestamp_pb2.Timestamp
    schedule_to_close_timeout: _duration_pb2.Duration
    schedule_to_start_timeout: _duration_pb2.Duration
    start_to_close_timeout: _duration_pb2.Duration
    heartbeat_timeout: _duration_pb2.Duration
    retry_policy: _common_pb2.RetryPolicy
    last_failure: _common_pb2.Failure
    heartbeat_details: _common_pb2.Payload
    last_heartbeat_time: _timestamp_pb2.Timestamp
    result_sink: _common_pb2.ResultSink
    cancel_requested: bool
    rate_limit: _common_pb2.ActivityRateLimit
    def __init__(self, scheduled_event_id: _Optional[int] = ..., activity_id: _Optional[str] = ..., activity_type: _Optional[str] = ..., task_queue: _Optional[_Union[_common_pb2.TaskQueue, _Mapping]] = ..., attempt: _Optional[int] = ..., started: _Optional[bool] = ..., started_identity: _Optional[str] = ..., started_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., scheduled_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., attempt_scheduled_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., schedule_to_close_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., schedule_to_start_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., start_to_close_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., heartbeat_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., retry_policy: _Optional[_Union[_common_pb2.RetryPolicy, _Mapping]] = ..., last_failure: _Optional[_Union[_common_pb2.Failure, _Mapping]] = ..., heartbeat_details: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ..., last_heartbeat_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., result_sink: _Optional[_Union[_common_pb2.ResultSink, _Mapping]] = ..., cancel_requested: _Optional[bool] = ..., rate_limit: _Optional[_Union[_common_pb2.ActivityRateLimit, _Mapping]] = ...) -> None: ...

class TimerTask(_message.Message):
    __slots__ = ("kind", "namespace", "workflow_id", "run_id", "event_id", "attempt", "timer_id", "deadline_ns")
    KIND_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    TIMER_ID_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_NS_FIELD_NUMBER: _ClassVar[int]
    kind: TimerTaskKind
    namespace: str
    workflow_id: str
    run_id: str
    event_id: int
    attempt: int
    timer_id: str
    deadline_ns: int
    def __init__(self, kind: _Optional[_Union[TimerTaskKind, str]] = ..., namespace: _Optional[str] = ..., workflow_id: _Optional[str] = ..., run_id: _Optional[str] = ..., event_id: _Optional[int] = ..., attempt: _Optional[int] = ..., timer_id: _Optional[str] = ..., deadline_ns: _Optional[int] = ...) -> None: ...

class UpdateInfo(_message.Message):
    __slots__ = ("update_id", "name", "accepted_event_id", "completed_event_id", "abandoned")
    UPDATE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    ABANDONED_FIELD_NUMBER: _ClassVar[int]
    update_id: str
    name: str
    accepted_event_id: int
    completed_event_id: int
    abandoned: _common_pb2.Failure
    def __init__(self, update_id: _Optional[str] = ..., name: _Optional[str] = ..., accepted_event_id: _Optional[int] = ..., completed_event_id: _Optional[int] = ..., abandoned: _Optional[_Union[_common_pb2.Failure, _Mapping]] = ...) -> None: ...

class ChildExecutionInfo(_message.Message):
    __slots__ = ("initiated_event_id", "namespace", "workflow_id", "workflow_type", "task_queue", "parent_close_policy", "create_request_id", "started_event_id", "run_id", "initiated_time", "started_time", "cancel_initiated_event_id")
    INITIATED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TYPE_FIELD_NUMBER: _ClassVar[int]
    TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    PARENT_CLOSE_POLICY_FIELD_NUMBER: _ClassVar[int]
    CREATE_REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STARTED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    INITIATED_TIME_FIELD_NUMBER: _ClassVar[int]
    STARTED_TIME_FIELD_NUMBER: _ClassVar[int]
    CANCEL_INITIATED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    initiated_event_id: int
    namespace: str
    workflow_id: str
    workflow_type: str
    task_queue: str
    parent_close_policy: _common_pb2.ParentClosePolicy
    create_request_id: str
    started_event_id: int
    run_id: str
    initiated_time: _timestamp_pb2.Timestamp
    started_time: _timestamp_pb2.Timestamp
    cancel_initiated_event_id: int
    def __init__(self, initiated_event_id: _Optional[int] = ..., namespace: _Optional[str] = ..., workflow_id: _Optional[str] = ..., workflow_type: _Optional[str] = ..., task_queue: _Optional[str] = ..., parent_close_policy: _Optional[_Union[_common_pb2.ParentClosePolicy, str]] = ..., create_request_id: _Optional[str] = ..., started_event_id: _Optional[int] = ..., run_id: _Optional[str] = ..., initiated_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., started_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., cancel_initiated_event_id: _Optional[int] = ...) -> None: ...

class ChildWorkflowCounts(_message.Message):
    __slots__ = ("initiated", "started", "start_failed", "completed", "failed", "canceled", "timed_out", "terminated")
    INITIATED_FIELD_NUMBER: _ClassVar[int]
    STARTED_FIELD_NUMBER: _ClassVar[int]
    START_FAILED_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    CANCELED_FIELD_NUMBER: _ClassVar[int]
    TIMED_OUT_FIELD_NUMBER: _ClassVar[int]
    TERMINATED_FIELD_NUMBER: _ClassVar[int]
    initiated: int
    started: int
    start_failed: int
    completed: int
    failed: int
    canceled: int
    timed_out: int
    terminated: int
    def __init__(self, initiated: _Optional[int] = ..., started: _Optional[int] = ..., start_failed: _Optional[int] = ..., completed: _Optional[int] = ..., failed: _Optional[int] = ..., canceled: _Optional[int] = ..., timed_out: _Optional[int] = ..., terminated: _Optional[int] = ...) -> None: ...
