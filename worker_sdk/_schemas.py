"""Pydantic models of a function's parameters and return value, as the seed system builds
them: the JSON schemas of ``get_workflow_definition`` and the roots of search-key paths.

* ``params_model(...)``: a single parameter annotated with a pydantic model *is* the input
  model (a union of models becomes a ``RootModel``); otherwise one field per parameter
  (defaults kept; extra fields allowed only with ``**kwargs``).
* ``result_model(...)``: ``None`` for ``-> None`` or no annotation, the model itself for a
  model (or ``Model | None``), else a model with one ``result`` field.

Built on demand (not when a class is decorated), so a parameter type pydantic cannot describe
only fails the call that asks for a schema, with the parameter named.
"""
from __future__ import annotations

import inspect
import types
import typing
from typing import Any

from pydantic import BaseModel, ConfigDict, RootModel, create_model

from .converter import is_model_type

__all__ = ["params_model", "result_model", "json_schema"]


def params_model(name: str, signature: inspect.Signature, hints: dict[str, Any]) -> type[BaseModel]:
    params = list(signature.parameters.values())
    plain = [p for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    takes_extra = any(p.kind is p.VAR_KEYWORD for p in params)
    if len(plain) == 1 and not takes_extra:
        hint = hints.get(plain[0].name, Any)
        if is_model_type(hint):
            if inspect.isclass(hint):
                return hint
            return create_model(f"{name}_Input", __base__=RootModel[hint])  # type: ignore[valid-type]
    fields: dict[str, Any] = {}
    for p in plain:
        hint = hints.get(p.name, Any)
        fields[p.name] = (hint, ... if p.default is p.empty else p.default)
    try:
        return create_model(
            f"{name}_Input",
            __config__=ConfigDict(extra="allow" if takes_extra else "forbid", arbitrary_types_allowed=True),
            **fields,
        )
    except Exception as exc:  # pydantic cannot describe a parameter's type
        raise TypeError(f"cannot describe the parameters of {name}{signature} as a pydantic model: {exc}") from exc


def result_model(name: str, hints: dict[str, Any]) -> type[BaseModel] | None:
    if "return" not in hints:
        return None
    hint = hints["return"]
    if hint is None or hint is type(None):
        return None
    if inspect.isclass(hint) and issubclass(hint, BaseModel):
        return hint
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(members) == 1 and inspect.isclass(members[0]) and issubclass(members[0], BaseModel):
            return members[0]
    try:
        return create_model(f"{name}_Output", __config__=ConfigDict(arbitrary_types_allowed=True), result=(hint, ...))
    except Exception as exc:
        raise TypeError(f"cannot describe the return type of {name} ({hint!r}) as a pydantic model: {exc}") from exc


def json_schema(model: type[BaseModel] | None, what: str) -> dict[str, Any] | None:
    if model is None:
        return None
    try:
        return model.model_json_schema()
    except Exception as exc:  # e.g. an arbitrary class as a parameter type
        raise TypeError(f"cannot produce a JSON schema for {what}: {exc}") from exc
