"""Search keys: the rules the SDK, the frontend and history all apply (the seed's limits).

A search key is a key/value pair attached to a run so it can be found later
(``define(search_keys=[...])``, ``workflows.workflow.add_search_keys``), stored unencrypted and
indexed by the run's history shard. Keys: 1..256 characters, not padded with whitespace, no
``:``, not ending with ``=``; ``internal.`` is the SDK's own prefix. Values: strings of at most
8,192 characters (the SDK truncates longer ones), or *unset* (present without a value). A run
holds at most 20 keys; at most 20 are set or removed per call.
"""
from __future__ import annotations

from collections.abc import Iterable

from protos import common_pb2

MAX_SEARCH_KEYS = 20  # per call, and per run
MAX_SEARCH_KEY_CHARS = 256
MAX_SEARCH_KEY_VALUE_CHARS = 8 * 1024
RESERVED_PREFIX = "internal."

__all__ = [
    "MAX_SEARCH_KEYS",
    "MAX_SEARCH_KEY_CHARS",
    "MAX_SEARCH_KEY_VALUE_CHARS",
    "RESERVED_PREFIX",
    "key_problems",
    "search_key_problems",
    "as_dict",
]


def key_problems(key: object, *, allow_reserved: bool = False) -> list[str]:
    """What is wrong with `key` as a search key (empty list: nothing)."""
    if not isinstance(key, str):
        return [f"a search key must be a string, got {type(key).__name__}"]
    shown = repr(key if len(key) <= 80 else key[:80] + "...")
    problems = []
    if not key or key != key.strip():
        problems.append(f"search key {shown} must not be empty or padded with whitespace")
    if ":" in key:
        problems.append(f"search key {shown} must not contain ':'")
    if key.endswith("="):
        problems.append(f"search key {shown} must not end with '='")
    if not allow_reserved and key.startswith(RESERVED_PREFIX):
        problems.append(f"search key {shown} must not start with {RESERVED_PREFIX!r}, which the SDK reserves")
    if len(key) > MAX_SEARCH_KEY_CHARS:
        problems.append(f"search key {shown} is {len(key)} characters long; at most {MAX_SEARCH_KEY_CHARS}")
    return problems


def search_key_problems(keys: Iterable[common_pb2.SearchKey], *, allow_reserved: bool = True, field: str = "search_keys") -> list[str]:
    """What is wrong with SearchKey messages (keys, value length, duplicates, count)."""
    keys = list(keys)
    problems = []
    if len(keys) > MAX_SEARCH_KEYS:
        problems.append(f"{field} has {len(keys)} keys; at most {MAX_SEARCH_KEYS} at a time")
    seen: set[str] = set()
    for i, item in enumerate(keys):
        problems += [f"{field}[{i}]: {p}" for p in key_problems(item.key, allow_reserved=allow_reserved)]
        if item.key in seen:
            problems.append(f"{field}[{i}]: search key {item.key!r} is given twice")
        seen.add(item.key)
        if len(item.value) > MAX_SEARCH_KEY_VALUE_CHARS:
            problems.append(f"{field}[{i}]: the value of {item.key!r} is {len(item.value):,} characters long; at most {MAX_SEARCH_KEY_VALUE_CHARS:,}")
        if item.unset and item.value:
            problems.append(f"{field}[{i}]: {item.key!r} is unset but has a value; give one or the other")
    return problems


def as_dict(keys: Iterable[common_pb2.SearchKey]) -> dict[str, str | None]:
    """SearchKey messages as ``{key: value}`` (``None``: present without a value)."""
    return {k.key: (None if k.unset else k.value) for k in keys}
