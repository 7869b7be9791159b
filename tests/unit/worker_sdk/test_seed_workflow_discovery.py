"""`discover_all_workflows_in_package` (the seed's way to find the workflows a worker serves):
packages and plain modules, nested packages, modules that fail to import, skipped modules, and
clear errors for a package that does not exist or a bad skip_modules."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import worker_sdk as workflows


def _write_package(root: Path) -> None:
    files = {
        "seedpkg/__init__.py": "",
        "seedpkg/workflows/__init__.py": "",
        "seedpkg/workflows/alpha.py": """
            import worker_sdk as workflows

            @workflows.workflow.define(name="seedpkg_alpha")
            class Alpha:
                @workflows.workflow.entrypoint
                async def run(self) -> str:
                    return "alpha"
            """,
        "seedpkg/workflows/nested/__init__.py": "",
        "seedpkg/workflows/nested/beta.py": """
            import worker_sdk as workflows
            from seedpkg.workflows.alpha import Alpha  # imported here too: counted once

            @workflows.workflow.define(name="seedpkg_beta")
            class Beta:
                @workflows.workflow.entrypoint
                async def run(self, n: int) -> int:
                    return n + 1
            """,
        "seedpkg/workflows/broken.py": "raise RuntimeError('this module does not import')\n",
        "seedpkg/workflows/tests/__init__.py": "",
        "seedpkg/workflows/tests/test_gamma.py": """
            import worker_sdk as workflows

            @workflows.workflow.define(name="seedpkg_gamma")
            class Gamma:
                @workflows.workflow.entrypoint
                async def run(self) -> None: ...
            """,
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def test_discover_all_workflows_in_package(tmp_path, monkeypatch):
    _write_package(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    found = workflows.discover_all_workflows_in_package("seedpkg.workflows", skip_modules={"tests"})
    assert [workflows.get_workflow_definition(c).name for c in found] == ["seedpkg_alpha", "seedpkg_beta"]
    with_tests = workflows.discover_all_workflows_in_package("seedpkg")
    assert sorted(workflows.get_workflow_definition(c).name for c in with_tests) == ["seedpkg_alpha", "seedpkg_beta", "seedpkg_gamma"]
    alpha_only = workflows.discover_all_workflows_in_package("seedpkg.workflows.alpha")  # a plain module
    assert [c.__name__ for c in alpha_only] == ["Alpha"]
    with pytest.raises(ImportError, match="cannot import package 'seedpkg.nope'"):
        workflows.discover_all_workflows_in_package("seedpkg.nope")
    with pytest.raises(TypeError, match="skip_modules must be a set"):
        workflows.discover_all_workflows_in_package("seedpkg", skip_modules="tests")
