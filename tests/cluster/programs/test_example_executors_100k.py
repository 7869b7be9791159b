"""The README's main command: examples/executors_100k.py (the seed's "100,000 items" List and
Offset examples) as a script, at a small size, in a fresh directory: its summary lines, the
web UI's address for each run and the terminal's progress bars."""
from __future__ import annotations

import os
import re
import subprocess
import sys

from conftest import ROOT


def test_executors_100k_example_runs(tmp_path):
    readme = (ROOT / "README.md").read_text()
    assert ".venv/bin/python examples/executors_100k.py" in readme
    source = (ROOT / "examples" / "executors_100k.py").read_text()
    assert "n_items=n_items" in source and "items=large_item_list,  # 100,000 items" in source
    # This checkout's code whatever is installed; the web UI on a free port (8233 may be taken here).
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FANFLOW_UI_ADDRESS": "127.0.0.1:0"}
    out = subprocess.run([sys.executable, str(ROOT / "examples" / "executors_100k.py"), "3000", "300"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    assert re.search(r"Offset100k: 3,000 items in .* items/s; 1 runs, .*progress: offset 3,000/3,000 done", out.stdout), out.stdout[-2000:]
    assert re.search(r"List100k: 300 items in .*progress: list 300/300 done", out.stdout), out.stdout[-2000:]
    # While each ran: the page to watch it on, and the terminal's progress bar (its last frame here: no terminal).
    assert re.search(r"Offset100k: watch it at http://127\.0\.0\.1:\d+/namespaces/default/workflow\?id=executors_100k_offset-", out.stdout), out.stdout[-2000:]
    assert re.search(r"list \S+ .*300/300", out.stdout), out.stdout[-2000:]
