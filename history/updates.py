"""Part of RunState (history/run_state.py): the accepted updates of a run.

An update reaches the run only after a worker validated it (history/api/updates.py), so
every update here is accepted: WorkflowExecutionUpdateAccepted is written (with its input: the
handler reruns from it on replay), a workflow task is scheduled for the handler to run, and
the worker's CompleteWorkflowUpdate command writes WorkflowExecutionUpdateCompleted with the
result or the failure. An update is known by its id for the run's life (a second accept of
the same id changes nothing). A run that closes (or continues as new) before a handler
finished records that update's failure in its state, without an event.
"""
from __future__ import annotations

from fanflow.errors import FailedPrecondition, InvalidArgument
from protos import common_pb2, persistence_pb2


class Updates:
    """RunState's updates (see history/run_state.py for the state they use)."""

    def accept_update(self, update_id: str, name: str, payload: common_pb2.Payload | None, identity: str, now: int) -> persistence_pb2.UpdateInfo:
        """Record a validated update (idempotent by id); returns its info."""
        existing = self.state.updates.get(update_id)
        if existing is not None:
            if existing.name != name:
                raise InvalidArgument(f"update id {update_id!r} was already used for update {existing.name!r} in this run; use a new id for {name!r}")
            return existing
        if not self.running:
            status = common_pb2.WorkflowExecutionStatus.Name(self.state.status).removeprefix("WORKFLOW_EXECUTION_STATUS_")
            raise FailedPrecondition(f"workflow {self.state.workflow_id!r} run {self.state.run_id} is closed ({status}): an update needs a running workflow")
        event = self.add_event(
            common_pb2.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
            "workflow_execution_update_accepted",
            common_pb2.WorkflowExecutionUpdateAcceptedEventAttributes(update_id=update_id, name=name, input=payload, identity=identity),
            now,
        )
        self.state.updates[update_id].CopyFrom(persistence_pb2.UpdateInfo(update_id=update_id, name=name, accepted_event_id=event.event_id))
        self._new_events_need_workflow_task(now)
        return self.state.updates[update_id]

    def _complete_update_command(self, command, wft_completed_id, now, identity, outcome) -> None:
        """CompleteWorkflowUpdate: the handler of an accepted update returned or raised."""
        attrs = command.complete_workflow_update
        info = self.state.updates.get(attrs.update_id)
        if info is None:
            raise InvalidArgument(f"CompleteWorkflowUpdate: no update {attrs.update_id!r} was accepted in this run")
        if info.completed_event_id:
            raise InvalidArgument(f"CompleteWorkflowUpdate: update {attrs.update_id!r} was already completed (event {info.completed_event_id})")
        event = self.add_event(
            common_pb2.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
            "workflow_execution_update_completed",
            common_pb2.WorkflowExecutionUpdateCompletedEventAttributes(
                update_id=attrs.update_id,
                accepted_event_id=info.accepted_event_id,
                result=attrs.result if attrs.HasField("result") else None,
                failure=attrs.failure if attrs.HasField("failure") else None,
                workflow_task_completed_event_id=wft_completed_id,
            ),
            now,
        )
        info.completed_event_id = event.event_id

    def _abandon_unfinished_updates(self, status: int) -> None:
        """The run closes: updates whose handler did not finish fail (their callers learn why)."""
        how = common_pb2.WorkflowExecutionStatus.Name(status).removeprefix("WORKFLOW_EXECUTION_STATUS_").lower().replace("_", " ")
        for info in self.state.updates.values():
            if info.completed_event_id or info.HasField("abandoned"):
                continue
            info.abandoned.CopyFrom(
                common_pb2.Failure(
                    message=f"the workflow run closed ({how}) before the handler of update {info.update_id!r} ({info.name}) finished",
                    type="UpdateAbandoned",
                    source="server",
                    non_retryable=True,
                )
            )
