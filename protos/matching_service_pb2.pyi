from protos import admin_service_pb2 as _admin_service_pb2
from protos import internal_pb2 as _internal_pb2
from protos import workflow_service_pb2 as _workflow_service_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

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
