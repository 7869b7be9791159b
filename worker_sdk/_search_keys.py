"""Checks of ``@workflow.define(search_keys=[...])`` at definition time, by the seed's rules.

A search key is a dot path into the entrypoint's input: rooted at the input model's fields
(``"customer.name"`` for ``run(self, params: Order)``), or at the parameter names for
any other entrypoint (``"payload.id"`` for ``run(self, payload: Doc, n: int)``). Each step but
the last must be a nested pydantic model, the last a scalar (not a model, list or dict); no
aliased fields; at most 20 keys of at most 256 characters; no ``:``, no trailing ``=``, no
``internal.`` prefix, no empty segment, no duplicates. Every bad path is reported at once.

The values are extracted at each start and stored as the run's search keys:
worker_sdk/search_keys.py.
"""
from __future__ import annotations

import collections.abc
import inspect
import types
import typing
from typing import Any, Sequence

from pydantic import BaseModel

from fanflow.search_keys import MAX_SEARCH_KEY_CHARS, MAX_SEARCH_KEYS, RESERVED_PREFIX

__all__ = ["validate_search_keys", "MAX_SEARCH_KEYS", "MAX_SEARCH_KEY_CHARS"]


def _without_none(hint: Any) -> list[Any]:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return [a for a in typing.get_args(hint) if a is not type(None)]
    return [hint]


def _is_model(hint: Any) -> bool:
    return inspect.isclass(hint) and issubclass(hint, BaseModel)


def _is_collection(hint: Any) -> bool:
    candidate = typing.get_origin(hint) or hint
    if not inspect.isclass(candidate) or issubclass(candidate, (str, bytes, bytearray)):
        return False
    return issubclass(candidate, collections.abc.Collection)


def _aliased(field: Any) -> bool:
    return any(isinstance(a, str) and a for a in (field.alias, field.validation_alias, field.serialization_alias))


def _lexical_problems(path: str) -> list[str]:
    problems = []
    if not path or path != path.strip():
        problems.append("must not be empty or padded with whitespace")
    if ":" in path:
        problems.append("must not contain ':'")
    if path.endswith("="):
        problems.append("must not end with '='")
    if path.startswith(RESERVED_PREFIX):
        problems.append(f"must not start with {RESERVED_PREFIX!r} (reserved)")
    if len(path) > MAX_SEARCH_KEY_CHARS:
        problems.append(f"must be at most {MAX_SEARCH_KEY_CHARS} characters")
    if any(not segment for segment in path.split(".")):
        problems.append("has an empty path segment")
    return problems


def _path_problems(model: type[BaseModel], path: str) -> list[str]:
    current = model
    segments = path.split(".")
    for index, segment in enumerate(segments):
        field = current.model_fields.get(segment)
        if field is None:
            where = "the workflow's input" if index == 0 else current.__name__
            known = ", ".join(current.model_fields) or "none"
            return [f"{segment!r} is not a field of {where} (fields: {known})"]
        if _aliased(field):
            return [f"{segment!r} has a pydantic alias; aliased fields cannot be search keys"]
        members = _without_none(field.annotation)
        if index == len(segments) - 1:
            if any(_is_model(m) or _is_collection(m) for m in members):
                return ["the last step must be a scalar value (or a union of scalars), not a model, list or dict"]
        elif len(members) == 1 and _is_model(members[0]):
            current = members[0]
        else:
            return [f"{segment!r} must be a nested model to go into it"]
    return []


def validate_search_keys(input_model: type[BaseModel], search_keys: Sequence[Any], workflow_name: str) -> tuple[str, ...]:
    """Return the keys as a tuple, or raise ``ValueError`` listing every bad one."""
    if isinstance(search_keys, (str, bytes)) or not isinstance(search_keys, collections.abc.Sequence):
        raise TypeError(f"workflow.define(search_keys=...) must be a list of dot paths, got {type(search_keys).__name__}")
    if len(search_keys) > MAX_SEARCH_KEYS:
        raise ValueError(f"workflow.define(search_keys=...): at most {MAX_SEARCH_KEYS} search keys, got {len(search_keys)}")
    errors: dict[str, list[str]] = {}
    seen: set[str] = set()
    for path in search_keys:
        if not isinstance(path, str):
            raise TypeError(f"workflow.define(search_keys=...): each key must be a string, got {path!r}")
        problems = ["duplicate search key"] if path in seen else []
        seen.add(path)
        problems += _lexical_problems(path)
        if not problems:
            problems = _path_problems(input_model, path)
        if problems:
            errors.setdefault(path, []).extend(problems)
    if errors:
        lines = [f"workflow.define(search_keys=...) of workflow {workflow_name!r}: invalid search keys:"]
        for path, problems in errors.items():
            lines.append(f"- {path!r}: {'; '.join(problems)}")
        raise ValueError("\n".join(lines))
    return tuple(search_keys)
