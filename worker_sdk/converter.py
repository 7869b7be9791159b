"""Payload and failure conversion.

Payloads are UTF-8 JSON with encoding ``"json/plain"``, produced and validated by pydantic:

* ``to_payload(value)`` — any JSON-able value (pydantic models, dataclasses, dicts, lists,
  tuples, sets, scalars, datetimes, enums, ``None``).
* ``from_payload(payload, type_hint=Any)`` — validates with ``TypeAdapter(type_hint)``, so
  ``Model``, ``list[Model]``, ``dict[str, Model]``, ``int`` ... come back with their types.
  An empty payload (no data, e.g. an unset proto field) decodes as ``None``.
* ``encode_args(fn_or_signature, args, kwargs)`` — the arguments of a call as one JSON object
  keyed by parameter name (``self`` skipped; ``*args`` / ``**kwargs`` parameters are stored
  under their own names as a list / an object). Defaults are not filled in.
* ``decode_args(fn, payload) -> (args, kwargs)`` — the reverse, each value validated against
  the function's type hint, ready for ``fn(*args, **kwargs)``. A payload that is not a JSON
  object is accepted for a function with exactly one parameter (it is that parameter's value).

Failures: ``failure_from_exception(exc)`` and ``exception_from_failure(failure)``.
"""
from __future__ import annotations

import functools
import inspect
import json
import traceback
import typing
from typing import Any, Callable

from pydantic import TypeAdapter
from pydantic_core import PydanticSerializationError, to_jsonable_python

from protos import common_pb2

from .exceptions import ActivityError, ApplicationError, FailureError, WorkflowsException

ENCODING = "json/plain"
_MAX_CAUSE_DEPTH = 20

__all__ = [
    "ENCODING",
    "to_payload",
    "from_payload",
    "encode_args",
    "decode_args",
    "decode_with_signature",
    "signature_of",
    "type_hints_of",
    "failure_from_exception",
    "exception_from_failure",
    "describe_failure",
]


# ----------------------------------------------------------------- values

_ANY_ADAPTER: TypeAdapter[Any] = TypeAdapter(Any)


@functools.lru_cache(maxsize=1024)
def _cached_adapter(type_hint: Any) -> TypeAdapter[Any]:
    return TypeAdapter(type_hint)


def _adapter(type_hint: Any) -> TypeAdapter[Any]:
    if type_hint is Any or type_hint is inspect.Parameter.empty:
        return _ANY_ADAPTER
    try:
        return _cached_adapter(type_hint)
    except TypeError:  # unhashable hint
        return TypeAdapter(type_hint)


def to_json_bytes(value: Any) -> bytes:
    try:
        return _ANY_ADAPTER.dump_json(value)
    except PydanticSerializationError as exc:
        raise TypeError(f"cannot convert a value of type {type(value).__name__} to a JSON payload: {exc}") from exc


def to_payload(value: Any) -> common_pb2.Payload:
    """Encode ``value`` as a JSON payload."""
    return common_pb2.Payload(data=to_json_bytes(value), encoding=ENCODING)


def _check_encoding(payload: common_pb2.Payload) -> None:
    if payload.encoding and payload.encoding != ENCODING:
        raise ValueError(f"unsupported payload encoding {payload.encoding!r} (expected {ENCODING!r})")


def from_payload(payload: common_pb2.Payload | None, type_hint: Any = Any) -> Any:
    """Decode a payload, validating it against ``type_hint``.

    ``None`` or an empty payload is JSON ``null``.
    """
    if payload is None or not payload.data:
        data = b"null"
    else:
        _check_encoding(payload)
        data = payload.data
    return _adapter(type_hint).validate_json(data)


def to_jsonable(value: Any) -> Any:
    """``value`` as plain JSON-able Python (dicts, lists, scalars)."""
    return to_jsonable_python(value)


# ------------------------------------------------------------- arguments

_SIG_CACHE: dict[Any, inspect.Signature] = {}
_HINT_CACHE: dict[Any, dict[str, Any]] = {}


def _unwrap(fn: Any) -> Any:
    # Accept our decorated activity wrappers and definitions as well as plain functions.
    defn = getattr(fn, "__fanflow_activity__", None)
    if defn is not None:
        return defn.fn
    inner = getattr(fn, "run_fn", None)  # WorkflowDefinition
    if inner is not None and not callable(fn):
        return inner
    return fn


def signature_of(fn: Callable[..., Any]) -> inspect.Signature:
    """The call signature of ``fn`` without a leading ``self`` parameter (cached)."""
    fn = _unwrap(fn)
    try:
        return _SIG_CACHE[fn]
    except (KeyError, TypeError):
        pass
    sig = inspect.signature(fn)
    params = list(sig.parameters.values())
    if params and params[0].name == "self" and params[0].kind in (
        inspect.Parameter.POSITIONAL_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
    ):
        sig = sig.replace(parameters=params[1:])
    try:
        _SIG_CACHE[fn] = sig
    except TypeError:
        pass
    return sig


def type_hints_of(fn: Callable[..., Any]) -> dict[str, Any]:
    """``typing.get_type_hints(fn)`` (with extras), falling back to the raw annotations
    (unresolvable string annotations become ``Any``) when forward references cannot be
    resolved. Includes ``"return"`` when annotated."""
    fn = _unwrap(fn)
    try:
        return _HINT_CACHE[fn]
    except (KeyError, TypeError):
        pass
    try:
        hints = typing.get_type_hints(fn, include_extras=True)
    except Exception:
        # Resolve what can be resolved, one annotation at a time.
        hints = {}
        globalns = getattr(fn, "__globals__", {})
        for name, ann in getattr(fn, "__annotations__", {}).items():
            for _ in range(3):  # a quoted annotation under `from __future__ import annotations` is a string twice
                if not isinstance(ann, str):
                    break
                try:
                    ann = eval(ann, globalns, {})  # noqa: S307 - annotations of the user's own code
                except Exception:
                    ann = Any
            if isinstance(ann, str):
                ann = Any
            hints[name] = ann
    try:
        _HINT_CACHE[fn] = hints
    except TypeError:
        pass
    return hints


def encode_args(fn_or_signature: Any, args: tuple | list = (), kwargs: dict | None = None) -> common_pb2.Payload:
    """Encode a call's arguments as a JSON object keyed by parameter name.

    Without a signature (``fn_or_signature=None``: e.g. a workflow known only by its type
    name): keyword arguments become the object, a single positional argument is encoded
    bare, several positional ones as a JSON array (``decode_args`` accepts both forms).
    """
    kwargs = kwargs or {}
    if fn_or_signature is None:
        if args and kwargs:
            raise TypeError("without a signature, pass either positional or keyword arguments, not both")
        if not args:
            return to_payload(dict(kwargs))
        return to_payload(args[0] if len(args) == 1 else list(args))
    sig = fn_or_signature if isinstance(fn_or_signature, inspect.Signature) else signature_of(fn_or_signature)
    try:
        bound = sig.bind(*args, **kwargs)
    except TypeError as exc:
        raise TypeError(f"arguments do not match the signature {sig}: {exc}") from None
    return to_payload(dict(bound.arguments))


def decode_args(fn: Callable[..., Any], payload: common_pb2.Payload | None) -> tuple[list[Any], dict[str, Any]]:
    """Decode ``payload`` (from ``encode_args``) into ``(args, kwargs)`` for ``fn``,
    validating each value against ``fn``'s type hints."""
    return decode_with_signature(signature_of(fn), type_hints_of(fn), payload, what=getattr(fn, "__qualname__", fn))


def decode_with_signature(
    sig: inspect.Signature, hints: dict[str, Any], payload: common_pb2.Payload | None, *, what: Any
) -> tuple[list[Any], dict[str, Any]]:
    """``decode_args`` for a call described by ``sig`` and ``hints`` (``what`` names it in
    errors): e.g. an activity's input without its injected parameters."""
    params = list(sig.parameters.values())
    if payload is None or not payload.data:
        raw: Any = {}
    else:
        _check_encoding(payload)
        raw = json.loads(payload.data)
    names = {p.name for p in params}
    plain = [p for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if isinstance(raw, dict) and not set(raw) <= names and _has_var_keyword(params):
        pass  # unknown keys go to **kwargs below
    elif not isinstance(raw, dict) or not set(raw) <= names:
        # Not keyed by parameter name: accept it as the only parameter's value, or a
        # JSON array as positional arguments (encode_args(None, ...) of several values).
        if len(plain) == 1 and len(params) == 1:
            raw = {plain[0].name: raw}
        elif isinstance(raw, list) and len(params) > 1:
            try:
                raw = dict(sig.bind(*raw).arguments)
            except TypeError as exc:
                raise TypeError(f"cannot decode arguments for {what}{sig}: {exc}") from None
        else:
            unknown = sorted(set(raw) - names) if isinstance(raw, dict) else None
            problem = f"unexpected argument(s) {unknown}" if unknown else "the payload is not a JSON object"
            raise TypeError(f"cannot decode arguments for {what}{sig}: {problem}")

    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    positional = True
    for p in params:
        hint = hints.get(p.name, Any)
        if p.kind is p.VAR_POSITIONAL:
            if p.name in raw:
                if not positional:
                    raise TypeError(f"cannot pass *{p.name} after a missing positional argument")
                args.extend(_adapter(list[hint]).validate_python(raw[p.name]))  # type: ignore[valid-type]
            continue
        if p.kind is p.VAR_KEYWORD:
            extra = raw.get(p.name, {})
            # Unknown keys that are not parameters also land in **kwargs.
            extra = {**{k: v for k, v in raw.items() if k not in names}, **extra}
            kwargs.update(_adapter(dict[str, hint]).validate_python(extra))  # type: ignore[valid-type]
            continue
        if p.name not in raw:
            if p.default is p.empty:
                raise TypeError(
                    f"cannot decode arguments for {what}{sig}: missing argument {p.name!r}"
                )
            positional = False
            continue
        value = _adapter(hint).validate_python(raw[p.name])
        if p.kind is p.POSITIONAL_ONLY or (p.kind is p.POSITIONAL_OR_KEYWORD and positional):
            args.append(value)
        else:
            kwargs[p.name] = value
    return args, kwargs


def _has_var_keyword(params: list[inspect.Parameter]) -> bool:
    return any(p.kind is p.VAR_KEYWORD for p in params)


# --------------------------------------------------------------- failures


def failure_from_exception(exc: BaseException, *, source: str = "", _depth: int = 0) -> common_pb2.Failure:
    """Describe ``exc`` (and its ``__cause__`` chain) as a ``Failure``.

    type = ``ApplicationError.type`` when set, else the class name; ``non_retryable`` from
    ``ApplicationError(non_retryable=True)``; an ``ActivityError`` carries the activity's own
    failure as its cause; a seed ``WorkflowsException`` keeps its bare message and puts its
    ``code`` / ``status`` / ``type`` in the details.
    """
    failure = common_pb2.Failure(
        message=str(exc) or type(exc).__name__,
        type=type(exc).__name__,
        source=source,
    )
    if isinstance(exc, WorkflowsException) and not isinstance(exc, FailureError):
        failure.message = exc.message
        failure.details.CopyFrom(to_payload({"workflows_exception": {"code": str(exc.code), "status": int(exc.status), "type": exc.type}}))
    if exc.__traceback__ is not None:
        failure.stack_trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, chain=False))
    if isinstance(exc, ApplicationError):
        if exc.type:
            failure.type = exc.type
        failure.non_retryable = exc.non_retryable
        if exc.details is not None:
            failure.details.CopyFrom(to_payload(exc.details))
        if not failure.stack_trace and exc.failure is not None:
            failure.stack_trace = exc.failure.stack_trace
    if isinstance(exc, ActivityError) and exc.failure is not None:
        failure.cause.CopyFrom(exc.failure)
    elif _depth < _MAX_CAUSE_DEPTH and exc.__cause__ is not None:
        failure.cause.CopyFrom(failure_from_exception(exc.__cause__, source=source, _depth=_depth + 1))
    elif isinstance(exc, FailureError) and exc.failure is not None and exc.failure.HasField("cause"):
        failure.cause.CopyFrom(exc.failure.cause)
    return failure


def exception_from_failure(
    failure: common_pb2.Failure,
    *,
    activity_type: str | None = None,
    activity_id: str = "",
    scheduled_event_id: int = 0,
    retry_state: int = 0,
    timeout_type: int = 0,
    _depth: int = 0,
) -> FailureError:
    """Rebuild an exception from a ``Failure``.

    With ``activity_type`` given: an ``ActivityError`` whose ``cause`` is the rebuilt
    failure. Otherwise an ``ApplicationError`` with the failure's type, message,
    non_retryable flag and details; the failure's cause becomes ``__cause__``.
    """
    if activity_type is not None:
        cause = exception_from_failure(failure)
        return ActivityError(
            f"Activity {activity_type!r} (activity_id={activity_id}) failed: {describe_failure(failure)}",
            failure=failure,
            activity_type=activity_type,
            activity_id=activity_id,
            scheduled_event_id=scheduled_event_id,
            retry_state=retry_state,
            timeout_type=timeout_type,
            cause=cause,
        )
    details = None
    if failure.HasField("details") and failure.details.data:
        try:
            details = from_payload(failure.details)
        except Exception:
            details = None
    err = ApplicationError(
        failure.message,
        type=failure.type or None,
        non_retryable=failure.non_retryable,
        details=details,
        failure=failure,
    )
    if failure.HasField("cause") and _depth < _MAX_CAUSE_DEPTH:
        err.__cause__ = exception_from_failure(failure.cause, _depth=_depth + 1)
    return err


def describe_failure(failure: common_pb2.Failure) -> str:
    """``"Type: message"`` followed by ``" (caused by Type: message)"`` for each cause."""
    parts = []
    f: common_pb2.Failure | None = failure
    depth = 0
    while f is not None and depth < _MAX_CAUSE_DEPTH:
        parts.append(f"{f.type}: {f.message}" if f.type else f.message)
        f = f.cause if f.HasField("cause") else None
        depth += 1
    text = parts[0] if parts else ""
    for p in parts[1:]:
        if p not in text:  # an ActivityError's message already names its cause
            text += f" (caused by {p})"
    return text
