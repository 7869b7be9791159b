"""Payload, argument and failure conversion."""
from __future__ import annotations

import dataclasses
import datetime
import enum
import json
import uuid

import pytest
from pydantic import BaseModel, ValidationError

import worker_sdk as workflows
from protos import common_pb2
from worker_sdk import converter


class Point(BaseModel):
    x: int
    y: int = 0


class Color(enum.Enum):
    RED = "red"


@dataclasses.dataclass
class DC:
    a: int
    b: str


def test_payload_is_json_plain():
    p = converter.to_payload({"a": [1, 2], "p": Point(x=1)})
    assert p.encoding == "json/plain"
    assert json.loads(p.data) == {"a": [1, 2], "p": {"x": 1, "y": 0}}


@pytest.mark.parametrize(
    "value, hint",
    [
        (Point(x=1, y=2), Point),
        ([Point(x=1), Point(x=2)], list[Point]),
        ({"k": Point(x=3)}, dict[str, Point]),
        (42, int),
        (1.5, float),
        ("s", str),
        (True, bool),
        (None, None),
        (None, Point | None),
        ((1, "a"), tuple[int, str]),
        ([1, 2], list[int]),
        (datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc), datetime.datetime),
        (uuid.UUID(int=5), uuid.UUID),
        (Color.RED, Color),
        (DC(a=1, b="x"), DC),
        ({"nested": {"list": [1, {"x": None}]}}, dict),
    ],
)
def test_round_trip_with_type_hint(value, hint):
    assert converter.from_payload(converter.to_payload(value), hint) == value


def test_from_payload_without_hint_gives_plain_json():
    assert converter.from_payload(converter.to_payload(Point(x=1))) == {"x": 1, "y": 0}
    assert converter.from_payload(converter.to_payload((1, 2))) == [1, 2]


def test_empty_payload_is_none_and_bad_values_are_clear():
    assert converter.from_payload(common_pb2.Payload()) is None
    assert converter.from_payload(None) is None
    with pytest.raises(ValidationError):
        converter.from_payload(converter.to_payload({"x": "nope"}), Point)
    with pytest.raises(ValueError, match="encoding"):
        converter.from_payload(common_pb2.Payload(data=b"1", encoding="binary/protobuf"))
    with pytest.raises(TypeError, match="JSON payload"):
        converter.to_payload(object())


class Service:
    def method(self, a: int, b: Point, *, c: list[Point] | None = None, d: str = "dflt") -> None: ...


def test_encode_args_keyed_by_parameter_name_skipping_self():
    p = converter.encode_args(Service.method, (1, Point(x=2)), {"c": [Point(x=3)]})
    assert json.loads(p.data) == {"a": 1, "b": {"x": 2, "y": 0}, "c": [{"x": 3, "y": 0}]}
    args, kwargs = converter.decode_args(Service.method, p)
    assert args == [1, Point(x=2)] and kwargs == {"c": [Point(x=3)]}
    assert isinstance(args[1], Point) and isinstance(kwargs["c"][0], Point)
    Service().method(*args, **kwargs)


def test_encode_args_rejects_a_bad_call():
    with pytest.raises(TypeError, match="signature"):
        converter.encode_args(Service.method, (1,), {})
    with pytest.raises(TypeError, match="signature"):
        converter.encode_args(Service.method, (1, 2, 3), {})


def test_decode_args_missing_defaults_and_var_parameters():
    def f(a: int, b: int = 5, *rest: Point, flag: bool = False, **extra: int): ...

    args, kwargs = converter.decode_args(f, converter.encode_args(f, (1, 2, Point(x=9)), {"flag": True, "z": 3}))
    assert args == [1, 2, Point(x=9)] and kwargs == {"flag": True, "z": 3}
    # A skipped default makes later parameters keyword arguments.
    def g(a: int, b: int = 5, c: int = 6): ...

    args, kwargs = converter.decode_args(g, converter.to_payload({"a": 1, "c": 3}))
    assert args == [1] and kwargs == {"c": 3}
    with pytest.raises(TypeError, match="missing argument 'a'"):
        converter.decode_args(g, converter.to_payload({"c": 3}))
    with pytest.raises(TypeError, match="unexpected argument"):
        converter.decode_args(g, converter.to_payload({"a": 1, "nope": 3}))


def test_decode_args_accepts_a_bare_value_for_a_single_parameter():
    def f(params: Point) -> None: ...

    assert converter.decode_args(f, converter.to_payload(Point(x=4))) == ([Point(x=4)], {})
    assert converter.decode_args(f, converter.to_payload({"params": {"x": 4}})) == ([Point(x=4)], {})

    def none() -> None: ...

    assert converter.decode_args(none, common_pb2.Payload()) == ([], {})
    assert converter.decode_args(none, converter.encode_args(none)) == ([], {})


def test_unresolvable_forward_references_fall_back_to_any():
    def f(x: "NotDefinedAnywhere", y: int) -> "AlsoMissing": ...  # noqa: F821

    args, _ = converter.decode_args(f, converter.to_payload({"x": {"raw": 1}, "y": "2"}))
    assert args == [{"raw": 1}, 2]


# ------------------------------------------------------------- failures


def _raise(exc):
    try:
        raise exc
    except BaseException as e:
        return e


def test_failure_from_plain_exception():
    f = converter.failure_from_exception(_raise(ValueError("bad value")), source="activity")
    assert (f.type, f.message, f.non_retryable, f.source) == ("ValueError", "bad value", False, "activity")
    assert "ValueError: bad value" in f.stack_trace and "_raise" in f.stack_trace


def test_failure_from_application_error_and_back():
    err = workflows.ApplicationError("quota", type="QuotaExceeded", non_retryable=True, details={"left": 0})
    try:
        try:
            raise KeyError("k")
        except KeyError as inner:
            raise err from inner
    except workflows.ApplicationError as e:
        f = converter.failure_from_exception(e)
    assert (f.type, f.message, f.non_retryable) == ("QuotaExceeded", "quota", True)
    assert converter.from_payload(f.details) == {"left": 0}
    assert f.cause.type == "KeyError"
    back = converter.exception_from_failure(f)
    assert isinstance(back, workflows.ApplicationError)
    assert (back.type, back.message, back.non_retryable, back.details) == ("QuotaExceeded", "quota", True, {"left": 0})
    assert isinstance(back.__cause__, workflows.ApplicationError) and back.__cause__.type == "KeyError"
    # Plain ApplicationError: type is the class name on the wire.
    assert converter.failure_from_exception(workflows.ApplicationError("x")).type == "ApplicationError"


def test_activity_error_from_failure_and_workflow_failure_message():
    f = common_pb2.Failure(message="boom", type="RuntimeError", source="activity")
    err = converter.exception_from_failure(f, activity_type="fetch", activity_id="7", scheduled_event_id=12)
    assert isinstance(err, workflows.ActivityError)
    assert (err.activity_type, err.activity_id, err.scheduled_event_id) == ("fetch", "7", 12)
    assert err.cause.type == "RuntimeError" and err.failure is f
    assert "fetch" in str(err) and "RuntimeError: boom" in str(err)
    wf = converter.failure_from_exception(err, source="workflow")
    assert wf.type == "ActivityError" and wf.cause.type == "RuntimeError" and wf.cause.message == "boom"
    client_err = workflows.WorkflowFailureError(wf, workflow_id="order-1", run_id="r1")
    text = str(client_err)
    assert "order-1" in text and "r1" in text and "RuntimeError: boom" in text
    assert text.count("RuntimeError: boom") == 1  # the cause is not repeated
    assert isinstance(client_err.cause, workflows.ApplicationError) and client_err.cause.type == "ActivityError"


def test_exception_hierarchy():
    assert issubclass(workflows.ApplicationError, workflows.FailureError)
    assert issubclass(workflows.ActivityError, workflows.FailureError)
    assert not issubclass(workflows.NonDeterminismError, workflows.FailureError)
    assert not issubclass(workflows.ContinueAsNewError, Exception)


def test_encode_args_without_a_signature():
    def one(params: Point) -> None: ...

    def two(a: int, b: Point) -> None: ...

    assert converter.decode_args(one, converter.encode_args(None, (Point(x=1),), {})) == ([Point(x=1)], {})
    assert converter.decode_args(two, converter.encode_args(None, (1, {"x": 2}), {})) == ([1, Point(x=2)], {})
    assert converter.decode_args(two, converter.encode_args(None, (), {"a": 1, "b": {"x": 2}})) == ([1, Point(x=2)], {})
    with pytest.raises(TypeError):
        converter.encode_args(None, (1,), {"b": 2})
    with pytest.raises(TypeError, match="cannot decode"):
        converter.decode_args(two, converter.to_payload([1, 2, 3]))


def test_workflow_failure_error_forms():
    f = common_pb2.Failure(message="nope", type="ValueError")
    by_failure = workflows.WorkflowFailureError(f, workflow_id="w")
    assert "ValueError: nope" in str(by_failure) and by_failure.failure is f
    by_message = workflows.WorkflowFailureError("workflow w failed: ValueError: nope", failure=f)
    assert str(by_message) == "workflow w failed: ValueError: nope" and by_message.cause.type == "ValueError"
