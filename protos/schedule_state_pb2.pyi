import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from protos import schedule_pb2 as _schedule_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BufferedStart(_message.Message):
    __slots__ = ("nominal_time", "actual_time", "overlap_policy", "manual", "workflow_id", "request_id", "buffered_time", "starting", "attempt", "retry_time")
    NOMINAL_TIME_FIELD_NUMBER: _ClassVar[int]
    ACTUAL_TIME_FIELD_NUMBER: _ClassVar[int]
    OVERLAP_POLICY_FIELD_NUMBER: _ClassVar[int]
    MANUAL_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    BUFFERED_TIME_FIELD_NUMBER: _ClassVar[int]
    STARTING_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    RETRY_TIME_FIELD_NUMBER: _ClassVar[int]
    nominal_time: _timestamp_pb2.Timestamp
    actual_time: _timestamp_pb2.Timestamp
    overlap_policy: _schedule_pb2.ScheduleOverlapPolicy
    manual: bool
    workflow_id: str
    request_id: str
    buffered_time: _timestamp_pb2.Timestamp
    starting: bool
    attempt: int
    retry_time: _timestamp_pb2.Timestamp
    def __init__(self, nominal_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actual_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., overlap_policy: _Optional[_Union[_schedule_pb2.ScheduleOverlapPolicy, str]] = ..., manual: _Optional[bool] = ..., workflow_id: _Optional[str] = ..., request_id: _Optional[str] = ..., buffered_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., starting: _Optional[bool] = ..., attempt: _Optional[int] = ..., retry_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ScheduleRecord(_message.Message):
    __slots__ = ("namespace", "schedule_id", "schedule", "info", "last_processed_time", "buffer", "backfills", "conflict_token", "recent_request_ids", "incarnation", "wakeup_generation", "wakeup_time", "cancel_requested", "max_actions")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    INFO_FIELD_NUMBER: _ClassVar[int]
    LAST_PROCESSED_TIME_FIELD_NUMBER: _ClassVar[int]
    BUFFER_FIELD_NUMBER: _ClassVar[int]
    BACKFILLS_FIELD_NUMBER: _ClassVar[int]
    CONFLICT_TOKEN_FIELD_NUMBER: _ClassVar[int]
    RECENT_REQUEST_IDS_FIELD_NUMBER: _ClassVar[int]
    INCARNATION_FIELD_NUMBER: _ClassVar[int]
    WAKEUP_GENERATION_FIELD_NUMBER: _ClassVar[int]
    WAKEUP_TIME_FIELD_NUMBER: _ClassVar[int]
    CANCEL_REQUESTED_FIELD_NUMBER: _ClassVar[int]
    MAX_ACTIONS_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    schedule_id: str
    schedule: _schedule_pb2.Schedule
    info: _schedule_pb2.ScheduleInfo
    last_processed_time: _timestamp_pb2.Timestamp
    buffer: _containers.RepeatedCompositeFieldContainer[BufferedStart]
    backfills: _containers.RepeatedCompositeFieldContainer[_schedule_pb2.ScheduleBackfill]
    conflict_token: int
    recent_request_ids: _containers.RepeatedScalarFieldContainer[str]
    incarnation: str
    wakeup_generation: int
    wakeup_time: _timestamp_pb2.Timestamp
    cancel_requested: bool
    max_actions: int
    def __init__(self, namespace: _Optional[str] = ..., schedule_id: _Optional[str] = ..., schedule: _Optional[_Union[_schedule_pb2.Schedule, _Mapping]] = ..., info: _Optional[_Union[_schedule_pb2.ScheduleInfo, _Mapping]] = ..., last_processed_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., buffer: _Optional[_Iterable[_Union[BufferedStart, _Mapping]]] = ..., backfills: _Optional[_Iterable[_Union[_schedule_pb2.ScheduleBackfill, _Mapping]]] = ..., conflict_token: _Optional[int] = ..., recent_request_ids: _Optional[_Iterable[str]] = ..., incarnation: _Optional[str] = ..., wakeup_generation: _Optional[int] = ..., wakeup_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., cancel_requested: _Optional[bool] = ..., max_actions: _Optional[int] = ...) -> None: ...
