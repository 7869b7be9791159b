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

class ScheduleOverlapPolicy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SCHEDULE_OVERLAP_POLICY_UNSPECIFIED: _ClassVar[ScheduleOverlapPolicy]
    SCHEDULE_OVERLAP_POLICY_SKIP: _ClassVar[ScheduleOverlapPolicy]
    SCHEDULE_OVERLAP_POLICY_BUFFER_ONE: _ClassVar[ScheduleOverlapPolicy]
    SCHEDULE_OVERLAP_POLICY_BUFFER_ALL: _ClassVar[ScheduleOverlapPolicy]
    SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER: _ClassVar[ScheduleOverlapPolicy]
    SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER: _ClassVar[ScheduleOverlapPolicy]
    SCHEDULE_OVERLAP_POLICY_ALLOW_ALL: _ClassVar[ScheduleOverlapPolicy]
SCHEDULE_OVERLAP_POLICY_UNSPECIFIED: ScheduleOverlapPolicy
SCHEDULE_OVERLAP_POLICY_SKIP: ScheduleOverlapPolicy
SCHEDULE_OVERLAP_POLICY_BUFFER_ONE: ScheduleOverlapPolicy
SCHEDULE_OVERLAP_POLICY_BUFFER_ALL: ScheduleOverlapPolicy
SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER: ScheduleOverlapPolicy
SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER: ScheduleOverlapPolicy
SCHEDULE_OVERLAP_POLICY_ALLOW_ALL: ScheduleOverlapPolicy

class ScheduleRange(_message.Message):
    __slots__ = ("start", "end", "step")
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    start: int
    end: int
    step: int
    def __init__(self, start: _Optional[int] = ..., end: _Optional[int] = ..., step: _Optional[int] = ...) -> None: ...

class ScheduleCalendar(_message.Message):
    __slots__ = ("second", "minute", "hour", "day_of_month", "month", "year", "day_of_week", "comment")
    SECOND_FIELD_NUMBER: _ClassVar[int]
    MINUTE_FIELD_NUMBER: _ClassVar[int]
    HOUR_FIELD_NUMBER: _ClassVar[int]
    DAY_OF_MONTH_FIELD_NUMBER: _ClassVar[int]
    MONTH_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    DAY_OF_WEEK_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    second: _containers.RepeatedCompositeFieldContainer[ScheduleRange]
    minute: _containers.RepeatedCompositeFieldContainer[ScheduleRange]
    hour: _containers.RepeatedCompositeFieldContainer[ScheduleRange]
    day_of_month: _containers.RepeatedCompositeFieldContainer[ScheduleRange]
    month: _containers.RepeatedCompositeFieldContainer[ScheduleRange]
    year: _containers.RepeatedCompositeFieldContainer[ScheduleRange]
    day_of_week: _containers.RepeatedCompositeFieldContainer[ScheduleRange]
    comment: str
    def __init__(self, second: _Optional[_Iterable[_Union[ScheduleRange, _Mapping]]] = ..., minute: _Optional[_Iterable[_Union[ScheduleRange, _Mapping]]] = ..., hour: _Optional[_Iterable[_Union[ScheduleRange, _Mapping]]] = ..., day_of_month: _Optional[_Iterable[_Union[ScheduleRange, _Mapping]]] = ..., month: _Optional[_Iterable[_Union[ScheduleRange, _Mapping]]] = ..., year: _Optional[_Iterable[_Union[ScheduleRange, _Mapping]]] = ..., day_of_week: _Optional[_Iterable[_Union[ScheduleRange, _Mapping]]] = ..., comment: _Optional[str] = ...) -> None: ...

class ScheduleInterval(_message.Message):
    __slots__ = ("every", "offset")
    EVERY_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    every: _duration_pb2.Duration
    offset: _duration_pb2.Duration
    def __init__(self, every: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., offset: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class ScheduleSpec(_message.Message):
    __slots__ = ("calendars", "intervals", "cron_expressions", "skip", "start_time", "end_time", "jitter", "time_zone_name")
    CALENDARS_FIELD_NUMBER: _ClassVar[int]
    INTERVALS_FIELD_NUMBER: _ClassVar[int]
    CRON_EXPRESSIONS_FIELD_NUMBER: _ClassVar[int]
    SKIP_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    JITTER_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_NAME_FIELD_NUMBER: _ClassVar[int]
    calendars: _containers.RepeatedCompositeFieldContainer[ScheduleCalendar]
    intervals: _containers.RepeatedCompositeFieldContainer[ScheduleInterval]
    cron_expressions: _containers.RepeatedScalarFieldContainer[str]
    skip: _containers.RepeatedCompositeFieldContainer[ScheduleCalendar]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    jitter: _duration_pb2.Duration
    time_zone_name: str
    def __init__(self, calendars: _Optional[_Iterable[_Union[ScheduleCalendar, _Mapping]]] = ..., intervals: _Optional[_Iterable[_Union[ScheduleInterval, _Mapping]]] = ..., cron_expressions: _Optional[_Iterable[str]] = ..., skip: _Optional[_Iterable[_Union[ScheduleCalendar, _Mapping]]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., jitter: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., time_zone_name: _Optional[str] = ...) -> None: ...

class SchedulePolicies(_message.Message):
    __slots__ = ("overlap_policy", "catchup_window", "pause_on_failure")
    OVERLAP_POLICY_FIELD_NUMBER: _ClassVar[int]
    CATCHUP_WINDOW_FIELD_NUMBER: _ClassVar[int]
    PAUSE_ON_FAILURE_FIELD_NUMBER: _ClassVar[int]
    overlap_policy: ScheduleOverlapPolicy
    catchup_window: _duration_pb2.Duration
    pause_on_failure: bool
    def __init__(self, overlap_policy: _Optional[_Union[ScheduleOverlapPolicy, str]] = ..., catchup_window: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., pause_on_failure: _Optional[bool] = ...) -> None: ...

class ScheduleAction(_message.Message):
    __slots__ = ("workflow_type", "task_queue", "input", "workflow_execution_timeout", "workflow_run_timeout", "workflow_task_timeout", "metadata")
    WORKFLOW_TYPE_FIELD_NUMBER: _ClassVar[int]
    TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_EXECUTION_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_RUN_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TASK_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    workflow_type: _common_pb2.WorkflowType
    task_queue: _common_pb2.TaskQueue
    input: _common_pb2.Payload
    workflow_execution_timeout: _duration_pb2.Duration
    workflow_run_timeout: _duration_pb2.Duration
    workflow_task_timeout: _duration_pb2.Duration
    metadata: _common_pb2.WorkflowMetadata
    def __init__(self, workflow_type: _Optional[_Union[_common_pb2.WorkflowType, _Mapping]] = ..., task_queue: _Optional[_Union[_common_pb2.TaskQueue, _Mapping]] = ..., input: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ..., workflow_execution_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., workflow_run_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., workflow_task_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., metadata: _Optional[_Union[_common_pb2.WorkflowMetadata, _Mapping]] = ...) -> None: ...

class ScheduleState(_message.Message):
    __slots__ = ("paused", "notes", "limited_actions", "remaining_actions")
    PAUSED_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    LIMITED_ACTIONS_FIELD_NUMBER: _ClassVar[int]
    REMAINING_ACTIONS_FIELD_NUMBER: _ClassVar[int]
    paused: bool
    notes: str
    limited_actions: bool
    remaining_actions: int
    def __init__(self, paused: _Optional[bool] = ..., notes: _Optional[str] = ..., limited_actions: _Optional[bool] = ..., remaining_actions: _Optional[int] = ...) -> None: ...

class Schedule(_message.Message):
    __slots__ = ("spec", "action", "policies", "state")
    SPEC_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    POLICIES_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    spec: ScheduleSpec
    action: ScheduleAction
    policies: SchedulePolicies
    state: ScheduleState
    def __init__(self, spec: _Optional[_Union[ScheduleSpec, _Mapping]] = ..., action: _Optional[_Union[ScheduleAction, _Mapping]] = ..., policies: _Optional[_Union[SchedulePolicies, _Mapping]] = ..., state: _Optional[_Union[ScheduleState, _Mapping]] = ...) -> None: ...

class ScheduleActionResult(_message.Message):
    __slots__ = ("schedule_time", "actual_time", "workflow_id", "run_id", "status", "manual", "buffered_time")
    SCHEDULE_TIME_FIELD_NUMBER: _ClassVar[int]
    ACTUAL_TIME_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MANUAL_FIELD_NUMBER: _ClassVar[int]
    BUFFERED_TIME_FIELD_NUMBER: _ClassVar[int]
    schedule_time: _timestamp_pb2.Timestamp
    actual_time: _timestamp_pb2.Timestamp
    workflow_id: str
    run_id: str
    status: _common_pb2.WorkflowExecutionStatus
    manual: bool
    buffered_time: _timestamp_pb2.Timestamp
    def __init__(self, schedule_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actual_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., workflow_id: _Optional[str] = ..., run_id: _Optional[str] = ..., status: _Optional[_Union[_common_pb2.WorkflowExecutionStatus, str]] = ..., manual: _Optional[bool] = ..., buffered_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ScheduleInfo(_message.Message):
    __slots__ = ("action_count", "missed_catchup_window", "overlap_skipped", "running_workflows", "recent_actions", "future_action_times", "create_time", "update_time", "buffer_size", "buffer_dropped", "last_start_error", "declared")
    ACTION_COUNT_FIELD_NUMBER: _ClassVar[int]
    MISSED_CATCHUP_WINDOW_FIELD_NUMBER: _ClassVar[int]
    OVERLAP_SKIPPED_FIELD_NUMBER: _ClassVar[int]
    RUNNING_WORKFLOWS_FIELD_NUMBER: _ClassVar[int]
    RECENT_ACTIONS_FIELD_NUMBER: _ClassVar[int]
    FUTURE_ACTION_TIMES_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    BUFFER_SIZE_FIELD_NUMBER: _ClassVar[int]
    BUFFER_DROPPED_FIELD_NUMBER: _ClassVar[int]
    LAST_START_ERROR_FIELD_NUMBER: _ClassVar[int]
    DECLARED_FIELD_NUMBER: _ClassVar[int]
    action_count: int
    missed_catchup_window: int
    overlap_skipped: int
    running_workflows: _containers.RepeatedCompositeFieldContainer[_common_pb2.WorkflowExecution]
    recent_actions: _containers.RepeatedCompositeFieldContainer[ScheduleActionResult]
    future_action_times: _containers.RepeatedCompositeFieldContainer[_timestamp_pb2.Timestamp]
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    buffer_size: int
    buffer_dropped: int
    last_start_error: str
    declared: bool
    def __init__(self, action_count: _Optional[int] = ..., missed_catchup_window: _Optional[int] = ..., overlap_skipped: _Optional[int] = ..., running_workflows: _Optional[_Iterable[_Union[_common_pb2.WorkflowExecution, _Mapping]]] = ..., recent_actions: _Optional[_Iterable[_Union[ScheduleActionResult, _Mapping]]] = ..., future_action_times: _Optional[_Iterable[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., buffer_size: _Optional[int] = ..., buffer_dropped: _Optional[int] = ..., last_start_error: _Optional[str] = ..., declared: _Optional[bool] = ...) -> None: ...

class ScheduleBackfill(_message.Message):
    __slots__ = ("start_time", "end_time", "overlap_policy")
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    OVERLAP_POLICY_FIELD_NUMBER: _ClassVar[int]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    overlap_policy: ScheduleOverlapPolicy
    def __init__(self, start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., overlap_policy: _Optional[_Union[ScheduleOverlapPolicy, str]] = ...) -> None: ...

class ScheduleTrigger(_message.Message):
    __slots__ = ("overlap_policy",)
    OVERLAP_POLICY_FIELD_NUMBER: _ClassVar[int]
    overlap_policy: ScheduleOverlapPolicy
    def __init__(self, overlap_policy: _Optional[_Union[ScheduleOverlapPolicy, str]] = ...) -> None: ...

class SchedulePatch(_message.Message):
    __slots__ = ("trigger_immediately", "backfill", "pause", "unpause", "note")
    TRIGGER_IMMEDIATELY_FIELD_NUMBER: _ClassVar[int]
    BACKFILL_FIELD_NUMBER: _ClassVar[int]
    PAUSE_FIELD_NUMBER: _ClassVar[int]
    UNPAUSE_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    trigger_immediately: ScheduleTrigger
    backfill: _containers.RepeatedCompositeFieldContainer[ScheduleBackfill]
    pause: bool
    unpause: bool
    note: str
    def __init__(self, trigger_immediately: _Optional[_Union[ScheduleTrigger, _Mapping]] = ..., backfill: _Optional[_Iterable[_Union[ScheduleBackfill, _Mapping]]] = ..., pause: _Optional[bool] = ..., unpause: _Optional[bool] = ..., note: _Optional[str] = ...) -> None: ...

class CreateScheduleRequest(_message.Message):
    __slots__ = ("namespace", "schedule_id", "schedule", "identity", "request_id", "update_if_exists", "declared")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    UPDATE_IF_EXISTS_FIELD_NUMBER: _ClassVar[int]
    DECLARED_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    schedule_id: str
    schedule: Schedule
    identity: str
    request_id: str
    update_if_exists: bool
    declared: bool
    def __init__(self, namespace: _Optional[str] = ..., schedule_id: _Optional[str] = ..., schedule: _Optional[_Union[Schedule, _Mapping]] = ..., identity: _Optional[str] = ..., request_id: _Optional[str] = ..., update_if_exists: _Optional[bool] = ..., declared: _Optional[bool] = ...) -> None: ...

class CreateScheduleResponse(_message.Message):
    __slots__ = ("created", "updated")
    CREATED_FIELD_NUMBER: _ClassVar[int]
    UPDATED_FIELD_NUMBER: _ClassVar[int]
    created: bool
    updated: bool
    def __init__(self, created: _Optional[bool] = ..., updated: _Optional[bool] = ...) -> None: ...

class DescribeScheduleRequest(_message.Message):
    __slots__ = ("namespace", "schedule_id", "future_action_count")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    FUTURE_ACTION_COUNT_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    schedule_id: str
    future_action_count: int
    def __init__(self, namespace: _Optional[str] = ..., schedule_id: _Optional[str] = ..., future_action_count: _Optional[int] = ...) -> None: ...

class DescribeScheduleResponse(_message.Message):
    __slots__ = ("schedule", "info", "conflict_token")
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    INFO_FIELD_NUMBER: _ClassVar[int]
    CONFLICT_TOKEN_FIELD_NUMBER: _ClassVar[int]
    schedule: Schedule
    info: ScheduleInfo
    conflict_token: int
    def __init__(self, schedule: _Optional[_Union[Schedule, _Mapping]] = ..., info: _Optional[_Union[ScheduleInfo, _Mapping]] = ..., conflict_token: _Optional[int] = ...) -> None: ...

class ListSchedulesRequest(_message.Message):
    __slots__ = ("namespace", "page_size", "next_page_token")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    page_size: int
    next_page_token: bytes
    def __init__(self, namespace: _Optional[str] = ..., page_size: _Optional[int] = ..., next_page_token: _Optional[bytes] = ...) -> None: ...

class ScheduleListEntry(_message.Message):
    __slots__ = ("schedule_id", "workflow_type", "state", "future_action_times", "recent_actions", "spec")
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TYPE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    FUTURE_ACTION_TIMES_FIELD_NUMBER: _ClassVar[int]
    RECENT_ACTIONS_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    schedule_id: str
    workflow_type: _common_pb2.WorkflowType
    state: ScheduleState
    future_action_times: _containers.RepeatedCompositeFieldContainer[_timestamp_pb2.Timestamp]
    recent_actions: _containers.RepeatedCompositeFieldContainer[ScheduleActionResult]
    spec: ScheduleSpec
    def __init__(self, schedule_id: _Optional[str] = ..., workflow_type: _Optional[_Union[_common_pb2.WorkflowType, _Mapping]] = ..., state: _Optional[_Union[ScheduleState, _Mapping]] = ..., future_action_times: _Optional[_Iterable[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]]] = ..., recent_actions: _Optional[_Iterable[_Union[ScheduleActionResult, _Mapping]]] = ..., spec: _Optional[_Union[ScheduleSpec, _Mapping]] = ...) -> None: ...

class ListSchedulesResponse(_message.Message):
    __slots__ = ("schedules", "next_page_token")
    SCHEDULES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    schedules: _containers.RepeatedCompositeFieldContainer[ScheduleListEntry]
    next_page_token: bytes
    def __init__(self, schedules: _Optional[_Iterable[_Union[ScheduleListEntry, _Mapping]]] = ..., next_page_token: _Optional[bytes] = ...) -> None: ...

class PatchScheduleRequest(_message.Message):
    __slots__ = ("namespace", "schedule_id", "patch", "identity", "request_id")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    PATCH_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    schedule_id: str
    patch: SchedulePatch
    identity: str
    request_id: str
    def __init__(self, namespace: _Optional[str] = ..., schedule_id: _Optional[str] = ..., patch: _Optional[_Union[SchedulePatch, _Mapping]] = ..., identity: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class PatchScheduleResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class DeleteScheduleRequest(_message.Message):
    __slots__ = ("namespace", "schedule_id", "identity")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    schedule_id: str
    identity: str
    def __init__(self, namespace: _Optional[str] = ..., schedule_id: _Optional[str] = ..., identity: _Optional[str] = ...) -> None: ...

class DeleteScheduleResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class RegisterWorkflowTypesRequest(_message.Message):
    __slots__ = ("namespace", "task_queue", "workflow_types", "identity")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TYPES_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    task_queue: str
    workflow_types: _containers.RepeatedScalarFieldContainer[str]
    identity: str
    def __init__(self, namespace: _Optional[str] = ..., task_queue: _Optional[str] = ..., workflow_types: _Optional[_Iterable[str]] = ..., identity: _Optional[str] = ...) -> None: ...

class RegisterWorkflowTypesResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListWorkflowTypesRequest(_message.Message):
    __slots__ = ("namespace", "workflow_types")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TYPES_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    workflow_types: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, namespace: _Optional[str] = ..., workflow_types: _Optional[_Iterable[str]] = ...) -> None: ...

class RegisteredWorkflowType(_message.Message):
    __slots__ = ("workflow_type", "task_queues", "last_registered_time")
    WORKFLOW_TYPE_FIELD_NUMBER: _ClassVar[int]
    TASK_QUEUES_FIELD_NUMBER: _ClassVar[int]
    LAST_REGISTERED_TIME_FIELD_NUMBER: _ClassVar[int]
    workflow_type: str
    task_queues: _containers.RepeatedScalarFieldContainer[str]
    last_registered_time: _timestamp_pb2.Timestamp
    def __init__(self, workflow_type: _Optional[str] = ..., task_queues: _Optional[_Iterable[str]] = ..., last_registered_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListWorkflowTypesResponse(_message.Message):
    __slots__ = ("workflow_types",)
    WORKFLOW_TYPES_FIELD_NUMBER: _ClassVar[int]
    workflow_types: _containers.RepeatedCompositeFieldContainer[RegisteredWorkflowType]
    def __init__(self, workflow_types: _Optional[_Iterable[_Union[RegisteredWorkflowType, _Mapping]]] = ...) -> None: ...
