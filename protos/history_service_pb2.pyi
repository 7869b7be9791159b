import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from protos import admin_service_pb2 as _admin_service_pb2
from protos import internal_pb2 as _internal_pb2
from protos import common_pb2 as _common_pb2
from protos import schedule_pb2 as _schedule_pb2
from protos import workflow_service_pb2 as _workflow_service_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ListApiKeysRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ApiKeyEntry(_message.Message):
    __slots__ = ("key_sha256", "namespace", "key_id")
    KEY_SHA256_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    key_sha256: str
    namespace: str
    key_id: str
    def __init__(self, key_sha256: _Optional[str] = ..., namespace: _Optional[str] = ..., key_id: _Optional[str] = ...) -> None: ...

class ListApiKeysResponse(_message.Message):
    __slots__ = ("keys",)
    KEYS_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedCompositeFieldContainer[ApiKeyEntry]
    def __init__(self, keys: _Optional[_Iterable[_Union[ApiKeyEntry, _Mapping]]] = ...) -> None: ...

class StartWorkflowExecutionRequest(_message.Message):
    __slots__ = ("shard_id", "request")
    SHARD_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    shard_id: int
    request: _workflow_service_pb2.StartWorkflowExecutionRequest
    def __init__(self, shard_id: _Optional[int] = ..., request: _Optional[_Union[_workflow_service_pb2.StartWorkflowExecutionRequest, _Mapping]] = ...) -> None: ...

class GetWorkflowResultRequest(_message.Message):
    __slots__ = ("shard_id", "request")
    SHARD_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    shard_id: int
    request: _workflow_service_pb2.GetWorkflowResultRequest
    def __init__(self, shard_id: _Optional[int] = ..., request: _Optional[_Union[_workflow_service_pb2.GetWorkflowResultRequest, _Mapping]] = ...) -> None: ...

class DescribeWorkflowExecutionRequest(_message.Message):
    __slots__ = ("shard_id", "request")
    SHARD_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    shard_id: int
    request: _workflow_service_pb2.DescribeWorkflowExecutionRequest
    def __init__(self, shard_id: _Optional[int] = ..., request: _Optional[_Union[_workflow_service_pb2.DescribeWorkflowExecutionRequest, _Mapping]] = ...) -> None: ...

class GetWorkflowExecutionHistoryRequest(_message.Message):
    __slots__ = ("shard_id", "request")
    SHARD_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    shard_id: int
    request: _workflow_service_pb2.GetWorkflowExecutionHistoryRequest
    def __init__(self, shard_id: _Optional[int] = ..., request: _Optional[_Union[_workflow_service_pb2.GetWorkflowExecutionHistoryRequest, _Mapping]] = ...) -> None: ...

class ListWorkflowExecutionsRequest(_message.Message):
    __slots__ = ("shard_id", "request")
    SHARD_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    shard_id: int
    request: _workflow_service_pb2.ListWorkflowExecutionsRequest
    def __init__(self, shard_id: _Optional[int] = ..., request: _Optional[_Union[_workflow_service_pb2.ListWorkflowExecutionsRequest, _Mapping]] = ...) -> None: ...

class TerminateWorkflowExecutionRequest(_message.Message):
    __slots__ = ("shard_id", "request")
    SHARD_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    shard_id: int
    request: _workflow_service_pb2.TerminateWorkflowExecutionRequest
    def __init__(self, shard_id: _Optional[int] = ..., request: _Optional[_Union[_workflow_service_pb2.TerminateWorkflowExecutionRequest, _Mapping]] = ...) -> None: ...

class RequestCancelWorkflowExecutionRequest(_message.Message):
    __slots__ = ("shard_id", "request")
    SHARD_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    shard_id: int
    request: _workflow_service_pb2.RequestCancelWorkflowExecutionRequest
    def __init__(self, shard_id: _Optional[int] = ..., request: _Optional[_Union[_workflow_service_pb2.RequestCancelWorkflowExecutionRequest, _Mapping]] = ...) -> None: ...

class SignalWorkflowExecutionRequest(_message.Message):
    __slots__ = ("shard_id", "request")
    SHARD_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    shard_id: int
    request: _workflow_service_pb2.SignalWorkflowExecutionRequest
    def __init__(self, shard_id: _Optional[int] = ..., request: _Optional[_Union[_workflow_service_pb2.SignalWorkflowExecutionRequest, _Mapping]] = ...) -> None: ...

class RespondWorkflowTaskCompletedRequest(_message.Message):
    __slots__ = ("shard_id", "request")
    SHARD_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    shard_id: int
    request: _workflow_service_pb2.RespondWorkflowTaskCompletedRequest
    def __init__(self, shard_id: _Optional[int] = ..., request: _Optional[_Union[_workflow_service_pb2.RespondWorkflowTaskCompletedRequest, _Mapping]] = ...) -> None: ...

class RespondWorkflowTasksCompletedRequest(_message.Message):
    __slots__ = ("shard_id", "request")
    SHARD_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    shard_id: int
    request: _workflow_service_pb2.RespondWorkflowTasksCompletedRequest
    def __init__(self, shard_id: _Optional[int] = ..., request: _Optional[_Union[_workflow_service_pb2.RespondWorkflowTasksCompletedRequest, _Mapping]] = ...) -> None: ...

class RespondWorkflowTaskFailedRequest(_message.Message):
    __slots__ = ("shard_id", "request")
    SHARD_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    shard_id: int
    request: _workflow_service_pb2.RespondWorkflowTaskFailedRequest
    def __init__(self, shard_id: _Optional[int] = ..., request: _Optional[_Union[_workflow_service_pb2.RespondWorkflowTaskFailedRequest, _Mapping]] = ...) -> None: ...

class RespondActivityTaskCompletedRequest(_message.Message):
    __slots__ = ("shard_id", "request")
    SHARD_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    shard_id: int
    request: _workflow_service_pb2.RespondActivityTaskCompletedRequest
    def __init__(self, shard_id: _Optional[int] = ..., request: _Optional[_Union[_workflow_service_pb2.RespondActivityTaskCompletedRequest, _Mapping]] = ...) -> None: ...

class RespondActivityTasksCompletedRequest(_message.Message):
    __slots__ = ("shard_id", "request")
    SHARD_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    shard_id: int
    request: _workflow_service_pb2.RespondActivityTasksCompletedRequest
    def __init__(self, shard_id: _Optional[int] = ..., request: _Optional[_Union[_workflow_service_pb2.RespondActivityTasksCompletedRequest, _Mapping]] = ...) -> None: ...

class RespondActivityTaskFailedRequest(_message.Message):
    __slots__ = ("shard_id", "request")
    SHARD_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    shard_id: int
    request: _workflow_service_pb2.RespondActivityTaskFailedRequest
    def __init__(self, shard_id: _Optional[int] = ..., request: _Optional[_Union[_workflow_service_pb2.RespondActivityTaskFailedRequest, _Mapping]] = ...) -> None: ...

class RespondActivityTaskCanceledRequest(_message.Message):
    __slots__ = ("shard_id", "request")
    SHARD_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    shard_id: int
    request: _workflow_service_pb2.RespondActivityTaskCanceledRequest
    def __init__(self, shard_id: _Optional[int] = ..., request: _Optional[_Union[_workflow_service_pb2.RespondActivityTaskCanceledRequest, _Mapping]] = ...) -> None: ...

class RecordWorkflowTaskHeartbeatRequest(_message.Message):
    __slots__ = ("shard_id", "request")
    SHARD_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    shard_id: int
    request: _workflow_service_pb2.RecordWorkflowTaskHeartbeatRequest
    def __init__(self, shard_id: _Optional[int] = ..., request: _Optional[_Union[_workflow_service_pb2.RecordWorkflowTaskHeartbeatRequest, _Mapping]] = ...) -> None: ...

class RecordActivityTaskHeartbeatRequest(_message.Message):
    __slots__ = ("shard_id", "request")
    SHARD_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    shard_id: int
    request: _workflow_service_pb2.RecordActivityTaskHeartbeatRequest
    def __init__(self, shard_id: _Optional[int] = ..., request: _Optional[_Union[_workflow_service_pb2.RecordActivityTaskHeartbeatRequest, _Mapping]] = ...) -> None: ...

class PutParallelResultsRequest(_message.Message):
    __slots__ = ("shard_id", "request")
    SHARD_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    shard_id: int
    request: _workflow_service_pb2.PutParallelResultsRequest
    def __init__(self, shard_id: _Optional[int] = ..., request: _Optional[_Union[_workflow_service_pb2.PutParallelResultsRequest, _Mapping]] = ...) -> None: ...

class GetParallelResultsRequest(_message.Message):
    __slots__ = ("shard_id", "request")
    SHARD_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    shard_id: int
    request: _workflow_service_pb2.GetParallelResultsRequest
    def __init__(self, shard_id: _Optional[int] = ..., request: _Optional[_Union[_workflow_service_pb2.GetParallelResultsRequest, _Mapping]] = ...) -> None: ...

class GetWorkflowProgressRequest(_message.Message):
    __slots__ = ("shard_id", "request", "omit_children")
    SHARD_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    OMIT_CHILDREN_FIELD_NUMBER: _ClassVar[int]
    shard_id: int
    request: _workflow_service_pb2.GetWorkflowProgressRequest
    omit_children: bool
    def __init__(self, shard_id: _Optional[int] = ..., request: _Optional[_Union[_workflow_service_pb2.GetWorkflowProgressRequest, _Mapping]] = ..., omit_children: _Optional[bool] = ...) -> None: ...

class RecordTaskStartedRequest(_message.Message):
    __slots__ = ("task", "identity", "partition", "polled_task_queue")
    TASK_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    POLLED_TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    task: _internal_pb2.TaskInfo
    identity: str
    partition: int
    polled_task_queue: _common_pb2.TaskQueue
    def __init__(self, task: _Optional[_Union[_internal_pb2.TaskInfo, _Mapping]] = ..., identity: _Optional[str] = ..., partition: _Optional[int] = ..., polled_task_queue: _Optional[_Union[_common_pb2.TaskQueue, _Mapping]] = ...) -> None: ...

class CreateScheduleRequest(_message.Message):
    __slots__ = ("shard_id", "request")
    SHARD_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    shard_id: int
    request: _schedule_pb2.CreateScheduleRequest
    def __init__(self, shard_id: _Optional[int] = ..., request: _Optional[_Union[_schedule_pb2.CreateScheduleRequest, _Mapping]] = ...) -> None: ...

class DescribeScheduleRequest(_message.Message):
    __slots__ = ("shard_id", "request")
    SHARD_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    shard_id: int
    request: _schedule_pb2.DescribeScheduleRequest
    def __init__(self, shard_id: _Optional[int] = ..., request: _Optional[_Union[_schedule_pb2.DescribeScheduleRequest, _Mapping]] = ...) -> None: ...

class PatchScheduleRequest(_message.Message):
    __slots__ = ("shard_id", "request")
    SHARD_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    shard_id: int
    request: _schedule_pb2.PatchScheduleRequest
    def __init__(self, shard_id: _Optional[int] = ..., request: _Optional[_Union[_schedule_pb2.PatchScheduleRequest, _Mapping]] = ...) -> None: ...

class DeleteScheduleRequest(_message.Message):
    __slots__ = ("shard_id", "request")
    SHARD_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    shard_id: int
    request: _schedule_pb2.DeleteScheduleRequest
    def __init__(self, shard_id: _Optional[int] = ..., request: _Optional[_Union[_schedule_pb2.DeleteScheduleRequest, _Mapping]] = ...) -> None: ...

class ListSchedulesRequest(_message.Message):
    __slots__ = ("shard_id", "namespace", "after_schedule_id", "limit")
    SHARD_ID_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    AFTER_SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    shard_id: int
    namespace: str
    after_schedule_id: str
    limit: int
    def __init__(self, shard_id: _Optional[int] = ..., namespace: _Optional[str] = ..., after_schedule_id: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class ListSchedulesResponse(_message.Message):
    __slots__ = ("schedules",)
    SCHEDULES_FIELD_NUMBER: _ClassVar[int]
    schedules: _containers.RepeatedCompositeFieldContainer[_schedule_pb2.ScheduleListEntry]
    def __init__(self, schedules: _Optional[_Iterable[_Union[_schedule_pb2.ScheduleListEntry, _Mapping]]] = ...) -> None: ...

class QueryWorkflowRequest(_message.Message):
    __slots__ = ("shard_id", "request")
    SHARD_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    shard_id: int
    request: _workflow_service_pb2.QueryWorkflowRequest
    def __init__(self, shard_id: _Optional[int] = ..., request: _Optional[_Union[_workflow_service_pb2.QueryWorkflowRequest, _Mapping]] = ...) -> None: ...

class UpdateWorkflowExecutionRequest(_message.Message):
    __slots__ = ("shard_id", "request")
    SHARD_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    shard_id: int
    request: _workflow_service_pb2.UpdateWorkflowExecutionRequest
    def __init__(self, shard_id: _Optional[int] = ..., request: _Optional[_Union[_workflow_service_pb2.UpdateWorkflowExecutionRequest, _Mapping]] = ...) -> None: ...

class PollWorkflowExecutionUpdateRequest(_message.Message):
    __slots__ = ("shard_id", "request")
    SHARD_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    shard_id: int
    request: _workflow_service_pb2.PollWorkflowExecutionUpdateRequest
    def __init__(self, shard_id: _Optional[int] = ..., request: _Optional[_Union[_workflow_service_pb2.PollWorkflowExecutionUpdateRequest, _Mapping]] = ...) -> None: ...

class GetParallelFailuresRequest(_message.Message):
    __slots__ = ("shard_id", "request")
    SHARD_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    shard_id: int
    request: _workflow_service_pb2.GetParallelFailuresRequest
    def __init__(self, shard_id: _Optional[int] = ..., request: _Optional[_Union[_workflow_service_pb2.GetParallelFailuresRequest, _Mapping]] = ...) -> None: ...

class CountWorkflowExecutionsRequest(_message.Message):
    __slots__ = ("shard_id", "request")
    SHARD_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    shard_id: int
    request: _workflow_service_pb2.CountWorkflowExecutionsRequest
    def __init__(self, shard_id: _Optional[int] = ..., request: _Optional[_Union[_workflow_service_pb2.CountWorkflowExecutionsRequest, _Mapping]] = ...) -> None: ...

class UpdateWorkflowSearchKeysRequest(_message.Message):
    __slots__ = ("shard_id", "request")
    SHARD_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    shard_id: int
    request: _workflow_service_pb2.UpdateWorkflowSearchKeysRequest
    def __init__(self, shard_id: _Optional[int] = ..., request: _Optional[_Union[_workflow_service_pb2.UpdateWorkflowSearchKeysRequest, _Mapping]] = ...) -> None: ...

class StartChildWorkflowExecutionRequest(_message.Message):
    __slots__ = ("shard_id", "request")
    SHARD_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    shard_id: int
    request: _workflow_service_pb2.StartWorkflowExecutionRequest
    def __init__(self, shard_id: _Optional[int] = ..., request: _Optional[_Union[_workflow_service_pb2.StartWorkflowExecutionRequest, _Mapping]] = ...) -> None: ...

class RecordChildExecutionCompletedRequest(_message.Message):
    __slots__ = ("shard_id", "namespace", "parent_execution", "parent_initiated_event_id", "child_execution", "child_workflow_type", "close_event")
    SHARD_ID_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    PARENT_EXECUTION_FIELD_NUMBER: _ClassVar[int]
    PARENT_INITIATED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    CHILD_EXECUTION_FIELD_NUMBER: _ClassVar[int]
    CHILD_WORKFLOW_TYPE_FIELD_NUMBER: _ClassVar[int]
    CLOSE_EVENT_FIELD_NUMBER: _ClassVar[int]
    shard_id: int
    namespace: str
    parent_execution: _common_pb2.WorkflowExecution
    parent_initiated_event_id: int
    child_execution: _common_pb2.WorkflowExecution
    child_workflow_type: _common_pb2.WorkflowType
    close_event: _common_pb2.HistoryEvent
    def __init__(self, shard_id: _Optional[int] = ..., namespace: _Optional[str] = ..., parent_execution: _Optional[_Union[_common_pb2.WorkflowExecution, _Mapping]] = ..., parent_initiated_event_id: _Optional[int] = ..., child_execution: _Optional[_Union[_common_pb2.WorkflowExecution, _Mapping]] = ..., child_workflow_type: _Optional[_Union[_common_pb2.WorkflowType, _Mapping]] = ..., close_event: _Optional[_Union[_common_pb2.HistoryEvent, _Mapping]] = ...) -> None: ...

class RecordChildExecutionCompletedResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ApplyParentClosePolicyRequest(_message.Message):
    __slots__ = ("shard_id", "namespace", "child_workflow_id", "parent", "policy", "reason")
    SHARD_ID_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    CHILD_WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    shard_id: int
    namespace: str
    child_workflow_id: str
    parent: _common_pb2.ParentExecutionInfo
    policy: _common_pb2.ParentClosePolicy
    reason: str
    def __init__(self, shard_id: _Optional[int] = ..., namespace: _Optional[str] = ..., child_workflow_id: _Optional[str] = ..., parent: _Optional[_Union[_common_pb2.ParentExecutionInfo, _Mapping]] = ..., policy: _Optional[_Union[_common_pb2.ParentClosePolicy, str]] = ..., reason: _Optional[str] = ...) -> None: ...

class ApplyParentClosePolicyResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ReadWorkflowStreamRequest(_message.Message):
    __slots__ = ("shard_id", "namespace", "workflow_id", "after_cursor", "wait", "limit")
    SHARD_ID_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    AFTER_CURSOR_FIELD_NUMBER: _ClassVar[int]
    WAIT_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    shard_id: int
    namespace: str
    workflow_id: str
    after_cursor: int
    wait: _duration_pb2.Duration
    limit: int
    def __init__(self, shard_id: _Optional[int] = ..., namespace: _Optional[str] = ..., workflow_id: _Optional[str] = ..., after_cursor: _Optional[int] = ..., wait: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., limit: _Optional[int] = ...) -> None: ...

class ReadWorkflowStreamResponse(_message.Message):
    __slots__ = ("entries", "closed")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    CLOSED_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[_workflow_service_pb2.WatchWorkflowResponse]
    closed: bool
    def __init__(self, entries: _Optional[_Iterable[_Union[_workflow_service_pb2.WatchWorkflowResponse, _Mapping]]] = ..., closed: _Optional[bool] = ...) -> None: ...

class RecordTaskStateRequest(_message.Message):
    __slots__ = ("shard_id", "request")
    SHARD_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    shard_id: int
    request: _workflow_service_pb2.RecordTaskStateRequest
    def __init__(self, shard_id: _Optional[int] = ..., request: _Optional[_Union[_workflow_service_pb2.RecordTaskStateRequest, _Mapping]] = ...) -> None: ...

class PutPayloadBlobRequest(_message.Message):
    __slots__ = ("shard_id", "request")
    SHARD_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    shard_id: int
    request: _workflow_service_pb2.PutPayloadBlobRequest
    def __init__(self, shard_id: _Optional[int] = ..., request: _Optional[_Union[_workflow_service_pb2.PutPayloadBlobRequest, _Mapping]] = ...) -> None: ...

class GetPayloadBlobRequest(_message.Message):
    __slots__ = ("shard_id", "request")
    SHARD_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    shard_id: int
    request: _workflow_service_pb2.GetPayloadBlobRequest
    def __init__(self, shard_id: _Optional[int] = ..., request: _Optional[_Union[_workflow_service_pb2.GetPayloadBlobRequest, _Mapping]] = ...) -> None: ...
