"""``discover_all_workflows_in_package``: import every module of a package and collect the
``@workflow.define`` classes found in them (what a worker entry point passes to ``run_worker``)."""
from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType

import structlog

from . import workflow as workflow_module

log = structlog.get_logger("fanflow.sdk.discovery")

__all__ = ["discover_all_workflows_in_package"]


def _workflow_classes(module: ModuleType) -> list[type]:
    return [obj for _, obj in inspect.getmembers(module, inspect.isclass) if "__fanflow_workflow__" in vars(obj)]


def discover_all_workflows_in_package(package_name: str, skip_modules: set[str] | None = None) -> list[type]:
    """Every workflow class defined in ``package_name`` and its sub-packages, in module order,
    one per workflow name (a class imported into several modules counts once).

    ``skip_modules``: module (or sub-package) base names not to import, e.g. ``{"tests"}``.
    A package that cannot be imported raises ``ImportError`` naming it; a module inside it
    that fails to import is logged (warning) and skipped, as the seed does, so one broken
    module does not stop a worker from serving the others. A plain module (not a package)
    is scanned on its own."""
    if not isinstance(package_name, str) or not package_name:
        raise TypeError(f"discover_all_workflows_in_package needs a package name (a string), got {package_name!r}")
    if skip_modules is not None and (isinstance(skip_modules, str) or not all(isinstance(m, str) for m in skip_modules)):
        raise TypeError(f"skip_modules must be a set of module names, got {skip_modules!r}")
    skip = set(skip_modules or ())
    try:
        root = importlib.import_module(package_name)
    except ImportError as exc:
        raise ImportError(f"discover_all_workflows_in_package: cannot import package {package_name!r}: {exc}") from exc

    found: list[type] = []
    names: set[str] = set()

    def collect(module: ModuleType) -> None:
        for cls in _workflow_classes(module):
            name = workflow_module.get_definition(cls).name
            if name not in names:
                names.add(name)
                found.append(cls)

    def scan(package: ModuleType) -> None:
        for info in pkgutil.iter_modules(package.__path__, prefix=f"{package.__name__}."):
            if info.name.rsplit(".", 1)[-1] in skip:
                continue
            try:
                module = importlib.import_module(info.name)
            except Exception as exc:  # noqa: BLE001 - reported, the rest is still served
                log.warning("module could not be imported; its workflows are skipped", module=info.name, error=f"{type(exc).__name__}: {exc}")
                continue
            collect(module)
            if info.ispkg:
                scan(module)

    collect(root)
    if hasattr(root, "__path__"):
        scan(root)
    return found
