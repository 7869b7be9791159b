"""The seed's event comparison helpers (`mistralai.workflows.testing.event_comparison`)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["compare_itemwise", "sort_json_patch"]


def sort_json_patch(patch: list) -> list:
    """JSON-patch operations in a fixed order (op, path, value), to compare them as a set."""
    return sorted(patch, key=lambda op: (op.get("op", ""), op.get("path", ""), str(op.get("value", ""))))


def _as_mapping(value: Any) -> Mapping[str, Any] | None:
    if isinstance(value, Mapping):
        return value
    if hasattr(value, "model_dump"):
        return value.model_dump()
    return None


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes, bytearray))


def compare_itemwise(ref_list: Sequence[Any], other_list: Sequence[Any], order_independent_paths: set[str] | None = None,
                     exclude_paths: set[str] | None = None) -> list[str]:
    """Compare two lists of events (dicts or pydantic models) item by item: each expected
    item's keys must be in the other with equal values (extra keys in `other` are fine).
    `exclude_paths` ("attributes.task_id", "event_id") are skipped; lists at
    `order_independent_paths` are compared after `sort_json_patch`. Returns one message per
    differing item (empty: equal), or one about the lengths."""
    unordered = order_independent_paths or set()
    skipped = exclude_paths or set()

    def diff(ref: Any, other: Any, path: str) -> str | None:
        if path in skipped:
            return None
        where = path or "<root>"
        ref_map = _as_mapping(ref)
        if ref_map is not None:
            other_map = _as_mapping(other)
            if other_map is None:
                return f"type mismatch at {where}: expected mapping or model"
            for key, value in ref_map.items():
                child = f"{path}.{key}" if path else str(key)
                if child in skipped:
                    continue
                if key not in other_map:
                    return f"missing key {key!r} at {where}"
                found = diff(value, other_map[key], child)
                if found:
                    return found
            return None
        if _is_list(ref):
            if not _is_list(other):
                return f"type mismatch at {where}: expected sequence"
            if len(ref) != len(other):
                return f"length mismatch at {where}: {len(ref)} != {len(other)}"
            pairs = zip(sort_json_patch(list(ref)), sort_json_patch(list(other))) if path in unordered else zip(ref, other)
            for i, (r, o) in enumerate(pairs):
                found = diff(r, o, f"{path}[{i}]")
                if found:
                    return found
            return None
        return None if ref == other else f"value mismatch at {where}: {ref!r} != {other!r}"

    if len(ref_list) != len(other_list):
        return [f"list length mismatch: {len(ref_list)} != {len(other_list)} ({ref_list!r} vs {other_list!r})"]
    return [f"index {i}: {found}" for i, (r, o) in enumerate(zip(ref_list, other_list)) if (found := diff(r, o, ""))]
