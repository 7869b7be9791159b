import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from protos import common_pb2 as _common_pb2
from protos import schedule_pb2 as _schedule_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class WorkflowIdReusePolicy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WORKFLOW_ID_REUSE_POLICY_UNSPECIFIED: _ClassVar[WorkflowIdReusePolicy]
    WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE: _ClassVar[WorkflowIdReusePolicy]
    WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY: _ClassVar[WorkflowIdReusePolicy]
    WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE: _ClassVar[WorkflowIdReusePolicy]
    WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING: _ClassVar[WorkflowIdReusePolicy]

class QueryResultType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    QUERY_RESULT_TYPE_UNSPECIFIED: _ClassVar[QueryResultType]
    QUERY_RESULT_TYPE_ANSWERED: _ClassVar[QueryResultType]
    QUERY_RESULT_TYPE_FAILED: _ClassVar[QueryResultType]

class UpdateWorkflowExecutionLifecycleStage(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_UNSPECIFIED: _ClassVar[UpdateWorkflowExecutionLifecycleStage]
    UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED: _ClassVar[UpdateWorkflowExecutionLifecycleStage]
    UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED: _ClassVar[UpdateWorkflowExecutionLifecycleStage]

class CountGroupBy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COUNT_GROUP_BY_UNSPECIFIED: _ClassVar[CountGroupBy]
    COUNT_GROUP_BY_STATUS: _ClassVar[CountGroupBy]
    COUNT_GROUP_BY_WORKFLOW_TYPE: _ClassVar[CountGroupBy]

class TaskStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TASK_STATUS_UNSPECIFIED: _ClassVar[TaskStatus]
    TASK_STATUS_STARTED: _ClassVar[TaskStatus]
    TASK_STATUS_IN_PROGRESS: _ClassVar[TaskStatus]
    TASK_STATUS_COMPLETED: _ClassVar[TaskStatus]
    TASK_STATUS_FAILED: _ClassVar[TaskStatus]
WORKFLOW_ID_REUSE_POLICY_UNSPECIFIED: WorkflowIdReusePolicy
WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE: WorkflowIdReusePolicy
WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY: WorkflowIdReusePolicy
WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE: WorkflowIdReusePolicy
WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING: WorkflowIdReusePolicy
QUERY_RESULT_TYPE_UNSPECIFIED: QueryResultType
QUERY_RESULT_TYPE_ANSWERED: QueryResultType
QUERY_RESULT_TYPE_FAILED: QueryResultType
UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_UNSPECIFIED: UpdateWorkflowExecutionLifecycleStage
UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED: UpdateWorkflowExecutionLifecycleStage
UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED: UpdateWorkflowExecutionLifecycleStage
COUNT_GROUP_BY_UNSPECIFIED: CountGroupBy
COUNT_GROUP_BY_STATUS: CountGroupBy
COUNT_GROUP_BY_WORKFLOW_TYPE: CountGroupBy
TASK_STATUS_UNSPECIFIED: TaskStatus
TASK_STATUS_STARTED: TaskStatus
TASK_STATUS_IN_PROGRESS: TaskStatus
TASK_STATUS_COMPLETED: TaskStatus
TASK_STATUS_FAILED: TaskStatus

class StartWorkflowExecutionRequest(_message.Message):
    __slots__ = ("namespace", "workflow_id", "workflow_type", "task_queue", "input", "workflow_execution_timeout", "workflow_run_timeout", "workflow_task_timeout", "identity", "request_id", "workflow_id_reuse_policy", "metadata", "schedule_id", "scheduled_time", "search_keys", "parent")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TYPE_FIELD_NUMBER: _ClassVar[int]
    TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_EXECUTION_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_RUN_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TASK_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_REUSE_POLICY_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    SCHEDULED_TIME_FIELD_NUMBER: _ClassVar[int]
    SEARCH_KEYS_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    workflow_id: str
    workflow_type: _common_pb2.WorkflowType
    task_queue: _common_pb2.TaskQueue
    input: _common_pb2.Payload
    workflow_execution_timeout: _duration_pb2.Duration
    workflow_run_timeout: _duration_pb2.Duration
    workflow_task_timeout: _duration_pb2.Duration
    identity: str
    request_id: str
    workflow_id_reuse_policy: WorkflowIdReusePolicy
    metadata: _common_pb2.WorkflowMetadata
    schedule_id: str
    scheduled_time: _timestamp_pb2.Timestamp
    search_keys: _containers.RepeatedCompositeFieldContainer[_common_pb2.SearchKey]
    parent: _common_pb2.ParentExecutionInfo
    def __init__(self, namespace: _Optional[str] = ..., workflow_id: _Optional[str] = ..., workflow_type: _Optional[_Union[_common_pb2.WorkflowType, _Mapping]] = ..., task_queue: _Optional[_Union[_common_pb2.TaskQueue, _Mapping]] = ..., input: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ..., workflow_execution_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., workflow_run_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., workflow_task_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., identity: _Optional[str] = ..., request_id: _Optional[str] = ..., workflow_id_reuse_policy: _Optional[_Union[WorkflowIdReusePolicy, str]] = ..., metadata: _Optional[_Union[_common_pb2.WorkflowMetadata, _Mapping]] = ..., schedule_id: _Optional[str] = ..., scheduled_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., search_keys: _Optional[_Iterable[_Union[_common_pb2.SearchKey, _Mapping]]] = ..., parent: _Optional[_Union[_common_pb2.ParentExecutionInfo, _Mapping]] = ...) -> None: ...

class StartWorkflowExecutionResponse(_message.Message):
    __slots__ = ("run_id", "shard_id")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    SHARD_ID_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    shard_id: int
    def __init__(self, run_id: _Optional[str] = ..., shard_id: _Optional[int] = ...) -> None: ...

class GetWorkflowResultRequest(_message.Message):
    __slots__ = ("namespace", "execution", "wait_timeout", "follow_runs")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    WAIT_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_RUNS_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    execution: _common_pb2.WorkflowExecution
    wait_timeout: _duration_pb2.Duration
    follow_runs: bool
    def __init__(self, namespace: _Optional[str] = ..., execution: _Optional[_Union[_common_pb2.WorkflowExecution, _Mapping]] = ..., wait_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., follow_runs: _Optional[bool] = ...) -> None: ...

class GetWorkflowResultResponse(_message.Message):
    __slots__ = ("status", "result", "failure", "execution", "termination_reason")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    TERMINATION_REASON_FIELD_NUMBER: _ClassVar[int]
    status: _common_pb2.WorkflowExecutionStatus
    result: _common_pb2.Payload
    failure: _common_pb2.Failure
    execution: _common_pb2.WorkflowExecution
    termination_reason: str
    def __init__(self, status: _Optional[_Union[_common_pb2.WorkflowExecutionStatus, str]] = ..., result: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ..., failure: _Optional[_Union[_common_pb2.Failure, _Mapping]] = ..., execution: _Optional[_Union[_common_pb2.WorkflowExecution, _Mapping]] = ..., termination_reason: _Optional[str] = ...) -> None: ...

class PendingActivityInfo(_message.Message):
    __slots__ = ("activity_id", "activity_type", "scheduled_event_id", "started", "attempt", "last_worker_identity", "last_failure", "heartbeat_details", "last_heartbeat_time", "scheduled_time", "started_time")
    ACTIVITY_ID_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_TYPE_FIELD_NUMBER: _ClassVar[int]
    SCHEDULED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    STARTED_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    LAST_WORKER_IDENTITY_FIELD_NUMBER: _ClassVar[int]
    LAST_FAILURE_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_DETAILS_FIELD_NUMBER: _ClassVar[int]
    LAST_HEARTBEAT_TIME_FIELD_NUMBER: _ClassVar[int]
    SCHEDULED_TIME_FIELD_NUMBER: _ClassVar[int]
    STARTED_TIME_FIELD_NUMBER: _ClassVar[int]
    activity_id: str
    activity_type: _common_pb2.ActivityType
    scheduled_event_id: int
    started: bool
    attempt: int
    last_worker_identity: str
    last_failure: _common_pb2.Failure
    heartbeat_details: _common_pb2.Payload
    last_heartbeat_time: _timestamp_pb2.Timestamp
    scheduled_time: _timestamp_pb2.Timestamp
    started_time: _timestamp_pb2.Timestamp
    def __init__(self, activity_id: _Optional[str] = ..., activity_type: _Optional[_Union[_common_pb2.ActivityType, _Mapping]] = ..., scheduled_event_id: _Optional[int] = ..., started: _Optional[bool] = ..., attempt: _Optional[int] = ..., last_worker_identity: _Optional[str] = ..., last_failure: _Optional[_Union[_common_pb2.Failure, _Mapping]] = ..., heartbeat_details: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ..., last_heartbeat_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., scheduled_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., started_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class WorkflowExecutionInfo(_message.Message):
    __slots__ = ("execution", "type", "task_queue", "status", "start_time", "close_time", "history_length", "history_size_bytes", "shard_id", "first_run_id", "pending_activity_count", "metadata", "last_workflow_task_failure", "execution_expiration_time", "search_keys", "parent_execution", "parent_initiated_event_id", "pending_child_count", "pending_children")
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    CLOSE_TIME_FIELD_NUMBER: _ClassVar[int]
    HISTORY_LENGTH_FIELD_NUMBER: _ClassVar[int]
    HISTORY_SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    SHARD_ID_FIELD_NUMBER: _ClassVar[int]
    FIRST_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    PENDING_ACTIVITY_COUNT_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    LAST_WORKFLOW_TASK_FAILURE_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_EXPIRATION_TIME_FIELD_NUMBER: _ClassVar[int]
    SEARCH_KEYS_FIELD_NUMBER: _ClassVar[int]
    PARENT_EXECUTION_FIELD_NUMBER: _ClassVar[int]
    PARENT_INITIATED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    PENDING_CHILD_COUNT_FIELD_NUMBER: _ClassVar[int]
    PENDING_CHILDREN_FIELD_NUMBER: _ClassVar[int]
    execution: _common_pb2.WorkflowExecution
    type: _common_pb2.WorkflowType
    task_queue: _common_pb2.TaskQueue
    status: _common_pb2.WorkflowExecutionStatus
    start_time: _timestamp_pb2.Timestamp
    close_time: _timestamp_pb2.Timestamp
    history_length: int
    history_size_bytes: int
    shard_id: int
    first_run_id: str
    pending_activity_count: int
    metadata: _common_pb2.WorkflowMetadata
    last_workflow_task_failure: _common_pb2.WorkflowTaskFailureInfo
    execution_expiration_time: _timestamp_pb2.Timestamp
    search_keys: _containers.RepeatedCompositeFieldContainer[_common_pb2.SearchKey]
    parent_execution: _common_pb2.WorkflowExecution
    parent_initiated_event_id: int
    pending_child_count: int
    pending_children: _containers.RepeatedCompositeFieldContainer[PendingChildExecutionInfo]
    def __init__(self, execution: _Optional[_Union[_common_pb2.WorkflowExecution, _Mapping]] = ..., type: _Optional[_Union[_common_pb2.WorkflowType, _Mapping]] = ..., task_queue: _Optional[_Union[_common_pb2.TaskQueue, _Mapping]] = ..., status: _Optional[_Union[_common_pb2.WorkflowExecutionStatus, str]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., close_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., history_length: _Optional[int] = ..., history_size_bytes: _Optional[int] = ..., shard_id: _Optional[int] = ..., first_run_id: _Optional[str] = ..., pending_activity_count: _Optional[int] = ..., metadata: _Optional[_Union[_common_pb2.WorkflowMetadata, _Mapping]] = ..., last_workflow_task_failure: _Optional[_Union[_common_pb2.WorkflowTaskFailureInfo, _Mapping]] = ..., execution_expiration_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., search_keys: _Optional[_Iterable[_Union[_common_pb2.SearchKey, _Mapping]]] = ..., parent_execution: _Optional[_Union[_common_pb2.WorkflowExecution, _Mapping]] = ..., parent_initiated_event_id: _Optional[int] = ..., pending_child_count: _Optional[int] = ..., pending_children: _Optional[_Iterable[_Union[PendingChildExecutionInfo, _Mapping]]] = ...) -> None: ...

class DescribeWorkflowExecutionRequest(_message.Message):
    __slots__ = ("namespace", "execution")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    execution: _common_pb2.WorkflowExecution
    def __init__(self, namespace: _Optional[str] = ..., execution: _Optional[_Union[_common_pb2.WorkflowExecution, _Mapping]] = ...) -> None: ...

class DescribeWorkflowExecutionResponse(_message.Message):
    __slots__ = ("info", "pending_activities")
    INFO_FIELD_NUMBER: _ClassVar[int]
    PENDING_ACTIVITIES_FIELD_NUMBER: _ClassVar[int]
    info: WorkflowExecutionInfo
    pending_activities: _containers.RepeatedCompositeFieldContainer[PendingActivityInfo]
    def __init__(self, info: _Optional[_Union[WorkflowExecutionInfo, _Mapping]] = ..., pending_activities: _Optional[_Iterable[_Union[PendingActivityInfo, _Mapping]]] = ...) -> None: ...

class GetWorkflowExecutionHistoryRequest(_message.Message):
    __slots__ = ("namespace", "execution", "maximum_page_size", "next_page_token", "first_event_id")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    MAXIMUM_PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    FIRST_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    execution: _common_pb2.WorkflowExecution
    maximum_page_size: int
    next_page_token: bytes
    first_event_id: int
    def __init__(self, namespace: _Optional[str] = ..., execution: _Optional[_Union[_common_pb2.WorkflowExecution, _Mapping]] = ..., maximum_page_size: _Optional[int] = ..., next_page_token: _Optional[bytes] = ..., first_event_id: _Optional[int] = ...) -> None: ...

class GetWorkflowExecutionHistoryResponse(_message.Message):
    __slots__ = ("history", "next_page_token")
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    history: _common_pb2.History
    next_page_token: bytes
    def __init__(self, history: _Optional[_Union[_common_pb2.History, _Mapping]] = ..., next_page_token: _Optional[bytes] = ...) -> None: ...

class ListWorkflowExecutionsRequest(_message.Message):
    __slots__ = ("namespace", "page_size", "next_page_token", "status_filter", "workflow_type_filter", "start_time_from", "start_time_to", "workflow_id_prefix", "display_name_filter", "search_key_filters")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATUS_FILTER_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TYPE_FILTER_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FROM_FIELD_NUMBER: _ClassVar[int]
    START_TIME_TO_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_PREFIX_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FILTER_FIELD_NUMBER: _ClassVar[int]
    SEARCH_KEY_FILTERS_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    page_size: int
    next_page_token: bytes
    status_filter: _common_pb2.WorkflowExecutionStatus
    workflow_type_filter: str
    start_time_from: _timestamp_pb2.Timestamp
    start_time_to: _timestamp_pb2.Timestamp
    workflow_id_prefix: str
    display_name_filter: str
    search_key_filters: _containers.RepeatedCompositeFieldContainer[_common_pb2.SearchKey]
    def __init__(self, namespace: _Optional[str] = ..., page_size: _Optional[int] = ..., next_page_token: _Optional[bytes] = ..., status_filter: _Optional[_Union[_common_pb2.WorkflowExecutionStatus, str]] = ..., workflow_type_filter: _Optional[str] = ..., start_time_from: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., start_time_to: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., workflow_id_prefix: _Optional[str] = ..., display_name_filter: _Optional[str] = ..., search_key_filters: _Optional[_Iterable[_Union[_common_pb2.SearchKey, _Mapping]]] = ...) -> None: ...

class ListWorkflowExecutionsResponse(_message.Message):
    __slots__ = ("executions", "next_page_token")
    EXECUTIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    executions: _containers.RepeatedCompositeFieldContainer[WorkflowExecutionInfo]
    next_page_token: bytes
    def __init__(self, executions: _Optional[_Iterable[_Union[WorkflowExecutionInfo, _Mapping]]] = ..., next_page_token: _Optional[bytes] = ...) -> None: ...

class TerminateWorkflowExecutionRequest(_message.Message):
    __slots__ = ("namespace", "execution", "reason", "identity")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    execution: _common_pb2.WorkflowExecution
    reason: str
    identity: str
    def __init__(self, namespace: _Optional[str] = ..., execution: _Optional[_Union[_common_pb2.WorkflowExecution, _Mapping]] = ..., reason: _Optional[str] = ..., identity: _Optional[str] = ...) -> None: ...

class TerminateWorkflowExecutionResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class RequestCancelWorkflowExecutionRequest(_message.Message):
    __slots__ = ("namespace", "execution", "reason", "identity")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    execution: _common_pb2.WorkflowExecution
    reason: str
    identity: str
    def __init__(self, namespace: _Optional[str] = ..., execution: _Optional[_Union[_common_pb2.WorkflowExecution, _Mapping]] = ..., reason: _Optional[str] = ..., identity: _Optional[str] = ...) -> None: ...

class RequestCancelWorkflowExecutionResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SignalWorkflowExecutionRequest(_message.Message):
    __slots__ = ("namespace", "execution", "signal_name", "input", "identity")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    SIGNAL_NAME_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    execution: _common_pb2.WorkflowExecution
    signal_name: str
    input: _common_pb2.Payload
    identity: str
    def __init__(self, namespace: _Optional[str] = ..., execution: _Optional[_Union[_common_pb2.WorkflowExecution, _Mapping]] = ..., signal_name: _Optional[str] = ..., input: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ..., identity: _Optional[str] = ...) -> None: ...

class SignalWorkflowExecutionResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class PollWorkflowTaskQueueRequest(_message.Message):
    __slots__ = ("namespace", "task_queue", "identity")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    task_queue: _common_pb2.TaskQueue
    identity: str
    def __init__(self, namespace: _Optional[str] = ..., task_queue: _Optional[_Union[_common_pb2.TaskQueue, _Mapping]] = ..., identity: _Optional[str] = ...) -> None: ...

class PollWorkflowTaskQueueResponse(_message.Message):
    __slots__ = ("task_token", "workflow_execution", "workflow_type", "previous_started_event_id", "started_event_id", "attempt", "history", "scheduled_time", "started_time", "task_queue", "partition", "query", "query_state_event_id")
    TASK_TOKEN_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_EXECUTION_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TYPE_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_STARTED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    STARTED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    SCHEDULED_TIME_FIELD_NUMBER: _ClassVar[int]
    STARTED_TIME_FIELD_NUMBER: _ClassVar[int]
    TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    QUERY_STATE_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    task_token: bytes
    workflow_execution: _common_pb2.WorkflowExecution
    workflow_type: _common_pb2.WorkflowType
    previous_started_event_id: int
    started_event_id: int
    attempt: int
    history: _common_pb2.History
    scheduled_time: _timestamp_pb2.Timestamp
    started_time: _timestamp_pb2.Timestamp
    task_queue: _common_pb2.TaskQueue
    partition: int
    query: _common_pb2.WorkflowQuery
    query_state_event_id: int
    def __init__(self, task_token: _Optional[bytes] = ..., workflow_execution: _Optional[_Union[_common_pb2.WorkflowExecution, _Mapping]] = ..., workflow_type: _Optional[_Union[_common_pb2.WorkflowType, _Mapping]] = ..., previous_started_event_id: _Optional[int] = ..., started_event_id: _Optional[int] = ..., attempt: _Optional[int] = ..., history: _Optional[_Union[_common_pb2.History, _Mapping]] = ..., scheduled_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., started_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., task_queue: _Optional[_Union[_common_pb2.TaskQueue, _Mapping]] = ..., partition: _Optional[int] = ..., query: _Optional[_Union[_common_pb2.WorkflowQuery, _Mapping]] = ..., query_state_event_id: _Optional[int] = ...) -> None: ...

class StickyExecutionAttributes(_message.Message):
    __slots__ = ("worker_task_queue", "schedule_to_start_timeout")
    WORKER_TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_TO_START_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    worker_task_queue: _common_pb2.TaskQueue
    schedule_to_start_timeout: _duration_pb2.Duration
    def __init__(self, worker_task_queue: _Optional[_Union[_common_pb2.TaskQueue, _Mapping]] = ..., schedule_to_start_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class RespondWorkflowTaskCompletedRequest(_message.Message):
    __slots__ = ("namespace", "task_token", "commands", "identity", "sticky_attributes", "return_new_workflow_task")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    TASK_TOKEN_FIELD_NUMBER: _ClassVar[int]
    COMMANDS_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    STICKY_ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    RETURN_NEW_WORKFLOW_TASK_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    task_token: bytes
    commands: _containers.RepeatedCompositeFieldContainer[_common_pb2.Command]
    identity: str
    sticky_attributes: StickyExecutionAttributes
    return_new_workflow_task: bool
    def __init__(self, namespace: _Optional[str] = ..., task_token: _Optional[bytes] = ..., commands: _Optional[_Iterable[_Union[_common_pb2.Command, _Mapping]]] = ..., identity: _Optional[str] = ..., sticky_attributes: _Optional[_Union[StickyExecutionAttributes, _Mapping]] = ..., return_new_workflow_task: _Optional[bool] = ...) -> None: ...

class RespondWorkflowTaskCompletedResponse(_message.Message):
    __slots__ = ("workflow_task", "activity_tasks")
    WORKFLOW_TASK_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_TASKS_FIELD_NUMBER: _ClassVar[int]
    workflow_task: PollWorkflowTaskQueueResponse
    activity_tasks: _containers.RepeatedCompositeFieldContainer[PollActivityTaskQueueResponse]
    def __init__(self, workflow_task: _Optional[_Union[PollWorkflowTaskQueueResponse, _Mapping]] = ..., activity_tasks: _Optional[_Iterable[_Union[PollActivityTaskQueueResponse, _Mapping]]] = ...) -> None: ...

class RespondWorkflowTasksCompletedRequest(_message.Message):
    __slots__ = ("namespace", "completions")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    COMPLETIONS_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    completions: _containers.RepeatedCompositeFieldContainer[RespondWorkflowTaskCompletedRequest]
    def __init__(self, namespace: _Optional[str] = ..., completions: _Optional[_Iterable[_Union[RespondWorkflowTaskCompletedRequest, _Mapping]]] = ...) -> None: ...

class WorkflowTaskCompletionOutcome(_message.Message):
    __slots__ = ("code", "message", "response")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    code: int
    message: str
    response: RespondWorkflowTaskCompletedResponse
    def __init__(self, code: _Optional[int] = ..., message: _Optional[str] = ..., response: _Optional[_Union[RespondWorkflowTaskCompletedResponse, _Mapping]] = ...) -> None: ...

class RespondWorkflowTasksCompletedResponse(_message.Message):
    __slots__ = ("outcomes",)
    OUTCOMES_FIELD_NUMBER: _ClassVar[int]
    outcomes: _containers.RepeatedCompositeFieldContainer[WorkflowTaskCompletionOutcome]
    def __init__(self, outcomes: _Optional[_Iterable[_Union[WorkflowTaskCompletionOutcome, _Mapping]]] = ...) -> None: ...

class RespondWorkflowTaskFailedRequest(_message.Message):
    __slots__ = ("namespace", "task_token", "cause", "failure", "identity")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    TASK_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CAUSE_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    task_token: bytes
    cause: _common_pb2.WorkflowTaskFailedCause
    failure: _common_pb2.Failure
    identity: str
    def __init__(self, namespace: _Optional[str] = ..., task_token: _Optional[bytes] = ..., cause: _Optional[_Union[_common_pb2.WorkflowTaskFailedCause, str]] = ..., failure: _Optional[_Union[_common_pb2.Failure, _Mapping]] = ..., identity: _Optional[str] = ...) -> None: ...

class RespondWorkflowTaskFailedResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class PollActivityTaskQueueRequest(_message.Message):
    __slots__ = ("namespace", "task_queue", "identity", "rate_limited")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    RATE_LIMITED_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    task_queue: _common_pb2.TaskQueue
    identity: str
    rate_limited: bool
    def __init__(self, namespace: _Optional[str] = ..., task_queue: _Optional[_Union[_common_pb2.TaskQueue, _Mapping]] = ..., identity: _Optional[str] = ..., rate_limited: _Optional[bool] = ...) -> None: ...

class PollActivityTaskQueueResponse(_message.Message):
    __slots__ = ("task_token", "workflow_execution", "workflow_type", "activity_id", "activity_type", "input", "attempt", "heartbeat_details", "scheduled_time", "started_time", "start_to_close_timeout", "heartbeat_timeout", "schedule_to_close_timeout", "partition", "task_queue", "result_sink")
    TASK_TOKEN_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_EXECUTION_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TYPE_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_ID_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_TYPE_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_DETAILS_FIELD_NUMBER: _ClassVar[int]
    SCHEDULED_TIME_FIELD_NUMBER: _ClassVar[int]
    STARTED_TIME_FIELD_NUMBER: _ClassVar[int]
    START_TO_CLOSE_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_TO_CLOSE_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    RESULT_SINK_FIELD_NUMBER: _ClassVar[int]
    task_token: bytes
    workflow_execution: _common_pb2.WorkflowExecution
    workflow_type: _common_pb2.WorkflowType
    activity_id: str
    activity_type: _common_pb2.ActivityType
    input: _common_pb2.Payload
    attempt: int
    heartbeat_details: _common_pb2.Payload
    scheduled_time: _timestamp_pb2.Timestamp
    started_time: _timestamp_pb2.Timestamp
    start_to_close_timeout: _duration_pb2.Duration
    heartbeat_timeout: _duration_pb2.Duration
    schedule_to_close_timeout: _duration_pb2.Duration
    partition: int
    task_queue: _common_pb2.TaskQueue
    result_sink: _common_pb2.ResultSink
    def __init__(self, task_token: _Optional[bytes] = ..., workflow_execution: _Optional[_Union[_common_pb2.WorkflowExecution, _Mapping]] = ..., workflow_type: _Optional[_Union[_common_pb2.WorkflowType, _Mapping]] = ..., activity_id: _Optional[str] = ..., activity_type: _Optional[_Union[_common_pb2.ActivityType, _Mapping]] = ..., input: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ..., attempt: _Optional[int] = ..., heartbeat_details: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ..., scheduled_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., started_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., start_to_close_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., heartbeat_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., schedule_to_close_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., partition: _Optional[int] = ..., task_queue: _Optional[_Union[_common_pb2.TaskQueue, _Mapping]] = ..., result_sink: _Optional[_Union[_common_pb2.ResultSink, _Mapping]] = ...) -> None: ...

class RespondActivityTaskCompletedRequest(_message.Message):
    __slots__ = ("namespace", "task_token", "result", "identity", "sticky_task_queue")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    TASK_TOKEN_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    STICKY_TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    task_token: bytes
    result: _common_pb2.Payload
    identity: str
    sticky_task_queue: str
    def __init__(self, namespace: _Optional[str] = ..., task_token: _Optional[bytes] = ..., result: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ..., identity: _Optional[str] = ..., sticky_task_queue: _Optional[str] = ...) -> None: ...

class RespondActivityTaskCompletedResponse(_message.Message):
    __slots__ = ("workflow_task",)
    WORKFLOW_TASK_FIELD_NUMBER: _ClassVar[int]
    workflow_task: PollWorkflowTaskQueueResponse
    def __init__(self, workflow_task: _Optional[_Union[PollWorkflowTaskQueueResponse, _Mapping]] = ...) -> None: ...

class RespondActivityTasksCompletedRequest(_message.Message):
    __slots__ = ("namespace", "completions")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    COMPLETIONS_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    completions: _containers.RepeatedCompositeFieldContainer[RespondActivityTaskCompletedRequest]
    def __init__(self, namespace: _Optional[str] = ..., completions: _Optional[_Iterable[_Union[RespondActivityTaskCompletedRequest, _Mapping]]] = ...) -> None: ...

class ActivityCompletionOutcome(_message.Message):
    __slots__ = ("code", "message", "workflow_task")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TASK_FIELD_NUMBER: _ClassVar[int]
    code: int
    message: str
    workflow_task: PollWorkflowTaskQueueResponse
    def __init__(self, code: _Optional[int] = ..., message: _Optional[str] = ..., workflow_task: _Optional[_Union[PollWorkflowTaskQueueResponse, _Mapping]] = ...) -> None: ...

class RespondActivityTasksCompletedResponse(_message.Message):
    __slots__ = ("outcomes",)
    OUTCOMES_FIELD_NUMBER: _ClassVar[int]
    outcomes: _containers.RepeatedCompositeFieldContainer[ActivityCompletionOutcome]
    def __init__(self, outcomes: _Optional[_Iterable[_Union[ActivityCompletionOutcome, _Mapping]]] = ...) -> None: ...

class RespondActivityTaskFailedRequest(_message.Message):
    __slots__ = ("namespace", "task_token", "failure", "identity", "last_heartbeat_details")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    TASK_TOKEN_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    LAST_HEARTBEAT_DETAILS_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    task_token: bytes
    failure: _common_pb2.Failure
    identity: str
    last_heartbeat_details: _common_pb2.Payload
    def __init__(self, namespace: _Optional[str] = ..., task_token: _Optional[bytes] = ..., failure: _Optional[_Union[_common_pb2.Failure, _Mapping]] = ..., identity: _Optional[str] = ..., last_heartbeat_details: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ...) -> None: ...

class RespondActivityTaskFailedResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class RespondActivityTaskCanceledRequest(_message.Message):
    __slots__ = ("namespace", "task_token", "details", "identity")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    TASK_TOKEN_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    task_token: bytes
    details: _common_pb2.Payload
    identity: str
    def __init__(self, namespace: _Optional[str] = ..., task_token: _Optional[bytes] = ..., details: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ..., identity: _Optional[str] = ...) -> None: ...

class RespondActivityTaskCanceledResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class RecordWorkflowTaskHeartbeatRequest(_message.Message):
    __slots__ = ("namespace", "task_token", "identity")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    TASK_TOKEN_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    task_token: bytes
    identity: str
    def __init__(self, namespace: _Optional[str] = ..., task_token: _Optional[bytes] = ..., identity: _Optional[str] = ...) -> None: ...

class RecordWorkflowTaskHeartbeatResponse(_message.Message):
    __slots__ = ("deadline", "at_cap")
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    AT_CAP_FIELD_NUMBER: _ClassVar[int]
    deadline: _timestamp_pb2.Timestamp
    at_cap: bool
    def __init__(self, deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., at_cap: _Optional[bool] = ...) -> None: ...

class RecordActivityTaskHeartbeatRequest(_message.Message):
    __slots__ = ("namespace", "task_token", "details", "identity")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    TASK_TOKEN_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    task_token: bytes
    details: _common_pb2.Payload
    identity: str
    def __init__(self, namespace: _Optional[str] = ..., task_token: _Optional[bytes] = ..., details: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ..., identity: _Optional[str] = ...) -> None: ...

class RecordActivityTaskHeartbeatResponse(_message.Message):
    __slots__ = ("cancel_requested",)
    CANCEL_REQUESTED_FIELD_NUMBER: _ClassVar[int]
    cancel_requested: bool
    def __init__(self, cancel_requested: _Optional[bool] = ...) -> None: ...

class IndexedPayload(_message.Message):
    __slots__ = ("index", "payload")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    index: int
    payload: _common_pb2.Payload
    def __init__(self, index: _Optional[int] = ..., payload: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ...) -> None: ...

class PutParallelResultsRequest(_message.Message):
    __slots__ = ("namespace", "workflow_id", "executor_id", "results", "failed_attempts", "item_failures")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    EXECUTOR_ID_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    FAILED_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    ITEM_FAILURES_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    workflow_id: str
    executor_id: str
    results: _containers.RepeatedCompositeFieldContainer[IndexedPayload]
    failed_attempts: int
    item_failures: _containers.RepeatedCompositeFieldContainer[ExecutorItemFailure]
    def __init__(self, namespace: _Optional[str] = ..., workflow_id: _Optional[str] = ..., executor_id: _Optional[str] = ..., results: _Optional[_Iterable[_Union[IndexedPayload, _Mapping]]] = ..., failed_attempts: _Optional[int] = ..., item_failures: _Optional[_Iterable[_Union[ExecutorItemFailure, _Mapping]]] = ...) -> None: ...

class PutParallelResultsResponse(_message.Message):
    __slots__ = ("stored",)
    STORED_FIELD_NUMBER: _ClassVar[int]
    stored: int
    def __init__(self, stored: _Optional[int] = ...) -> None: ...

class GetParallelResultsRequest(_message.Message):
    __slots__ = ("namespace", "workflow_id", "executor_id", "start_index", "limit", "as_json_array")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    EXECUTOR_ID_FIELD_NUMBER: _ClassVar[int]
    START_INDEX_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    AS_JSON_ARRAY_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    workflow_id: str
    executor_id: str
    start_index: int
    limit: int
    as_json_array: bool
    def __init__(self, namespace: _Optional[str] = ..., workflow_id: _Optional[str] = ..., executor_id: _Optional[str] = ..., start_index: _Optional[int] = ..., limit: _Optional[int] = ..., as_json_array: _Optional[bool] = ...) -> None: ...

class GetParallelResultsResponse(_message.Message):
    __slots__ = ("results", "json_array", "json_count")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    JSON_ARRAY_FIELD_NUMBER: _ClassVar[int]
    JSON_COUNT_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[IndexedPayload]
    json_array: bytes
    json_count: int
    def __init__(self, results: _Optional[_Iterable[_Union[IndexedPayload, _Mapping]]] = ..., json_array: _Optional[bytes] = ..., json_count: _Optional[int] = ...) -> None: ...

class ParallelProgress(_message.Message):
    __slots__ = ("executor_id", "pattern", "total", "done", "failed", "in_flight", "items_per_second", "eta_seconds", "started_time", "updated_time")
    EXECUTOR_ID_FIELD_NUMBER: _ClassVar[int]
    PATTERN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    IN_FLIGHT_FIELD_NUMBER: _ClassVar[int]
    ITEMS_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    ETA_SECONDS_FIELD_NUMBER: _ClassVar[int]
    STARTED_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATED_TIME_FIELD_NUMBER: _ClassVar[int]
    executor_id: str
    pattern: str
    total: int
    done: int
    failed: int
    in_flight: int
    items_per_second: float
    eta_seconds: float
    started_time: _timestamp_pb2.Timestamp
    updated_time: _timestamp_pb2.Timestamp
    def __init__(self, executor_id: _Optional[str] = ..., pattern: _Optional[str] = ..., total: _Optional[int] = ..., done: _Optional[int] = ..., failed: _Optional[int] = ..., in_flight: _Optional[int] = ..., items_per_second: _Optional[float] = ..., eta_seconds: _Optional[float] = ..., started_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RecordedEvent(_message.Message):
    __slots__ = ("name", "details", "time", "run_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    details: _common_pb2.Payload
    time: _timestamp_pb2.Timestamp
    run_id: str
    def __init__(self, name: _Optional[str] = ..., details: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., run_id: _Optional[str] = ...) -> None: ...

class GetWorkflowProgressRequest(_message.Message):
    __slots__ = ("namespace", "workflow_id", "max_events")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    MAX_EVENTS_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    workflow_id: str
    max_events: int
    def __init__(self, namespace: _Optional[str] = ..., workflow_id: _Optional[str] = ..., max_events: _Optional[int] = ...) -> None: ...

class GetWorkflowProgressResponse(_message.Message):
    __slots__ = ("executors", "events", "status", "current_run_id", "runs", "last_workflow_task_failure", "children", "children_summary", "tasks")
    EXECUTORS_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CURRENT_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    RUNS_FIELD_NUMBER: _ClassVar[int]
    LAST_WORKFLOW_TASK_FAILURE_FIELD_NUMBER: _ClassVar[int]
    CHILDREN_FIELD_NUMBER: _ClassVar[int]
    CHILDREN_SUMMARY_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    executors: _containers.RepeatedCompositeFieldContainer[ParallelProgress]
    events: _containers.RepeatedCompositeFieldContainer[RecordedEvent]
    status: _common_pb2.WorkflowExecutionStatus
    current_run_id: str
    runs: int
    last_workflow_task_failure: _common_pb2.WorkflowTaskFailureInfo
    children: _containers.RepeatedCompositeFieldContainer[ChildWorkflowProgress]
    children_summary: ChildWorkflowsSummary
    tasks: _containers.RepeatedCompositeFieldContainer[TaskState]
    def __init__(self, executors: _Optional[_Iterable[_Union[ParallelProgress, _Mapping]]] = ..., events: _Optional[_Iterable[_Union[RecordedEvent, _Mapping]]] = ..., status: _Optional[_Union[_common_pb2.WorkflowExecutionStatus, str]] = ..., current_run_id: _Optional[str] = ..., runs: _Optional[int] = ..., last_workflow_task_failure: _Optional[_Union[_common_pb2.WorkflowTaskFailureInfo, _Mapping]] = ..., children: _Optional[_Iterable[_Union[ChildWorkflowProgress, _Mapping]]] = ..., children_summary: _Optional[_Union[ChildWorkflowsSummary, _Mapping]] = ..., tasks: _Optional[_Iterable[_Union[TaskState, _Mapping]]] = ...) -> None: ...

class PendingChildExecutionInfo(_message.Message):
    __slots__ = ("workflow_id", "run_id", "workflow_type", "initiated_event_id", "parent_close_policy")
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TYPE_FIELD_NUMBER: _ClassVar[int]
    INITIATED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_CLOSE_POLICY_FIELD_NUMBER: _ClassVar[int]
    workflow_id: str
    run_id: str
    workflow_type: _common_pb2.WorkflowType
    initiated_event_id: int
    parent_close_policy: _common_pb2.ParentClosePolicy
    def __init__(self, workflow_id: _Optional[str] = ..., run_id: _Optional[str] = ..., workflow_type: _Optional[_Union[_common_pb2.WorkflowType, _Mapping]] = ..., initiated_event_id: _Optional[int] = ..., parent_close_policy: _Optional[_Union[_common_pb2.ParentClosePolicy, str]] = ...) -> None: ...

class ChildWorkflowProgress(_message.Message):
    __slots__ = ("workflow_id", "run_id", "workflow_type", "status", "executors", "done", "total", "runs")
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TYPE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    EXECUTORS_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    RUNS_FIELD_NUMBER: _ClassVar[int]
    workflow_id: str
    run_id: str
    workflow_type: _common_pb2.WorkflowType
    status: _common_pb2.WorkflowExecutionStatus
    executors: _containers.RepeatedCompositeFieldContainer[ParallelProgress]
    done: int
    total: int
    runs: int
    def __init__(self, workflow_id: _Optional[str] = ..., run_id: _Optional[str] = ..., workflow_type: _Optional[_Union[_common_pb2.WorkflowType, _Mapping]] = ..., status: _Optional[_Union[_common_pb2.WorkflowExecutionStatus, str]] = ..., executors: _Optional[_Iterable[_Union[ParallelProgress, _Mapping]]] = ..., done: _Optional[int] = ..., total: _Optional[int] = ..., runs: _Optional[int] = ...) -> None: ...

class ChildWorkflowsSummary(_message.Message):
    __slots__ = ("initiated", "started", "start_failed", "completed", "failed", "canceled", "timed_out", "terminated", "pending")
    INITIATED_FIELD_NUMBER: _ClassVar[int]
    STARTED_FIELD_NUMBER: _ClassVar[int]
    START_FAILED_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    CANCELED_FIELD_NUMBER: _ClassVar[int]
    TIMED_OUT_FIELD_NUMBER: _ClassVar[int]
    TERMINATED_FIELD_NUMBER: _ClassVar[int]
    PENDING_FIELD_NUMBER: _ClassVar[int]
    initiated: int
    started: int
    start_failed: int
    completed: int
    failed: int
    canceled: int
    timed_out: int
    terminated: int
    pending: int
    def __init__(self, initiated: _Optional[int] = ..., started: _Optional[int] = ..., start_failed: _Optional[int] = ..., completed: _Optional[int] = ..., failed: _Optional[int] = ..., canceled: _Optional[int] = ..., timed_out: _Optional[int] = ..., terminated: _Optional[int] = ..., pending: _Optional[int] = ...) -> None: ...

class QueryWorkflowRequest(_message.Message):
    __slots__ = ("namespace", "execution", "query", "timeout")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    execution: _common_pb2.WorkflowExecution
    query: _common_pb2.WorkflowQuery
    timeout: _duration_pb2.Duration
    def __init__(self, namespace: _Optional[str] = ..., execution: _Optional[_Union[_common_pb2.WorkflowExecution, _Mapping]] = ..., query: _Optional[_Union[_common_pb2.WorkflowQuery, _Mapping]] = ..., timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class QueryWorkflowResponse(_message.Message):
    __slots__ = ("query_result", "execution", "answered_by")
    QUERY_RESULT_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    ANSWERED_BY_FIELD_NUMBER: _ClassVar[int]
    query_result: _common_pb2.Payload
    execution: _common_pb2.WorkflowExecution
    answered_by: str
    def __init__(self, query_result: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ..., execution: _Optional[_Union[_common_pb2.WorkflowExecution, _Mapping]] = ..., answered_by: _Optional[str] = ...) -> None: ...

class RespondQueryTaskCompletedRequest(_message.Message):
    __slots__ = ("namespace", "task_token", "completed_type", "query_result", "failure", "identity")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    TASK_TOKEN_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_TYPE_FIELD_NUMBER: _ClassVar[int]
    QUERY_RESULT_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    task_token: bytes
    completed_type: QueryResultType
    query_result: _common_pb2.Payload
    failure: _common_pb2.Failure
    identity: str
    def __init__(self, namespace: _Optional[str] = ..., task_token: _Optional[bytes] = ..., completed_type: _Optional[_Union[QueryResultType, str]] = ..., query_result: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ..., failure: _Optional[_Union[_common_pb2.Failure, _Mapping]] = ..., identity: _Optional[str] = ...) -> None: ...

class RespondQueryTaskCompletedResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class UpdateOutcome(_message.Message):
    __slots__ = ("success", "failure")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    success: _common_pb2.Payload
    failure: _common_pb2.Failure
    def __init__(self, success: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ..., failure: _Optional[_Union[_common_pb2.Failure, _Mapping]] = ...) -> None: ...

class UpdateWorkflowExecutionRequest(_message.Message):
    __slots__ = ("namespace", "execution", "update_id", "name", "input", "identity", "wait_for_stage", "wait_timeout")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    UPDATE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    WAIT_FOR_STAGE_FIELD_NUMBER: _ClassVar[int]
    WAIT_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    execution: _common_pb2.WorkflowExecution
    update_id: str
    name: str
    input: _common_pb2.Payload
    identity: str
    wait_for_stage: UpdateWorkflowExecutionLifecycleStage
    wait_timeout: _duration_pb2.Duration
    def __init__(self, namespace: _Optional[str] = ..., execution: _Optional[_Union[_common_pb2.WorkflowExecution, _Mapping]] = ..., update_id: _Optional[str] = ..., name: _Optional[str] = ..., input: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ..., identity: _Optional[str] = ..., wait_for_stage: _Optional[_Union[UpdateWorkflowExecutionLifecycleStage, str]] = ..., wait_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class UpdateWorkflowExecutionResponse(_message.Message):
    __slots__ = ("update_id", "execution", "stage", "outcome")
    UPDATE_ID_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    update_id: str
    execution: _common_pb2.WorkflowExecution
    stage: UpdateWorkflowExecutionLifecycleStage
    outcome: UpdateOutcome
    def __init__(self, update_id: _Optional[str] = ..., execution: _Optional[_Union[_common_pb2.WorkflowExecution, _Mapping]] = ..., stage: _Optional[_Union[UpdateWorkflowExecutionLifecycleStage, str]] = ..., outcome: _Optional[_Union[UpdateOutcome, _Mapping]] = ...) -> None: ...

class PollWorkflowExecutionUpdateRequest(_message.Message):
    __slots__ = ("namespace", "execution", "update_id", "wait_timeout")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    UPDATE_ID_FIELD_NUMBER: _ClassVar[int]
    WAIT_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    execution: _common_pb2.WorkflowExecution
    update_id: str
    wait_timeout: _duration_pb2.Duration
    def __init__(self, namespace: _Optional[str] = ..., execution: _Optional[_Union[_common_pb2.WorkflowExecution, _Mapping]] = ..., update_id: _Optional[str] = ..., wait_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class PollWorkflowExecutionUpdateResponse(_message.Message):
    __slots__ = ("update_id", "execution", "stage", "outcome")
    UPDATE_ID_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    update_id: str
    execution: _common_pb2.WorkflowExecution
    stage: UpdateWorkflowExecutionLifecycleStage
    outcome: UpdateOutcome
    def __init__(self, update_id: _Optional[str] = ..., execution: _Optional[_Union[_common_pb2.WorkflowExecution, _Mapping]] = ..., stage: _Optional[_Union[UpdateWorkflowExecutionLifecycleStage, str]] = ..., outcome: _Optional[_Union[UpdateOutcome, _Mapping]] = ...) -> None: ...

class ExecutorItemFailure(_message.Message):
    __slots__ = ("executor_id", "index", "attempt", "failure", "time", "final", "recovered", "activity_type")
    EXECUTOR_ID_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    FINAL_FIELD_NUMBER: _ClassVar[int]
    RECOVERED_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_TYPE_FIELD_NUMBER: _ClassVar[int]
    executor_id: str
    index: int
    attempt: int
    failure: _common_pb2.Failure
    time: _timestamp_pb2.Timestamp
    final: bool
    recovered: bool
    activity_type: str
    def __init__(self, executor_id: _Optional[str] = ..., index: _Optional[int] = ..., attempt: _Optional[int] = ..., failure: _Optional[_Union[_common_pb2.Failure, _Mapping]] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., final: _Optional[bool] = ..., recovered: _Optional[bool] = ..., activity_type: _Optional[str] = ...) -> None: ...

class GetParallelFailuresRequest(_message.Message):
    __slots__ = ("namespace", "workflow_id", "executor_id", "page_size", "next_page_token")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    EXECUTOR_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    workflow_id: str
    executor_id: str
    page_size: int
    next_page_token: bytes
    def __init__(self, namespace: _Optional[str] = ..., workflow_id: _Optional[str] = ..., executor_id: _Optional[str] = ..., page_size: _Optional[int] = ..., next_page_token: _Optional[bytes] = ...) -> None: ...

class GetParallelFailuresResponse(_message.Message):
    __slots__ = ("failures", "next_page_token", "total")
    FAILURES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    failures: _containers.RepeatedCompositeFieldContainer[ExecutorItemFailure]
    next_page_token: bytes
    total: int
    def __init__(self, failures: _Optional[_Iterable[_Union[ExecutorItemFailure, _Mapping]]] = ..., next_page_token: _Optional[bytes] = ..., total: _Optional[int] = ...) -> None: ...

class CountWorkflowExecutionsRequest(_message.Message):
    __slots__ = ("namespace", "status_filter", "workflow_type_filter", "start_time_from", "start_time_to", "workflow_id_prefix", "display_name_filter", "search_key_filters", "group_by")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FILTER_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TYPE_FILTER_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FROM_FIELD_NUMBER: _ClassVar[int]
    START_TIME_TO_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_PREFIX_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FILTER_FIELD_NUMBER: _ClassVar[int]
    SEARCH_KEY_FILTERS_FIELD_NUMBER: _ClassVar[int]
    GROUP_BY_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    status_filter: _common_pb2.WorkflowExecutionStatus
    workflow_type_filter: str
    start_time_from: _timestamp_pb2.Timestamp
    start_time_to: _timestamp_pb2.Timestamp
    workflow_id_prefix: str
    display_name_filter: str
    search_key_filters: _containers.RepeatedCompositeFieldContainer[_common_pb2.SearchKey]
    group_by: CountGroupBy
    def __init__(self, namespace: _Optional[str] = ..., status_filter: _Optional[_Union[_common_pb2.WorkflowExecutionStatus, str]] = ..., workflow_type_filter: _Optional[str] = ..., start_time_from: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., start_time_to: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., workflow_id_prefix: _Optional[str] = ..., display_name_filter: _Optional[str] = ..., search_key_filters: _Optional[_Iterable[_Union[_common_pb2.SearchKey, _Mapping]]] = ..., group_by: _Optional[_Union[CountGroupBy, str]] = ...) -> None: ...

class CountGroup(_message.Message):
    __slots__ = ("value", "status", "count")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    value: str
    status: _common_pb2.WorkflowExecutionStatus
    count: int
    def __init__(self, value: _Optional[str] = ..., status: _Optional[_Union[_common_pb2.WorkflowExecutionStatus, str]] = ..., count: _Optional[int] = ...) -> None: ...

class CountWorkflowExecutionsResponse(_message.Message):
    __slots__ = ("count", "groups")
    COUNT_FIELD_NUMBER: _ClassVar[int]
    GROUPS_FIELD_NUMBER: _ClassVar[int]
    count: int
    groups: _containers.RepeatedCompositeFieldContainer[CountGroup]
    def __init__(self, count: _Optional[int] = ..., groups: _Optional[_Iterable[_Union[CountGroup, _Mapping]]] = ...) -> None: ...

class UpdateWorkflowSearchKeysRequest(_message.Message):
    __slots__ = ("namespace", "execution", "upsert", "delete_keys", "identity")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    UPSERT_FIELD_NUMBER: _ClassVar[int]
    DELETE_KEYS_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    execution: _common_pb2.WorkflowExecution
    upsert: _containers.RepeatedCompositeFieldContainer[_common_pb2.SearchKey]
    delete_keys: _containers.RepeatedScalarFieldContainer[str]
    identity: str
    def __init__(self, namespace: _Optional[str] = ..., execution: _Optional[_Union[_common_pb2.WorkflowExecution, _Mapping]] = ..., upsert: _Optional[_Iterable[_Union[_common_pb2.SearchKey, _Mapping]]] = ..., delete_keys: _Optional[_Iterable[str]] = ..., identity: _Optional[str] = ...) -> None: ...

class UpdateWorkflowSearchKeysResponse(_message.Message):
    __slots__ = ("execution", "dropped_keys")
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    DROPPED_KEYS_FIELD_NUMBER: _ClassVar[int]
    execution: _common_pb2.WorkflowExecution
    dropped_keys: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, execution: _Optional[_Union[_common_pb2.WorkflowExecution, _Mapping]] = ..., dropped_keys: _Optional[_Iterable[str]] = ...) -> None: ...

class TaskState(_message.Message):
    __slots__ = ("id", "type", "status", "state", "error", "run_id", "activity_id", "started_time", "updated_time", "closed_time", "changes")
    ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_ID_FIELD_NUMBER: _ClassVar[int]
    STARTED_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATED_TIME_FIELD_NUMBER: _ClassVar[int]
    CLOSED_TIME_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    id: str
    type: str
    status: TaskStatus
    state: _common_pb2.Payload
    error: str
    run_id: str
    activity_id: str
    started_time: _timestamp_pb2.Timestamp
    updated_time: _timestamp_pb2.Timestamp
    closed_time: _timestamp_pb2.Timestamp
    changes: int
    def __init__(self, id: _Optional[str] = ..., type: _Optional[str] = ..., status: _Optional[_Union[TaskStatus, str]] = ..., state: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ..., error: _Optional[str] = ..., run_id: _Optional[str] = ..., activity_id: _Optional[str] = ..., started_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., closed_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., changes: _Optional[int] = ...) -> None: ...

class WorkflowStatusChange(_message.Message):
    __slots__ = ("run_id", "status")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    status: _common_pb2.WorkflowExecutionStatus
    def __init__(self, run_id: _Optional[str] = ..., status: _Optional[_Union[_common_pb2.WorkflowExecutionStatus, str]] = ...) -> None: ...

class WatchWorkflowRequest(_message.Message):
    __slots__ = ("namespace", "workflow_id", "cursor", "no_progress")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    NO_PROGRESS_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    workflow_id: str
    cursor: int
    no_progress: bool
    def __init__(self, namespace: _Optional[str] = ..., workflow_id: _Optional[str] = ..., cursor: _Optional[int] = ..., no_progress: _Optional[bool] = ...) -> None: ...

class WatchWorkflowResponse(_message.Message):
    __slots__ = ("cursor", "time", "task", "event", "status", "progress")
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    cursor: int
    time: _timestamp_pb2.Timestamp
    task: TaskState
    event: RecordedEvent
    status: WorkflowStatusChange
    progress: GetWorkflowProgressResponse
    def __init__(self, cursor: _Optional[int] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., task: _Optional[_Union[TaskState, _Mapping]] = ..., event: _Optional[_Union[RecordedEvent, _Mapping]] = ..., status: _Optional[_Union[WorkflowStatusChange, _Mapping]] = ..., progress: _Optional[_Union[GetWorkflowProgressResponse, _Mapping]] = ...) -> None: ...

class RecordTaskStateRequest(_message.Message):
    __slots__ = ("namespace", "task_token", "task")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    TASK_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    task_token: bytes
    task: TaskState
    def __init__(self, namespace: _Optional[str] = ..., task_token: _Optional[bytes] = ..., task: _Optional[_Union[TaskState, _Mapping]] = ...) -> None: ...

class RecordTaskStateResponse(_message.Message):
    __slots__ = ("cursor",)
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    cursor: int
    def __init__(self, cursor: _Optional[int] = ...) -> None: ...

class PutPayloadBlobRequest(_message.Message):
    __slots__ = ("namespace", "workflow_id", "data", "blob_id")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    BLOB_ID_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    workflow_id: str
    data: bytes
    blob_id: str
    def __init__(self, namespace: _Optional[str] = ..., workflow_id: _Optional[str] = ..., data: _Optional[bytes] = ..., blob_id: _Optional[str] = ...) -> None: ...

class PutPayloadBlobResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetPayloadBlobRequest(_message.Message):
    __slots__ = ("namespace", "workflow_id", "blob_id")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    BLOB_ID_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    workflow_id: str
    blob_id: str
    def __init__(self, namespace: _Optional[str] = ..., workflow_id: _Optional[str] = ..., blob_id: _Optional[str] = ...) -> None: ...

class GetPayloadBlobResponse(_message.Message):
    __slots__ = ("data",)
    DATA_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    def __init__(self, data: _Optional[bytes] = ...) -> None: ...
