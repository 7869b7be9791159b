import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from protos import admin_service_pb2 as _admin_service_pb2
from protos import common_pb2 as _common_pb2
from protos import internal_pb2 as _internal_pb2
from protos import workflow_service_pb2 as _workflow_service_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class QueryDispatchOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    QUERY_DISPATCH_OUTCOME_UNSPECIFIED: _ClassVar[QueryDispatchOutcome]
    QUERY_DISPATCH_OUTCOME_ANSWERED: _ClassVar[QueryDispatchOutcome]
    QUERY_DISPATCH_OUTCOME_NOT_TAKEN: _ClassVar[QueryDispatchOutcome]
    QUERY_DISPATCH_OUTCOME_NO_ANSWER: _ClassVar[QueryDispatchOutcome]
QUERY_DISPATCH_OUTCOME_UNSPECIFIED: QueryDispatchOutcome
QUERY_DISPATCH_OUTCOME_ANSWERED: QueryDispatchOutcome
QUERY_DISPATCH_OUTCOME_NOT_TAKEN: QueryDispatchOutcome
QUERY_DISPATCH_OUTCOME_NO_ANSWER: QueryDispatchOutcome

class AddTaskRequest(_message.Message):
    __slots__ = ("task", "partition")
    TASK_FIELD_NUMBER: _ClassVar[int]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    task: _internal_pb2.TaskInfo
    partition: int
    def __init__(self, task: _Optional[_Union[_internal_pb2.TaskInfo, _Mapping]] = ..., partition: _Optional[int] = ...) -> None: ...

class AddTaskResponse(_message.Message):
    __slots__ = ("sync_matched",)
    SYNC_MATCHED_FIELD_NUMBER: _ClassVar[int]
    sync_matched: bool
    def __init__(self, sync_matched: _Optional[bool] = ...) -> None: ...

class PollWorkflowTaskQueueRequest(_message.Message):
    __slots__ = ("partition", "request")
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    partition: int
    request: _workflow_service_pb2.PollWorkflowTaskQueueRequest
    def __init__(self, partition: _Optional[int] = ..., request: _Optional[_Union[_workflow_service_pb2.PollWorkflowTaskQueueRequest, _Mapping]] = ...) -> None: ...

class PollActivityTaskQueueRequest(_message.Message):
    __slots__ = ("partition", "request")
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    partition: int
    request: _workflow_service_pb2.PollActivityTaskQueueRequest
    def __init__(self, partition: _Optional[int] = ..., request: _Optional[_Union[_workflow_service_pb2.PollActivityTaskQueueRequest, _Mapping]] = ...) -> None: ...

class DescribeTaskQueueRequest(_message.Message):
    __slots__ = ("partitions", "request")
    PARTITIONS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    partitions: _containers.RepeatedScalarFieldContainer[int]
    request: _admin_service_pb2.DescribeTaskQueueRequest
    def __init__(self, partitions: _Optional[_Iterable[int]] = ..., request: _Optional[_Union[_admin_service_pb2.DescribeTaskQueueRequest, _Mapping]] = ...) -> None: ...

class QueryWorkflowTaskRequest(_message.Message):
    __slots__ = ("partition", "namespace", "task_queue", "task", "wait", "take_wait", "only_if_polled")
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    WAIT_FIELD_NUMBER: _ClassVar[int]
    TAKE_WAIT_FIELD_NUMBER: _ClassVar[int]
    ONLY_IF_POLLED_FIELD_NUMBER: _ClassVar[int]
    partition: int
    namespace: str
    task_queue: _common_pb2.TaskQueue
    task: _workflow_service_pb2.PollWorkflowTaskQueueResponse
    wait: _duration_pb2.Duration
    take_wait: _duration_pb2.Duration
    only_if_polled: bool
    def __init__(self, partition: _Optional[int] = ..., namespace: _Optional[str] = ..., task_queue: _Optional[_Union[_common_pb2.TaskQueue, _Mapping]] = ..., task: _Optional[_Union[_workflow_service_pb2.PollWorkflowTaskQueueResponse, _Mapping]] = ..., wait: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., take_wait: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., only_if_polled: _Optional[bool] = ...) -> None: ...

class QueryWorkflowTaskResponse(_message.Message):
    __slots__ = ("outcome", "answer", "worker_identity", "recent_pollers")
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    ANSWER_FIELD_NUMBER: _ClassVar[int]
    WORKER_IDENTITY_FIELD_NUMBER: _ClassVar[int]
    RECENT_POLLERS_FIELD_NUMBER: _ClassVar[int]
    outcome: QueryDispatchOutcome
    answer: _workflow_service_pb2.RespondQueryTaskCompletedRequest
    worker_identity: str
    recent_pollers: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, outcome: _Optional[_Union[QueryDispatchOutcome, str]] = ..., answer: _Optional[_Union[_workflow_service_pb2.RespondQueryTaskCompletedRequest, _Mapping]] = ..., worker_identity: _Optional[str] = ..., recent_pollers: _Optional[_Iterable[str]] = ...) -> None: ...

class RespondQueryTaskCompletedRequest(_message.Message):
    __slots__ = ("query_id", "request")
    QUERY_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    query_id: str
    request: _workflow_service_pb2.RespondQueryTaskCompletedRequest
    def __init__(self, query_id: _Optional[str] = ..., request: _Optional[_Union[_workflow_service_pb2.RespondQueryTaskCompletedRequest, _Mapping]] = ...) -> None: ...
