"""``InteractiveWorkflow``: workflows that wait for a person's input (the seed's names).

    @workflows.workflow.define(name="approval")
    class Approval(workflows.InteractiveWorkflow):
        @workflows.workflow.entrypoint
        async def run(self, document: str) -> str:
            answer = await self.wait_for_input(ApprovalRequest, label="Manager Approval", timeout=3600)
            return "approved" if answer.approved else "rejected"

``wait_for_input(schema, label=..., timeout=...)`` opens an input request (a task id drawn
from the workflow's deterministic random generator, the label, the schema's JSON schema) and
waits for it; ``timeout`` is a durable timer and raises ``asyncio.TimeoutError``. A client
lists the open requests with the query ``__get_pending_inputs`` and answers one with the
update ``__submit_input`` (``{"task_id": ..., "input": {...}}``): the seed's names, so the
seed's clients work unchanged (``handle.pending_inputs()`` / ``handle.submit_input(...)`` and
``fanflow workflow input ID`` are fanflow's shortcuts). The update's validator checks the
input against the schema before anything is recorded: a mismatch is refused as bad input
(INVALID_ARGUMENT naming the field), an unknown task id as the workflow's refusal
(FAILED_PRECONDITION). An accepted input is in history (the update's event), so the answer
survives worker restarts.

While a run waits for input it holds the seed's search key ``internal.execution.state`` =
``waiting_for_input`` (removed when no request is open any more), so
``fanflow workflow list --search internal.execution.state=waiting_for_input`` finds the runs
that wait for a person (search keys: ``worker_sdk/search_keys.py``).
"""
from __future__ import annotations

import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from . import converter, search_keys, workflow
from .exceptions import ApplicationError

T = TypeVar("T", bound=BaseModel)

# The seed's search key of a run that waits for input (its value while a request is open).
WAITING_FOR_INPUT_SEARCH_KEY = "internal.execution.state"
WAITING_FOR_INPUT_STATE = "waiting_for_input"


class _SubmitInputParams(BaseModel):
    task_id: str
    input: Any = None


class _SubmitInputResult(BaseModel):
    pass


class _PendingInputInfo(BaseModel):
    task_id: str
    input_schema: dict
    label: str | None = None


class _PendingInputsResult(BaseModel):
    pending_inputs: list[_PendingInputInfo]


class _InputRequest:
    """One open ``wait_for_input`` call."""

    __slots__ = ("task_id", "schema", "label", "received", "input")

    def __init__(self, task_id: str, schema: type[BaseModel], label: str | None) -> None:
        self.task_id = task_id
        self.schema = schema
        self.label = label
        self.received = False
        self.input: Any = None

    def check(self, value: Any) -> None:
        """ValueError naming the fields when `value` does not fit the schema."""
        try:
            self.schema.model_validate(value)
        except ValidationError as exc:
            raise ValueError(
                f"input for task {self.task_id!r}{f' ({self.label})' if self.label else ''} does not match {self.schema.__name__}: "
                f"{converter.describe_validation_error(exc)}"
            ) from None


class InteractiveWorkflow:
    """Base class of workflows that wait for input (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self._pending_inputs: dict[str, _InputRequest] = {}

    def _open_inputs(self) -> dict[str, _InputRequest]:
        # A subclass whose __init__ does not call super().__init__() still works.
        return self.__dict__.setdefault("_pending_inputs", {})

    async def wait_for_input(self, schema: type[T], label: str | None = None, timeout: datetime.timedelta | float | None = None) -> T:
        """Wait until a client submits input matching `schema` (a pydantic model class) for this
        request; returns it as a `schema` instance. `label` tells a client which request this is
        when several are open. `timeout` (seconds or a timedelta) raises ``asyncio.TimeoutError``."""
        if not (isinstance(schema, type) and issubclass(schema, BaseModel)):
            raise TypeError(f"wait_for_input(schema=...) must be a pydantic model class, got {schema!r}")
        if label is not None and not isinstance(label, str):
            raise TypeError(f"wait_for_input(label=...) must be a string, got {type(label).__name__}")
        seconds = workflow.timeout_seconds(timeout, "wait_for_input(timeout=...)") if timeout is not None else None
        request = _InputRequest(str(workflow.uuid4()), schema, label)
        pending = self._open_inputs()
        pending[request.task_id] = request
        if len(pending) == 1:
            await _waiting_state(True)
        try:
            await workflow.wait_condition(lambda: request.received, timeout=seconds)
            return schema.model_validate(request.input)
        finally:
            pending.pop(request.task_id, None)
            if not pending:
                await _waiting_state(False)

    @workflow.update(name="__submit_input", description="answer an open wait_for_input request", _internal=True)
    async def _handle_input_submission(self, params: _SubmitInputParams) -> _SubmitInputResult:
        request = self._open_inputs().get(params.task_id)
        if request is None:  # it timed out between the check and now
            raise ApplicationError(f"no pending input request found for task {params.task_id!r}", type="UnknownInputTask", non_retryable=True)
        request.input = params.input
        request.received = True
        return _SubmitInputResult()

    @_handle_input_submission.validator
    def _validate_input_submission(self, params: _SubmitInputParams) -> None:
        pending = self._open_inputs()
        request = pending.get(params.task_id)
        if request is None:
            open_ones = ", ".join(f"{r.task_id} ({r.label})" if r.label else r.task_id for r in pending.values()) or "none"
            raise ApplicationError(f"no pending input request with task id {params.task_id!r} (open: {open_ones})", type="UnknownInputTask", non_retryable=True)
        request.check(params.input)

    @workflow.query(name="__get_pending_inputs", description="the open wait_for_input requests", _internal=True)
    def _get_pending_inputs(self) -> _PendingInputsResult:
        return _PendingInputsResult(
            pending_inputs=[
                _PendingInputInfo(task_id=r.task_id, input_schema=r.schema.model_json_schema(), label=r.label)
                for r in self._open_inputs().values()
            ]
        )


async def _waiting_state(waiting: bool) -> None:
    """Search keys: mark (or unmark) the run as waiting for input. Written by the SDK (replay
    tolerates histories without it); skipped when the run is already closing, and when the
    instance is being dropped (its tasks unwound outside any workflow task)."""
    from ._loop import current_instance

    if current_instance() is None:
        return
    try:
        if waiting:
            await search_keys.add_search_keys({WAITING_FOR_INPUT_SEARCH_KEY: WAITING_FOR_INPUT_STATE}, _allow_reserved=True, _from_sdk=True)
        else:
            await search_keys.delete_search_keys([WAITING_FOR_INPUT_SEARCH_KEY], _allow_reserved=True, _from_sdk=True)
    except RuntimeError:  # the run produced its close command, or no activation runs (eviction)
        pass
