"""``get_workflow_definition(cls)``: a workflow's public description (the seed's
``WorkflowSpec``): name, texts, JSON schemas of input and output, handlers and options."""
from __future__ import annotations

from typing import Any

from . import workflow as workflow_module
from .models import QueryDefinition, SignalDefinition, UpdateDefinition, WorkflowSpec

__all__ = ["get_workflow_definition"]


def get_workflow_definition(workflow: Any) -> WorkflowSpec:
    """The ``WorkflowSpec`` of a ``@workflow.define`` class (or its entrypoint method, or a
    registered name). Raises ``ValueError`` for anything else, and ``TypeError`` naming the
    parameter when a type has no JSON schema (e.g. an arbitrary class as a parameter)."""
    from ._schemas import json_schema

    defn = workflow_module.get_definition(workflow)
    return WorkflowSpec(
        name=defn.name,
        display_name=defn.display_name,
        description=defn.description,
        input_schema=json_schema(defn.input_model, f"the input of workflow {defn.name!r}") or {},
        output_schema=json_schema(defn.output_model, f"the result of workflow {defn.name!r}"),
        is_technical=defn.is_technical,
        on_behalf_of=defn.on_behalf_of,
        signals=[SignalDefinition(name=h.name, description=h.description, input_schema=h.input_schema()) for h in _sorted(defn.signals)],
        queries=[
            QueryDefinition(name=h.name, description=h.description, input_schema=h.input_schema(), output_schema=h.output_schema())
            for h in _sorted(defn.queries)
        ],
        updates=[
            UpdateDefinition(name=h.name, description=h.description, input_schema=h.input_schema(), output_schema=h.output_schema())
            for h in _sorted(defn.updates)
        ],
        schedules=list(defn.schedules),
        enforce_determinism=defn.enforce_determinism,
        execution_timeout=defn.execution_timeout,
        search_keys=list(defn.search_keys),
    )


def _sorted(handlers: dict[str, Any]) -> list[Any]:
    return [handlers[name] for name in sorted(handlers)]  # stable order, as the seed sorts them
