import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from protos import common_pb2 as _common_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TransferKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRANSFER_KIND_MATCHING: _ClassVar[TransferKind]
    TRANSFER_KIND_START_CHILD: _ClassVar[TransferKind]
    TRANSFER_KIND_CHILD_CLOSED: _ClassVar[TransferKind]
    TRANSFER_KIND_PARENT_CLOSE_POLICY: _ClassVar[TransferKind]
    TRANSFER_KIND_CANCEL_CHILD: _ClassVar[TransferKind]
TRANSFER_KIND_MATCHING: TransferKind
TRANSFER_KIND_START_CHILD: TransferKind
TRANSFER_KIND_CHILD_CLOSED: TransferKind
TRANSFER_KIND_PARENT_CLOSE_POLICY: TransferKind
TRANSFER_KIND_CANCEL_CHILD: TransferKind

class TaskToken(_message.Message):
    __slots__ = ("namespace", "workflow_id", "run_id", "scheduled_event_id", "started_event_id", "attempt", "task_type", "shard_id", "mac")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    SCHEDULED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    STARTED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    TASK_TYPE_FIELD_NUMBER: _ClassVar[int]
    SHARD_ID_FIELD_NUMBER: _ClassVar[int]
    MAC_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    workflow_id: str
    run_id: str
    scheduled_event_id: int
    started_event_id: int
    attempt: int
    task_type: _common_pb2.TaskType
    shard_id: int
    mac: bytes
    def __init__(self, namespace: _Optional[str] = ..., workflow_id: _Optional[str] = ..., run_id: _Optional[str] = ..., scheduled_event_id: _Optional[int] = ..., started_event_id: _Optional[int] = ..., attempt: _Optional[int] = ..., task_type: _Optional[_Union[_common_pb2.TaskType, str]] = ..., shard_id: _Optional[int] = ..., mac: _Optional[bytes] = ...) -> None: ...

class TaskInfo(_message.Message):
    __slots__ = ("namespace", "workflow_id", "run_id", "scheduled_event_id", "attempt", "shard_id", "task_type", "task_queue", "created_time", "expire_time", "transfer_kind", "target", "target_event_id", "parent_close_policy", "rate_limit")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    SCHEDULED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    SHARD_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_TYPE_FIELD_NUMBER: _ClassVar[int]
    TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    CREATED_TIME_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    TRANSFER_KIND_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    TARGET_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_CLOSE_POLICY_FIELD_NUMBER: _ClassVar[int]
    RATE_LIMIT_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    workflow_id: str
    run_id: str
    scheduled_event_id: int
    attempt: int
    shard_id: int
    task_type: _common_pb2.TaskType
    task_queue: _common_pb2.TaskQueue
    created_time: _timestamp_pb2.Timestamp
    expire_time: _timestamp_pb2.Timestamp
    transfer_kind: TransferKind
    target: _common_pb2.WorkflowExecution
    target_event_id: int
    parent_close_policy: _common_pb2.ParentClosePolicy
    rate_limit: _common_pb2.ActivityRateLimit
    def __init__(self, namespace: _Optional[str] = ..., workflow_id: _Optional[str] = ..., run_id: _Optional[str] = ..., scheduled_event_id: _Optional[int] = ..., attempt: _Optional[int] = ..., shard_id: _Optional[int] = ..., task_type: _Optional[_Union[_common_pb2.TaskType, str]] = ..., task_queue: _Optional[_Union[_common_pb2.TaskQueue, _Mapping]] = ..., created_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., transfer_kind: _Optional[_Union[TransferKind, str]] = ..., target: _Optional[_Union[_common_pb2.WorkflowExecution, _Mapping]] = ..., target_event_id: _Optional[int] = ..., parent_close_policy: _Optional[_Union[_common_pb2.ParentClosePolicy, str]] = ..., rate_limit: _Optional[_Union[_common_pb2.ActivityRateLimit, _Mapping]] = ...) -> None: ...

class QueryTaskToken(_message.Message):
    __slots__ = ("query_id", "namespace", "task_queue", "partition")
    QUERY_ID_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    query_id: str
    namespace: str
    task_queue: _common_pb2.TaskQueue
    partition: int
    def __init__(self, query_id: _Optional[str] = ..., namespace: _Optional[str] = ..., task_queue: _Optional[_Union[_common_pb2.TaskQueue, _Mapping]] = ..., partition: _Optional[int] = ...) -> None: ...
