import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from protos import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class NamespaceInfo(_message.Message):
    __slots__ = ("name", "description", "created_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CREATED_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    created_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., created_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RegisterNamespaceRequest(_message.Message):
    __slots__ = ("name", "description")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class RegisterNamespaceResponse(_message.Message):
    __slots__ = ("namespace", "api_key")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    API_KEY_FIELD_NUMBER: _ClassVar[int]
    namespace: NamespaceInfo
    api_key: str
    def __init__(self, namespace: _Optional[_Union[NamespaceInfo, _Mapping]] = ..., api_key: _Optional[str] = ...) -> None: ...

class CreateApiKeyRequest(_message.Message):
    __slots__ = ("namespace", "description")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    description: str
    def __init__(self, namespace: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class CreateApiKeyResponse(_message.Message):
    __slots__ = ("api_key", "key_id")
    API_KEY_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    api_key: str
    key_id: str
    def __init__(self, api_key: _Optional[str] = ..., key_id: _Optional[str] = ...) -> None: ...

class DrainMemberRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DrainMemberResponse(_message.Message):
    __slots__ = ("role",)
    ROLE_FIELD_NUMBER: _ClassVar[int]
    role: str
    def __init__(self, role: _Optional[str] = ...) -> None: ...

class ListNamespacesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListNamespacesResponse(_message.Message):
    __slots__ = ("namespaces",)
    NAMESPACES_FIELD_NUMBER: _ClassVar[int]
    namespaces: _containers.RepeatedCompositeFieldContainer[NamespaceInfo]
    def __init__(self, namespaces: _Optional[_Iterable[_Union[NamespaceInfo, _Mapping]]] = ...) -> None: ...

class DescribeNamespaceRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DescribeNamespaceResponse(_message.Message):
    __slots__ = ("namespace",)
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    namespace: NamespaceInfo
    def __init__(self, namespace: _Optional[_Union[NamespaceInfo, _Mapping]] = ...) -> None: ...

class ServiceMember(_message.Message):
    __slots__ = ("role", "address", "name", "shards", "live", "draining", "heartbeat_age_seconds", "started_time")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SHARDS_FIELD_NUMBER: _ClassVar[int]
    LIVE_FIELD_NUMBER: _ClassVar[int]
    DRAINING_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_AGE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    STARTED_TIME_FIELD_NUMBER: _ClassVar[int]
    role: str
    address: str
    name: str
    shards: _containers.RepeatedScalarFieldContainer[int]
    live: bool
    draining: bool
    heartbeat_age_seconds: float
    started_time: _timestamp_pb2.Timestamp
    def __init__(self, role: _Optional[str] = ..., address: _Optional[str] = ..., name: _Optional[str] = ..., shards: _Optional[_Iterable[int]] = ..., live: _Optional[bool] = ..., draining: _Optional[bool] = ..., heartbeat_age_seconds: _Optional[float] = ..., started_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class DescribeClusterRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class DescribeClusterResponse(_message.Message):
    __slots__ = ("cluster_name", "history_shard_count", "task_queue_partitions", "members", "membership", "membership_lease_seconds")
    CLUSTER_NAME_FIELD_NUMBER: _ClassVar[int]
    HISTORY_SHARD_COUNT_FIELD_NUMBER: _ClassVar[int]
    TASK_QUEUE_PARTITIONS_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    MEMBERSHIP_FIELD_NUMBER: _ClassVar[int]
    MEMBERSHIP_LEASE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    cluster_name: str
    history_shard_count: int
    task_queue_partitions: int
    members: _containers.RepeatedCompositeFieldContainer[ServiceMember]
    membership: str
    membership_lease_seconds: float
    def __init__(self, cluster_name: _Optional[str] = ..., history_shard_count: _Optional[int] = ..., task_queue_partitions: _Optional[int] = ..., members: _Optional[_Iterable[_Union[ServiceMember, _Mapping]]] = ..., membership: _Optional[str] = ..., membership_lease_seconds: _Optional[float] = ...) -> None: ...

class DescribeShardRequest(_message.Message):
    __slots__ = ("shard_id",)
    SHARD_ID_FIELD_NUMBER: _ClassVar[int]
    shard_id: int
    def __init__(self, shard_id: _Optional[int] = ...) -> None: ...

class DescribeShardResponse(_message.Message):
    __slots__ = ("shard_id", "owner", "range_id", "running_workflows", "closed_workflows", "events", "outbox_depth", "pending_timers", "db_path", "lease_remaining_seconds", "owner_address")
    SHARD_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    RANGE_ID_FIELD_NUMBER: _ClassVar[int]
    RUNNING_WORKFLOWS_FIELD_NUMBER: _ClassVar[int]
    CLOSED_WORKFLOWS_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    OUTBOX_DEPTH_FIELD_NUMBER: _ClassVar[int]
    PENDING_TIMERS_FIELD_NUMBER: _ClassVar[int]
    DB_PATH_FIELD_NUMBER: _ClassVar[int]
    LEASE_REMAINING_SECONDS_FIELD_NUMBER: _ClassVar[int]
    OWNER_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    shard_id: int
    owner: str
    range_id: int
    running_workflows: int
    closed_workflows: int
    events: int
    outbox_depth: int
    pending_timers: int
    db_path: str
    lease_remaining_seconds: float
    owner_address: str
    def __init__(self, shard_id: _Optional[int] = ..., owner: _Optional[str] = ..., range_id: _Optional[int] = ..., running_workflows: _Optional[int] = ..., closed_workflows: _Optional[int] = ..., events: _Optional[int] = ..., outbox_depth: _Optional[int] = ..., pending_timers: _Optional[int] = ..., db_path: _Optional[str] = ..., lease_remaining_seconds: _Optional[float] = ..., owner_address: _Optional[str] = ...) -> None: ...

class ListShardsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListShardsResponse(_message.Message):
    __slots__ = ("shards",)
    SHARDS_FIELD_NUMBER: _ClassVar[int]
    shards: _containers.RepeatedCompositeFieldContainer[DescribeShardResponse]
    def __init__(self, shards: _Optional[_Iterable[_Union[DescribeShardResponse, _Mapping]]] = ...) -> None: ...

class TaskQueuePartitionInfo(_message.Message):
    __slots__ = ("partition", "owner", "backlog", "pollers", "tasks_added", "tasks_dispatched", "sync_matched")
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    BACKLOG_FIELD_NUMBER: _ClassVar[int]
    POLLERS_FIELD_NUMBER: _ClassVar[int]
    TASKS_ADDED_FIELD_NUMBER: _ClassVar[int]
    TASKS_DISPATCHED_FIELD_NUMBER: _ClassVar[int]
    SYNC_MATCHED_FIELD_NUMBER: _ClassVar[int]
    partition: int
    owner: str
    backlog: int
    pollers: int
    tasks_added: int
    tasks_dispatched: int
    sync_matched: int
    def __init__(self, partition: _Optional[int] = ..., owner: _Optional[str] = ..., backlog: _Optional[int] = ..., pollers: _Optional[int] = ..., tasks_added: _Optional[int] = ..., tasks_dispatched: _Optional[int] = ..., sync_matched: _Optional[int] = ...) -> None: ...

class DescribeTaskQueueRequest(_message.Message):
    __slots__ = ("namespace", "task_queue", "task_type")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    TASK_TYPE_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    task_queue: _common_pb2.TaskQueue
    task_type: _common_pb2.TaskType
    def __init__(self, namespace: _Optional[str] = ..., task_queue: _Optional[_Union[_common_pb2.TaskQueue, _Mapping]] = ..., task_type: _Optional[_Union[_common_pb2.TaskType, str]] = ...) -> None: ...

class DescribeTaskQueueResponse(_message.Message):
    __slots__ = ("partitions", "recent_poller_identities")
    PARTITIONS_FIELD_NUMBER: _ClassVar[int]
    RECENT_POLLER_IDENTITIES_FIELD_NUMBER: _ClassVar[int]
    partitions: _containers.RepeatedCompositeFieldContainer[TaskQueuePartitionInfo]
    recent_poller_identities: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, partitions: _Optional[_Iterable[_Union[TaskQueuePartitionInfo, _Mapping]]] = ..., recent_poller_identities: _Optional[_Iterable[str]] = ...) -> None: ...
