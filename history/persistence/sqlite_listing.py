"""The SQL of listing and counting a shard's runs (search keys), for SqliteHistoryStore.

Runs are read newest first: ORDER BY (start time, workflow id, run id) descending, and a page
continues strictly below the previous page's last key. Every filter has an index ending with
that order (sqlite_schema.SEARCH_SCHEMA), so SQLite walks one index backwards and stops after
the page. With search keys the query starts from the first key's rows (`search_keys` holds the
run's start time for this), joins the run, and checks the other keys by their primary key. A
workflow-id prefix is a range of the primary key. Counting is COUNT(*) over the same plan:
index entries are counted, no run is loaded.
"""
from __future__ import annotations

from typing import Any

from history.persistence.store import ListCursor, RunFilter

# A count's groups: column of the executions table.
GROUP_COLUMNS = {"status": "e.status", "workflow_type": "e.workflow_type"}


def prefix_upper_bound(prefix: str) -> str | None:
    """The smallest string above every string that starts with `prefix` (None: there is none).
    SQLite compares TEXT as UTF-8 bytes, which orders like code points."""
    chars = list(prefix)
    while chars:
        last = ord(chars.pop()) + 1
        if 0xD800 <= last <= 0xDFFF:  # surrogates cannot be stored: skip them
            last = 0xE000
        if last <= 0x10FFFF:
            return "".join(chars) + chr(last)
    return None


def _from_where(namespace: str, where: RunFilter) -> tuple[str, list[str], list[Any], str]:
    """FROM clause, WHERE conditions, their parameters, and the alias whose (start_time_ns,
    workflow_id, run_id) order the rows."""
    params: list[Any] = []
    conditions: list[str] = []
    if where.search_keys:
        (key, value), *others = where.search_keys
        # CROSS JOIN: SQLite keeps k0 as the outer loop (a key's value is the most selective filter).
        sql = "search_keys k0 CROSS JOIN executions e ON e.namespace = k0.namespace AND e.workflow_id = k0.workflow_id AND e.run_id = k0.run_id"
        conditions += ["k0.namespace = ?", "k0.key = ?", "k0.value IS ?"]
        params += [namespace, key, value]
        for i, (key, value) in enumerate(others, start=1):
            conditions.append(
                f"EXISTS (SELECT 1 FROM search_keys k{i} WHERE k{i}.namespace = e.namespace AND k{i}.workflow_id = e.workflow_id "
                f"AND k{i}.run_id = e.run_id AND k{i}.key = ? AND k{i}.value IS ?)"
            )
            params += [key, value]
        order = "k0"
    else:
        sql = "executions e"
        conditions.append("e.namespace = ?")
        params.append(namespace)
        order = "e"
    if where.status:
        conditions.append("e.status = ?")
        params.append(where.status)
    if where.workflow_type:
        conditions.append("e.workflow_type = ?")
        params.append(where.workflow_type)
    if where.display_name:
        conditions.append("e.display_name = ?")
        params.append(where.display_name)
    if where.started_from_ns is not None:
        conditions.append(f"{order}.start_time_ns >= ?")
        params.append(where.started_from_ns)
    if where.started_before_ns is not None:
        conditions.append(f"{order}.start_time_ns < ?")
        params.append(where.started_before_ns)
    if where.workflow_id_prefix:
        conditions.append(f"{order}.workflow_id >= ?")
        params.append(where.workflow_id_prefix)
        upper = prefix_upper_bound(where.workflow_id_prefix)
        if upper is not None:
            conditions.append(f"{order}.workflow_id < ?")
            params.append(upper)
    return sql, conditions, params, order


def select_page(namespace: str, where: RunFilter, before: ListCursor | None, limit: int) -> tuple[str, list[Any]]:
    """SELECT of the runs' state blobs, one page, newest first."""
    source, conditions, params, order = _from_where(namespace, where)
    if before is not None:
        conditions.append(f"({order}.start_time_ns, {order}.workflow_id, {order}.run_id) < (?, ?, ?)")
        params += list(before)
    sql = (
        f"SELECT e.state FROM {source} WHERE {' AND '.join(conditions)} "
        f"ORDER BY {order}.start_time_ns DESC, {order}.workflow_id DESC, {order}.run_id DESC LIMIT ?"
    )
    return sql, [*params, limit]


def select_count(namespace: str, where: RunFilter, group_by: str = "") -> tuple[str, list[Any]]:
    """SELECT of (group, count) rows: one row ('', n) without group_by."""
    source, conditions, params, _ = _from_where(namespace, where)
    if not group_by:
        return f"SELECT '', COUNT(*) FROM {source} WHERE {' AND '.join(conditions)}", params
    column = GROUP_COLUMNS[group_by]
    return f"SELECT {column}, COUNT(*) FROM {source} WHERE {' AND '.join(conditions)} GROUP BY {column}", params
