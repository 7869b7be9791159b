"""Python run in a child process where the `server` extra's packages cannot be imported, as
in a worker-only install (`pip install fanflow`): for tests/unit/project/test_packaging.py
and tests/cluster/programs/test_worker_only_install.py."""
from __future__ import annotations

import subprocess
import sys
import textwrap

from conftest import ROOT
from fanflow.extras import SERVER_MODULES

_BLOCKER = """
import importlib.abc, sys
BLOCKED = {blocked!r}
class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED or name in BLOCKED:
            raise ModuleNotFoundError(f"No module named {{name!r}} (blocked: not in a worker-only install)", name=name)
        return None
sys.meta_path.insert(0, Blocker())
"""


def run_blocked(code: str, *args: str) -> subprocess.CompletedProcess:
    """Run `code` (its {server} filled in with the server modules) in a child process that cannot
    import the server extra's packages."""
    blocked = sorted(SERVER_MODULES)  # as in an install without the `server` extra
    script = _BLOCKER.format(blocked=blocked) + textwrap.dedent(code).format(server=sorted(SERVER_MODULES))
    return subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, cwd=ROOT, timeout=120)
