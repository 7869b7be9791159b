"""The SQL of listing and counting a shard's runs on PostgreSQL (search keys), for
PostgresHistoryStore: the same plans as sqlite_listing.py (newest first, a page continues
strictly below the previous page's last key, each filter has an index ending with that order,
fanflow/pg_schema/0002_search_keys.sql), with PostgreSQL's placeholders and NULL comparison.
A workflow-id prefix is `starts_with` (right under any collation)."""
from __future__ import annotations

from typing import Any

from history.persistence.store import ListCursor, RunFilter

GROUP_COLUMNS = {"status": "e.status", "workflow_type": "e.workflow_type"}


class _Params:
    def __init__(self) -> None:
        self.values: list[Any] = []

    def __call__(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}"


def _from_where(shard_id: int, namespace: str, where: RunFilter, p: _Params) -> tuple[str, list[str], str]:
    conditions: list[str] = []
    if where.search_keys:
        (key, value), *others = where.search_keys
        sql = ("search_keys k0 JOIN executions e ON e.shard_id = k0.shard_id AND e.namespace = k0.namespace "
               "AND e.workflow_id = k0.workflow_id AND e.run_id = k0.run_id")
        conditions += [f"k0.shard_id = {p(shard_id)}", f"k0.namespace = {p(namespace)}", f"k0.key = {p(key)}",
                       f"k0.value IS NOT DISTINCT FROM {p(value)}::text"]
        for i, (key, value) in enumerate(others, start=1):
            conditions.append(
                f"EXISTS (SELECT 1 FROM search_keys k{i} WHERE k{i}.shard_id = e.shard_id AND k{i}.namespace = e.namespace "
                f"AND k{i}.workflow_id = e.workflow_id AND k{i}.run_id = e.run_id AND k{i}.key = {p(key)} "
                f"AND k{i}.value IS NOT DISTINCT FROM {p(value)}::text)"
            )
        order = "k0"
    else:
        sql = "executions e"
        conditions += [f"e.shard_id = {p(shard_id)}", f"e.namespace = {p(namespace)}"]
        order = "e"
    if where.status:
        conditions.append(f"e.status = {p(where.status)}")
    if where.workflow_type:
        conditions.append(f"e.workflow_type = {p(where.workflow_type)}")
    if where.display_name:
        conditions.append(f"e.display_name = {p(where.display_name)}")
    if where.started_from_ns is not None:
        conditions.append(f"{order}.start_time_ns >= {p(where.started_from_ns)}")
    if where.started_before_ns is not None:
        conditions.append(f"{order}.start_time_ns < {p(where.started_before_ns)}")
    if where.workflow_id_prefix:
        conditions.append(f"starts_with({order}.workflow_id, {p(where.workflow_id_prefix)})")
    return sql, conditions, order


def select_page(shard_id: int, namespace: str, where: RunFilter, before: ListCursor | None, limit: int) -> tuple[str, list[Any]]:
    p = _Params()
    source, conditions, order = _from_where(shard_id, namespace, where, p)
    if before is not None:
        conditions.append(f"({order}.start_time_ns, {order}.workflow_id, {order}.run_id) < "
                          f"({p(before.start_time_ns)}, {p(before.workflow_id)}, {p(before.run_id)})")
    sql = (f"SELECT e.state FROM {source} WHERE {' AND '.join(conditions)} "
           f"ORDER BY {order}.start_time_ns DESC, {order}.workflow_id DESC, {order}.run_id DESC LIMIT {p(limit)}")
    return sql, p.values


def select_count(shard_id: int, namespace: str, where: RunFilter, group_by: str = "") -> tuple[str, list[Any]]:
    p = _Params()
    source, conditions, _ = _from_where(shard_id, namespace, where, p)
    if not group_by:
        return f"SELECT '', COUNT(*) FROM {source} WHERE {' AND '.join(conditions)}", p.values
    column = GROUP_COLUMNS[group_by]
    return f"SELECT {column}, COUNT(*) FROM {source} WHERE {' AND '.join(conditions)} GROUP BY {column}", p.values
