"""Part of RunState (history/run_state.py): the run's search keys.

A run's keys live in its state (`ExecutionState.search_keys`, in the order they were first set)
and, for listing, in the shard's index (written with the commit whenever they change:
`Mutation.search_keys_changed`). They come from the start (`StartWorkflowExecutionRequest
.search_keys`, or the previous run's keys on continue-as-new), from workflow code (the
UpsertSearchKeys / DeleteSearchKeys commands, whose events replay matches) and from outside the
code (`update_search_keys`: an activity or a client; its events say so with
workflow_task_completed_event_id 0 and need no workflow task). A key the run holds gets the new
value; a new key is added while the run holds fewer than 20, and dropped beyond (as the seed
does), the event listing what was dropped.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from fanflow import search_keys as rules
from fanflow.errors import FailedPrecondition, InvalidArgument
from protos import common_pb2


class SearchAttributes:
    """RunState's search keys (see history/run_state.py for the state they use)."""

    # ------------------------------------------------------------ commands of workflow code
    def _upsert_search_keys_command(self, command, wft_completed_id, now, identity, outcome) -> None:
        attrs = command.upsert_search_keys
        _require_valid(rules.search_key_problems(attrs.search_keys, field="UpsertSearchKeys.search_keys"))
        self._record_upsert(attrs.search_keys, wft_completed_id, identity, now, from_sdk=attrs.from_sdk)

    def _delete_search_keys_command(self, command, wft_completed_id, now, identity, outcome) -> None:
        attrs = command.delete_search_keys
        _require_valid(_delete_problems(attrs.keys, "DeleteSearchKeys.keys"))
        self._record_delete(attrs.keys, wft_completed_id, identity, now, from_sdk=attrs.from_sdk)

    # ------------------------------------------------------------ from outside the code
    def update_search_keys(self, upsert: Sequence[common_pb2.SearchKey], delete_keys: Sequence[str], identity: str, now: int) -> list[str]:
        """An activity's (or a client's) change of the run's keys; returns the keys dropped over
        the limit. Written as an event, but no workflow task follows: the code has nothing to see."""
        if not self.running:
            status = common_pb2.WorkflowExecutionStatus.Name(self.state.status).removeprefix("WORKFLOW_EXECUTION_STATUS_")
            raise FailedPrecondition(
                f"workflow {self.state.workflow_id!r} run {self.state.run_id} is closed ({status}): search keys change only while it runs"
            )
        wft_pending = self.state.events_since_wft_started
        dropped: list[str] = []
        if delete_keys:
            self._record_delete(delete_keys, 0, identity, now)
        if upsert:
            dropped = self._record_upsert(upsert, 0, identity, now)
        self.state.events_since_wft_started = wft_pending  # (add_event set it: no new task is needed)
        return dropped

    # ------------------------------------------------------------ the changes themselves
    def _record_upsert(self, keys: Iterable[common_pb2.SearchKey], wft_completed_id: int, identity: str, now: int, *, from_sdk: bool = False) -> list[str]:
        keys = list(keys)
        dropped = self._upsert_keys(keys)
        self.add_event(
            common_pb2.EVENT_TYPE_SEARCH_KEYS_UPSERTED,
            "search_keys_upserted",
            common_pb2.SearchKeysUpsertedEventAttributes(
                search_keys=keys, dropped_keys=dropped, workflow_task_completed_event_id=wft_completed_id, identity=identity, from_sdk=from_sdk
            ),
            now,
        )
        return dropped

    def _record_delete(self, keys: Iterable[str], wft_completed_id: int, identity: str, now: int, *, from_sdk: bool = False) -> None:
        keys = list(keys)
        self._delete_keys(keys)
        self.add_event(
            common_pb2.EVENT_TYPE_SEARCH_KEYS_DELETED,
            "search_keys_deleted",
            common_pb2.SearchKeysDeletedEventAttributes(keys=keys, workflow_task_completed_event_id=wft_completed_id, identity=identity, from_sdk=from_sdk),
            now,
        )

    def _upsert_keys(self, keys: Iterable[common_pb2.SearchKey]) -> list[str]:
        held = {k.key: k for k in self.state.search_keys}
        dropped = []
        for item in keys:
            current = held.get(item.key)
            if current is not None:
                current.CopyFrom(item)
            elif len(held) < rules.MAX_SEARCH_KEYS:
                held[item.key] = self.state.search_keys.add()
                held[item.key].CopyFrom(item)
            else:
                dropped.append(item.key)
        self.mutation.search_keys_changed = True
        return dropped

    def _delete_keys(self, keys: Iterable[str]) -> None:
        gone = set(keys)
        kept = [k for k in self.state.search_keys if k.key not in gone]
        if len(kept) != len(self.state.search_keys):
            del self.state.search_keys[:]
            self.state.search_keys.extend(kept)
            self.mutation.search_keys_changed = True


def first_search_keys(keys: Sequence[common_pb2.SearchKey]) -> list[common_pb2.SearchKey]:
    """The keys a new run starts with: the first 20 (a start is checked by the frontend; a
    continue-as-new carries at most 20 already)."""
    return list(keys)[: rules.MAX_SEARCH_KEYS]


def _delete_problems(keys: Sequence[str], field: str) -> list[str]:
    problems = []
    if len(keys) > rules.MAX_SEARCH_KEYS:
        problems.append(f"{field} has {len(keys)} keys; at most {rules.MAX_SEARCH_KEYS} at a time")
    for i, key in enumerate(keys):
        problems += [f"{field}[{i}]: {p}" for p in rules.key_problems(key, allow_reserved=True)]
    return problems


def _require_valid(problems: list[str]) -> None:
    if problems:
        raise InvalidArgument("; ".join(problems))
