"""Search keys on the SDK side: what a run is found by (``fanflow.search_keys`` has the rules).

* ``define(search_keys=["customer.id", ...])``: the values at those dot paths of the
  entrypoint's input are extracted (``extract_search_keys``; never raises) and sent with the start
  (``Client.start_workflow``). At a run's first workflow task the worker extracts them again from
  the run's input and records those the start did not carry or carried differently (a start by
  type name or by a schedule, a continue-as-new with new input) as an UpsertSearchKeys command
  marked ``from_sdk``; replay matches such commands leniently (``skip_event`` /
  ``drop_unechoed``), so changing the declared keys never breaks running workflows.
* ``workflows.workflow.add_search_keys({...})`` / ``delete_search_keys([...])``: in workflow code a
  command (its event is matched on replay: deterministic); inside an activity a client call
  (UpdateWorkflowSearchKeys, committed before it returns); elsewhere a warning and nothing.
  Values are coerced as the seed does: enums by value, booleans ``"true"``/``"false"``, dates
  and datetimes ISO 8601, anything else ``str()``; ``None`` is a key present without a value;
  values over 8,192 characters are truncated. A bad key (empty or padded, ``:``, a trailing
  ``=``, the ``internal.`` prefix, over 256 characters), more than 20 keys in one call, a
  container value, or a string/non-sequence given to delete raise a non-retryable
  ``ApplicationError`` listing every problem: it fails the workflow (or the activity) outright,
  as the seed's does. A run holds at most 20 keys: history drops new ones beyond that.
"""
from __future__ import annotations

import collections
import datetime
import enum
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

import structlog
from pydantic import BaseModel

from fanflow import search_keys as rules
from protos import common_pb2

from ._loop import current_instance
from .exceptions import ApplicationError

if TYPE_CHECKING:  # pragma: no cover
    from ._instance import WorkflowInstance
    from .workflow import WorkflowDefinition

log = structlog.get_logger("fanflow.sdk.search_keys")

SearchKeyValue: TypeAlias = str | int | float | bool | enum.Enum | uuid.UUID | datetime.date | None

CT = common_pb2.CommandType
E = common_pb2.EventType
SEARCH_KEY_EVENTS = {
    E.EVENT_TYPE_SEARCH_KEYS_UPSERTED: ("search_keys_upserted", CT.COMMAND_TYPE_UPSERT_SEARCH_KEYS),
    E.EVENT_TYPE_SEARCH_KEYS_DELETED: ("search_keys_deleted", CT.COMMAND_TYPE_DELETE_SEARCH_KEYS),
}
_COMMAND_ATTRS = {CT.COMMAND_TYPE_UPSERT_SEARCH_KEYS: "upsert_search_keys", CT.COMMAND_TYPE_DELETE_SEARCH_KEYS: "delete_search_keys"}
_CONTAINERS = (Mapping, list, tuple, set, frozenset)

__all__ = ["SearchKeyValue", "add_search_keys", "delete_search_keys", "extract_search_keys", "coerce_value", "to_messages"]


# ---------------------------------------------------------------- values


def coerce_value(key: str, value: Any) -> str | None:
    """The stored form of a value: None stays None (present without a value)."""
    if value is None:
        return None
    if isinstance(value, enum.Enum):
        text = str(value.value)
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, datetime.date):  # datetimes too: ISO keeps stored values uniform and sortable
        text = value.isoformat()
    else:
        text = str(value)
    if len(text) > rules.MAX_SEARCH_KEY_VALUE_CHARS:
        log.warning("search key value is too long; truncated", search_key=key, chars=len(text), max_chars=rules.MAX_SEARCH_KEY_VALUE_CHARS)
        text = text[: rules.MAX_SEARCH_KEY_VALUE_CHARS]
    return text


def to_messages(values: Mapping[str, str | None]) -> list[common_pb2.SearchKey]:
    return [common_pb2.SearchKey(key=k, unset=True) if v is None else common_pb2.SearchKey(key=k, value=v) for k, v in values.items()]


def _invalid(problems: list[str]) -> ApplicationError:
    return ApplicationError("invalid search keys:\n- " + "\n- ".join(problems), type="InvalidSearchKeys", non_retryable=True)


def checked_upsert(search_keys: Any, *, allow_reserved: bool = False) -> dict[str, str | None]:
    """The keys and their coerced values, or a non-retryable ApplicationError listing every problem."""
    if not isinstance(search_keys, Mapping):
        raise _invalid([f"add_search_keys takes a mapping of key to value, got {type(search_keys).__name__}"])
    if len(search_keys) > rules.MAX_SEARCH_KEYS:
        raise _invalid([f"add_search_keys takes at most {rules.MAX_SEARCH_KEYS} keys per call, got {len(search_keys)}"])
    problems: list[str] = []
    coerced: dict[str, str | None] = {}
    for key, value in search_keys.items():
        key_problems = rules.key_problems(key, allow_reserved=allow_reserved)
        problems += key_problems
        if isinstance(value, _CONTAINERS) or isinstance(value, BaseModel):
            problems.append(f"search key {key!r} must map to a scalar value, got {type(value).__name__}")
        elif not key_problems:
            coerced[key] = coerce_value(key, value)
    if problems:
        raise _invalid(problems)
    return coerced


def checked_delete(keys: Any, *, allow_reserved: bool = False) -> list[str]:
    # A bare string is a sequence too: it would delete one key per character.
    if isinstance(keys, (str, bytes)) or not isinstance(keys, Sequence):
        raise _invalid([f"delete_search_keys takes a list or tuple of keys, got {type(keys).__name__}"])
    if len(keys) > rules.MAX_SEARCH_KEYS:
        raise _invalid([f"delete_search_keys takes at most {rules.MAX_SEARCH_KEYS} keys per call, got {len(keys)}"])
    problems = [p for key in keys for p in rules.key_problems(key, allow_reserved=allow_reserved)]
    if problems:
        raise _invalid(problems)
    return list(dict.fromkeys(keys))


# ---------------------------------------------------------------- add / delete


async def add_search_keys(search_keys: Mapping[str, SearchKeyValue], *, _allow_reserved: bool = False, _from_sdk: bool = False) -> None:
    """Set search keys of the running execution (see the module docstring)."""
    coerced = checked_upsert(search_keys, allow_reserved=_allow_reserved)
    if not coerced:
        return
    inst = current_instance()
    if inst is not None:
        attrs = common_pb2.UpsertSearchKeysCommandAttributes(search_keys=to_messages(coerced), from_sdk=_from_sdk)
        inst._add_command(common_pb2.Command(command_type=CT.COMMAND_TYPE_UPSERT_SEARCH_KEYS, upsert_search_keys=attrs))
        return
    await _from_activity("add_search_keys", upsert=to_messages(coerced))


async def delete_search_keys(keys: Sequence[str], *, _allow_reserved: bool = False, _from_sdk: bool = False) -> None:
    """Remove search keys of the running execution (keys it does not hold are ignored)."""
    checked = checked_delete(keys, allow_reserved=_allow_reserved)
    if not checked:
        return
    inst = current_instance()
    if inst is not None:
        attrs = common_pb2.DeleteSearchKeysCommandAttributes(keys=checked, from_sdk=_from_sdk)
        inst._add_command(common_pb2.Command(command_type=CT.COMMAND_TYPE_DELETE_SEARCH_KEYS, delete_search_keys=attrs))
        return
    await _from_activity("delete_search_keys", delete_keys=checked)


async def _from_activity(operation: str, *, upsert: list[common_pb2.SearchKey] = (), delete_keys: list[str] = ()) -> None:
    """Inside an activity: UpdateWorkflowSearchKeys for the activity's run. A failure of the call
    (after the client's retries) is logged, never raised: metadata must not fail the work."""
    import grpc

    from protos import workflow_service_pb2 as ws

    from .activity_context import ActivityContext

    ctx = ActivityContext.current()
    keys = sorted(k.key for k in upsert) or sorted(delete_keys)
    if ctx is None or ctx.client is None or not ctx.info.workflow_id:
        log.warning(f"{operation} called outside a workflow or an activity run by a worker; nothing recorded", search_keys=keys)
        return
    client = ctx.client
    request = ws.UpdateWorkflowSearchKeysRequest(
        namespace=ctx.info.namespace or client.namespace,
        execution=common_pb2.WorkflowExecution(workflow_id=ctx.info.workflow_id, run_id=ctx.info.workflow_run_id),
        upsert=upsert,
        delete_keys=delete_keys,
        identity=client.identity,
    )
    try:
        response = await client.call("UpdateWorkflowSearchKeys", request)
    except grpc.aio.AioRpcError as exc:
        log.error(f"{operation} failed; the keys were not recorded", search_keys=keys, code=exc.code().name, error=exc.details())
        return
    if response.dropped_keys:
        log.warning("the run holds 20 search keys already; new keys were dropped", dropped_keys=list(response.dropped_keys))


# ---------------------------------------------------------------- define(search_keys=...)


def extract_search_keys(defn: "WorkflowDefinition", args: Sequence[Any], kwargs: Mapping[str, Any]) -> dict[str, str | None]:
    """The declared keys' values in a call's arguments (defaults applied), by the seed's rules:
    a path reaching None at its last step is present without a value; one that stops earlier
    (a None on the way) or reaches a container is left out. Never raises: metadata must not
    fail a start or a run."""
    if not defn.search_keys:
        return {}
    try:
        root = _input_as_dict(defn, args, kwargs)
    except Exception as exc:  # noqa: BLE001 - logged, nothing extracted
        log.debug("search keys: the input could not be read; none extracted", workflow=defn.name, error=str(exc))
        return {}
    found: dict[str, str | None] = {}
    for path in defn.search_keys:
        current: Any = root
        segments = path.split(".")
        for index, segment in enumerate(segments):
            if not isinstance(current, dict) or segment not in current:
                current = _MISSING
                break
            current = current[segment]
            if current is None:
                if index < len(segments) - 1:
                    current = _MISSING
                break
        if current is _MISSING or isinstance(current, (dict, list, tuple, set, frozenset)):
            continue
        found[path] = coerce_value(path, current)
    return found


_MISSING = object()


def _input_as_dict(defn: "WorkflowDefinition", args: Sequence[Any], kwargs: Mapping[str, Any]) -> dict:
    """The input as the seed reads paths in it: the input model (a single-model entrypoint's
    model, else one field per parameter) with defaults applied, dumped to plain values."""
    bound = defn.signature.bind(*args, **kwargs)
    bound.apply_defaults()
    params = defn.signature.parameters
    values = {n: v for n, v in bound.arguments.items() if params[n].kind not in (params[n].VAR_POSITIONAL, params[n].VAR_KEYWORD)}
    model = defn.input_model
    if len(values) == 1 and defn.type_hints.get(next(iter(values))) is model:  # a single-model entrypoint: the model is the input
        (value,) = values.values()
        return (value if isinstance(value, model) else model.model_validate(value)).model_dump()
    return model.model_validate(values).model_dump()


def extract_from_payload(defn: "WorkflowDefinition", payload: common_pb2.Payload | None) -> dict[str, str | None]:
    """`extract_search_keys` for a start's input payload (what the client sends)."""
    if not defn.search_keys:
        return {}
    try:
        args, kwargs = defn.decode_input(payload)
    except Exception:  # noqa: BLE001 - the worker reports bad input; nothing extracted here
        return {}
    return extract_search_keys(defn, args, kwargs)


# ---------------------------------------------------------------- in the replay loop


def record_input_keys(inst: "WorkflowInstance", args: Sequence[Any], kwargs: Mapping[str, Any], started: Sequence[common_pb2.SearchKey]) -> None:
    """At the run's first workflow task: the declared keys whose value the run did not start
    with, as an UpsertSearchKeys command from the SDK."""
    extracted = extract_search_keys(inst.definition, args, kwargs)
    held = rules.as_dict(started)
    missing = {k: v for k, v in extracted.items() if k not in held or held[k] != v}
    if missing:
        attrs = common_pb2.UpsertSearchKeysCommandAttributes(search_keys=to_messages(missing), from_sdk=True)
        inst._add_command(common_pb2.Command(command_type=CT.COMMAND_TYPE_UPSERT_SEARCH_KEYS, upsert_search_keys=attrs))


def _is_sdk_command(command: common_pb2.Command) -> bool:
    field = _COMMAND_ATTRS.get(command.command_type)
    return field is not None and getattr(command, field).from_sdk


def skip_event(pending: "collections.deque", ev: common_pb2.HistoryEvent) -> bool:
    """Replay matching of search-key events, before the ordinary matching of a command event.
    True: the event is dealt with here. An event written from outside the code (an activity, a
    client) matches no command; one the SDK wrote matches an SDK command if the code produced one
    now, and is skipped otherwise. SDK commands that history does not have (the code produces one
    that it did not produce back then) are dropped from the head of `pending`."""
    kind = SEARCH_KEY_EVENTS.get(ev.event_type)
    if kind is not None:
        attrs = getattr(ev, kind[0])
        if not attrs.workflow_task_completed_event_id:
            return True
        if attrs.from_sdk:
            if pending and _is_sdk_command(pending[0].command) and pending[0].command.command_type == kind[1]:
                pending.popleft()
            return True
    drop_unechoed(pending, only_head=True)
    return False


def drop_unechoed(pending: "collections.deque", *, only_head: bool = False) -> None:
    """Forget SDK search-key commands history did not record (see `skip_event`)."""
    if only_head:
        while pending and _is_sdk_command(pending[0].command):
            pending.popleft()
        return
    kept = [p for p in pending if not _is_sdk_command(p.command)]
    if len(kept) != len(pending):
        pending.clear()
        pending.extend(kept)


def command_key(command: common_pb2.Command) -> tuple:
    """What replay compares of a search-key command: its type and keys."""
    if command.command_type == CT.COMMAND_TYPE_UPSERT_SEARCH_KEYS:
        return (command.command_type, tuple(k.key for k in command.upsert_search_keys.search_keys))
    return (command.command_type, tuple(command.delete_search_keys.keys))


def event_key(ev: common_pb2.HistoryEvent) -> tuple:
    field, command_type = SEARCH_KEY_EVENTS[ev.event_type]
    attrs = getattr(ev, field)
    keys = attrs.search_keys if command_type == CT.COMMAND_TYPE_UPSERT_SEARCH_KEYS else attrs.keys
    return (command_type, tuple(k.key for k in keys) if command_type == CT.COMMAND_TYPE_UPSERT_SEARCH_KEYS else tuple(keys))

