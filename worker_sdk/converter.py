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
import types
import typing
from collections.abc import Mapping
from typing import Any, Callable

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import PydanticSerializationError, to_jsonable_python

from protos import common_pb2

from .exceptions import ActivityError, ApplicationError, FailureError, WorkflowsException

ENCODING = "json/plain"
_MAX_CAUSE_DEPTH = 20

__all__ = [
    "ENCODING",
    "PayloadTooLargeError",
    "type_adapter",
    "to_payload",
    "from_payload",
    "encode_args",
    "decode_args",
    "decode_params",
    "bind_params",
    "validate_bound",
    "describe_validation_error",
    "is_model_type",
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


def type_adapter(type_hint: Any) -> TypeAdapter[Any]:
    """The (cached) pydantic ``TypeAdapter`` for ``type_hint``; a missing hint
    (``inspect.Parameter.empty``) is ``Any``. Every validation in the SDK goes through it."""
    if type_hint is Any or type_hint is inspect.Parameter.empty:
        return _ANY_ADAPTER
    try:
        return _cached_adapter(type_hint)
    except TypeError:  # unhashable hint
        return TypeAdapter(type_hint)


class PayloadTooLargeError(ValueError):
    """A value holding lazy executor results encodes to more than one payload may carry
    (``fanflow.protocol.MAX_PAYLOAD_BYTES``). The worker fails the workflow task with
    cause PAYLOAD_TOO_LARGE and history terminates the run with this message, as it does
    for any completion carrying an oversized payload."""


def to_json_bytes(value: Any) -> bytes:
    try:
        return _ANY_ADAPTER.dump_json(value)
    except PydanticSerializationError as exc:
        if holds_lazy_results(value):
            return _lazy_json_bytes(value)
        raise TypeError(f"cannot convert a value of type {type(value).__name__} to a JSON payload: {exc}") from exc


def _is_lazy_results(value: Any) -> bool:
    from .executors.lazy_results import ExecutorResults

    return isinstance(value, ExecutorResults)


def holds_lazy_results(value: Any, depth: int = 0) -> bool:
    """Whether ``value`` is or holds (in dicts, lists, tuples) lazy executor results."""
    if _is_lazy_results(value):
        return True
    if depth > 20:
        return False
    if isinstance(value, Mapping):
        return any(holds_lazy_results(v, depth + 1) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(holds_lazy_results(v, depth + 1) for v in value)
    return False


def _lazy_json_bytes(value: Any) -> bytes:
    """JSON of a value holding ``ExecutorResults`` (lazy executor results; pydantic reads a
    list's storage, where they keep placeholders): encoded a page at a time. Past
    ``MAX_PAYLOAD_BYTES`` nothing more is kept, the rest is only counted, and
    ``PayloadTooLargeError`` names the size."""
    from fanflow.protocol import MAX_PAYLOAD_BYTES, payload_too_large_message

    parts: list[bytes] = []
    size = 0

    def emit(b: bytes) -> None:
        nonlocal size
        size += len(b)
        if size <= MAX_PAYLOAD_BYTES:
            parts.append(b)

    def encode(v: Any) -> None:
        if _is_lazy_results(v):
            emit(b"[")
            step = 1000
            for start in range(0, len(v), step):
                chunk = _ANY_ADAPTER.dump_json(v[start:start + step])
                emit((b"," if start else b"") + chunk[1:-1])
            emit(b"]")
        elif isinstance(v, Mapping) and holds_lazy_results(v):
            emit(b"{")
            for i, (key, item) in enumerate(v.items()):
                emit((b"," if i else b"") + _ANY_ADAPTER.dump_json(key if isinstance(key, str) else str(key)) + b":")
                encode(item)
            emit(b"}")
        elif isinstance(v, (list, tuple)) and holds_lazy_results(v):
            emit(b"[")
            for i, item in enumerate(v):
                if i:
                    emit(b",")
                encode(item)
            emit(b"]")
        else:
            emit(_ANY_ADAPTER.dump_json(v))

    encode(value)
    if size > MAX_PAYLOAD_BYTES:
        raise PayloadTooLargeError(
            payload_too_large_message("a value holding executor results (e.g. the workflow's result)", size, MAX_PAYLOAD_BYTES)
            + "; or return a summary of the results (their count, a total, the failures) instead of all of them"
        )
    return b"".join(parts)


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
    if payload is not None and payload.blob_id and not payload.data:
        raise ValueError(
            f"this payload is stored beside history (blob {payload.blob_id} of workflow {payload.blob_workflow_id!r}); "
            "read it through a Client, which resolves blob references (worker_sdk.offload.resolve_payloads)"
        )
    if payload is None or not payload.data:
        data = b"null"
    else:
        _check_encoding(payload)
        data = payload.data
    return type_adapter(type_hint).validate_json(data)


def to_jsonable(value: Any) -> Any:
    """``value`` as plain JSON-able Python (dicts, lists, scalars)."""
    try:
        return to_jsonable_python(value)
    except PydanticSerializationError:
        if holds_lazy_results(value):
            return json.loads(_lazy_json_bytes(value))
        raise


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
    elif not isinstance(raw, dict) or not set(raw) <= names or _lacks_only_required(params, raw):
        # Not keyed by parameter name: accept it as the only parameter's value (a seed-style
        # client sends a model's fields bare, `{}` for an all-default model), or a JSON
        # array as positional arguments (encode_args(None, ...) of several values).
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
                args.extend(type_adapter(list[hint]).validate_python(raw[p.name]))  # type: ignore[valid-type]
            continue
        if p.kind is p.VAR_KEYWORD:
            extra = raw.get(p.name, {})
            # Unknown keys that are not parameters also land in **kwargs.
            extra = {**{k: v for k, v in raw.items() if k not in names}, **extra}
            kwargs.update(type_adapter(dict[str, hint]).validate_python(extra))  # type: ignore[valid-type]
            continue
        if p.name not in raw:
            if p.default is p.empty:
                raise TypeError(
                    f"cannot decode arguments for {what}{sig}: missing argument {p.name!r}"
                )
            positional = False
            continue
        value = type_adapter(hint).validate_python(raw[p.name])
        if p.kind is p.POSITIONAL_ONLY or (p.kind is p.POSITIONAL_OR_KEYWORD and positional):
            args.append(value)
        else:
            kwargs[p.name] = value
    return args, kwargs


def validate_bound(hints: dict[str, Any], bound: dict[str, Any]) -> None:
    """Check each bound argument against its parameter's type hint (``TypeError`` naming it)."""
    for name, value in bound.items():
        try:
            type_adapter(hints.get(name, Any)).validate_python(value)
        except ValidationError as exc:
            raise TypeError(f"parameter {name!r}: {describe_validation_error(exc)}") from None


def describe_validation_error(exc: ValidationError) -> str:
    """A pydantic error on one line: ``field.sub: message; ...``."""
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['msg']}" for e in exc.errors())


def decode_params(fn: Callable[..., Any], payload: common_pb2.Payload | None) -> tuple[list[Any], dict[str, Any]]:
    """``decode_args`` for values a seed-style client sent (workflow input, signal values):
    when the payload is not keyed by ``fn``'s parameters, it is bound by ``bind_params``'s
    rule (a bare value for the first parameter when the others have defaults, a model's
    fields spread by name) and then decoded."""
    try:
        return decode_args(fn, payload)
    except TypeError as keyed_error:
        raw = None if payload is None or not payload.data else json.loads(payload.data)
        try:
            bound = bind_params(signature_of(fn), type_hints_of(fn), raw, what=getattr(fn, "__qualname__", "the function"))
        except TypeError:
            raise keyed_error from None
        return decode_args(fn, to_payload(bound))


def _has_var_keyword(params: list[inspect.Parameter]) -> bool:
    return any(p.kind is p.VAR_KEYWORD for p in params)


def _lacks_only_required(params: list[inspect.Parameter], raw: dict) -> bool:
    """A one-parameter function whose (required) parameter the object does not name."""
    if len(params) != 1:
        return False
    p = params[0]
    return p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and p.default is p.empty and p.name not in raw


# ------------------------------------------------ the seed's calling convention


def is_model_type(hint: Any) -> bool:
    """A pydantic model class, or a union of them (``A | B``, ``A | None``)."""
    if inspect.isclass(hint):
        return issubclass(hint, BaseModel)
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(hint) if a is not type(None)]
        return bool(members) and all(inspect.isclass(a) and issubclass(a, BaseModel) for a in members)
    return False


def _fields_of(value: Any) -> dict[str, Any] | None:
    """The named fields of a pydantic model or a mapping with string keys; None for anything else."""
    if isinstance(value, BaseModel):
        fields = {name: getattr(value, name) for name in type(value).model_fields}
        fields.update(value.model_extra or {})
        return fields
    if isinstance(value, Mapping):
        bad = [k for k in value if not isinstance(k, str)]
        if bad:
            raise TypeError(f"params keys must be parameter names (strings), got {bad[0]!r}")
        return dict(value)
    return None


def _accepts(hint: Any, value: Any) -> bool:
    if hint is Any or hint is inspect.Parameter.empty:
        return True
    try:
        type_adapter(hint).validate_python(value)
    except Exception:
        return False
    return True


def bind_params(
    signature: inspect.Signature, hints: dict[str, Any], value: Any, *, what: str = "the function"
) -> dict[str, Any]:
    """The arguments (by parameter name) for calling a function with one ``params`` object,
    as the seed system calls workflows: ``execute_workflow(W, params=Model(...))``.

    * A function with a single parameter annotated with a pydantic model (or a union of
      models, or not annotated) gets ``value`` whole as that parameter.
    * Otherwise a pydantic model's fields or a dict's keys are spread onto the parameters by
      name: ``run(self, a: int, b: str)`` takes ``{"a": 1, "b": "x"}``, ``run(self, data: str)``
      takes ``Model(data="x")``. Extra names go to ``**kwargs`` when the function has one.
    * ``None`` means no arguments (parameters with defaults keep them).
    * Any other value (a scalar, a list ...) is the first parameter's value when the other
      parameters have defaults; so is a model or dict that does not name the parameters but
      that the first parameter's type accepts (a dict for ``p: dict``, a model for a model
      parameter followed by defaults).

    Raises ``TypeError`` naming the missing and unexpected names.
    """
    params = list(signature.parameters.values())
    plain = [p for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    names = [p.name for p in plain]
    takes_extra = _has_var_keyword(params)
    first = plain[0] if plain else None
    # Whether `value` may stand for the first parameter alone (the others have defaults).
    first_alone = first is not None and first.kind is not first.KEYWORD_ONLY and all(p.default is not p.empty for p in plain[1:])
    first_hint = hints.get(first.name, inspect.Parameter.empty) if first is not None else None

    if value is None:
        fields: dict[str, Any] | None = {}
    else:
        if len(params) == 1 and first is not None and (first_hint is inspect.Parameter.empty or is_model_type(first_hint)):
            return {first.name: value}
        fields = _fields_of(value)
        if fields is None:
            if first_alone:
                return {first.name: value}  # (its type is checked where the function runs, as before)
            expected = f"parameters {names}" if names else "no parameters"
            raise TypeError(
                f"{what} takes {expected}: pass a pydantic model or a dict with those fields, not {type(value).__name__} {value!r:.80}"
            )
    unexpected = [] if takes_extra else [k for k in fields if k not in names]
    missing = [p.name for p in plain if p.default is p.empty and p.name not in fields]
    if not unexpected and not missing:
        return {**{n: fields[n] for n in names if n in fields}, **{k: v for k, v in fields.items() if k not in names}}
    if first_alone and value is not None and _accepts(first_hint, value):
        return {first.name: value}
    if first_alone and value is None and missing == [first.name]:
        if _accepts(first_hint, None):
            return {first.name: None}
        if is_model_type(first_hint) and _accepts(first_hint, {}):
            return {first.name: {}}  # no params for a model whose fields all have defaults
    problems = []
    if missing:
        problems.append(f"missing {', '.join(repr(n) for n in missing)}")
    if unexpected:
        problems.append(f"unexpected {', '.join(repr(n) for n in unexpected)}")
    given = "no params" if value is None else f"params ({type(value).__name__})"
    raise TypeError(f"{what}: {given} do not match its parameters {names}: {'; '.join(problems)}")


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
