"""How an item becomes a call of the activity: its keyword arguments, checked against the
activity's type hints (``CallShape``), and the call itself (``run_activity``: scheduled in a
workflow run, called directly elsewhere).

Items: for an activity with one parameter the item *is* that parameter's value; otherwise an
item is a mapping keyed by parameter name (keys the activity does not accept are ignored,
unless it takes ``**kwargs``). ``extra_params`` entries are added to an item's arguments
when the activity accepts those names (an item's own keys win).
"""
from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import functools
import inspect
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from .. import converter
from .._executor_host import current_host
from ..activity import ActivityDefinition

__all__ = ["CallShape", "call_directly", "run_activity", "type_name"]


def type_name(hint: Any) -> str:
    """A type hint as error messages show it."""
    if hint is Any or hint is inspect.Parameter.empty:
        return "Any"
    if isinstance(hint, type) and not getattr(hint, "__args__", None):
        return hint.__name__
    return str(hint).replace("typing.", "")


@dataclasses.dataclass(frozen=True)
class CallShape:
    """How items map onto one activity's parameters."""

    defn: ActivityDefinition
    params: tuple[inspect.Parameter, ...]  # plain (not * / **) parameters
    var_keyword: inspect.Parameter | None

    @classmethod
    def of(cls, defn: ActivityDefinition) -> "CallShape":
        params = tuple(
            p for p in defn.signature.parameters.values() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        )
        var_kw = next((p for p in defn.signature.parameters.values() if p.kind is p.VAR_KEYWORD), None)
        return cls(defn, params, var_kw)

    @property
    def single(self) -> bool:
        return len(self.params) == 1

    def hint(self, name: str) -> Any:
        return self.defn.type_hints.get(name, Any)

    def raw_kwargs(self, item: Any, extra_params: Mapping[str, Any] | None, where: str) -> dict[str, Any]:
        """The activity's keyword arguments for ``item`` (not validated yet)."""
        names = {p.name for p in self.params}
        accepts = (lambda k: True) if self.var_keyword is not None else (lambda k: k in names)
        if self.single:
            kwargs = {self.params[0].name: item}
        elif not self.params and self.var_keyword is None:
            raise ValueError(f"{where}: activity {self.defn.name!r} takes no parameters, so it cannot process items")
        else:
            if isinstance(item, BaseModel):
                item = item.model_dump()
            if not isinstance(item, Mapping):
                expected = ", ".join(f"{p.name}: {type_name(self.hint(p.name))}" for p in self.params)
                raise ValueError(
                    f"{where} must be a dict keyed by the parameters of activity {self.defn.name!r} "
                    f"({expected}), got {type(item).__name__}: {item!r}"
                )
            kwargs = {k: v for k, v in item.items() if isinstance(k, str) and accepts(k)}
        for key, value in (extra_params or {}).items():
            if accepts(key) and key not in kwargs:
                kwargs[key] = value
        return kwargs

    def validate(self, kwargs: dict[str, Any], where: str) -> dict[str, Any]:
        """Check ``kwargs`` against the type hints; returns the validated (converted) values."""
        out: dict[str, Any] = {}
        for p in self.params:
            if p.name not in kwargs:
                if p.default is p.empty:
                    raise ValueError(
                        f"{where} has no value for parameter {p.name!r} of activity {self.defn.name!r} "
                        f"(expected type {type_name(self.hint(p.name))})"
                    )
                continue
            out[p.name] = self._check(p.name, self.hint(p.name), kwargs[p.name], where)
        if self.var_keyword is not None:
            hint = self.hint(self.var_keyword.name)
            for k, v in kwargs.items():
                if k not in out and all(k != p.name for p in self.params):
                    out[k] = self._check(k, hint, v, where)
        return out

    def _check(self, name: str, hint: Any, value: Any, where: str) -> Any:
        try:
            return converter.type_adapter(hint).validate_python(value)
        except ValidationError as exc:
            first = exc.errors()[0]["msg"] if exc.errors() else str(exc)
            raise ValueError(
                f"{where} is invalid for activity {self.defn.name!r}: parameter {name!r} expects type "
                f"{type_name(hint)}, got {value!r} ({first})"
            ) from None


async def call_directly(defn: ActivityDefinition, kwargs: dict[str, Any]) -> Any:
    """Run the activity's function here (worker side, or outside a workflow), with its
    ``Depends`` values (the worker's, or entered for this call)."""
    async with defn.injected((), kwargs) as injected:
        if defn.is_async:
            return await defn.fn(**kwargs, **injected)
        ctx = contextvars.copy_context()
        return await asyncio.get_running_loop().run_in_executor(None, functools.partial(ctx.run, defn.fn, **kwargs, **injected))


async def run_activity(defn: ActivityDefinition, kwargs: dict[str, Any], sink: tuple[str, int] | None = None) -> Any:
    """Inside a workflow: schedule it and await its decoded result (``None`` with a result
    sink: the result is stored beside history). Elsewhere: call it."""
    host = current_host()
    if host is not None:
        return await host.execute_activity(defn, kwargs, result_sink=sink)
    return await call_directly(defn, kwargs)
