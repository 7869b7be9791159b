"""The seed's first example (examples/seed_concurrency.py) runs as a plain script with nothing set
up: only the import differs from the seed, it starts its own embedded cluster and keeps the
SQLite files in .fanflow/."""
from __future__ import annotations

import subprocess
import sys

from conftest import ROOT


def test_seed_example_runs_as_a_script(tmp_path):
    """Only the import differs from the seed; it runs with nothing set up."""
    source = (ROOT / "examples" / "seed_concurrency.py").read_text()
    assert "import worker_sdk as workflows" in source
    out = subprocess.run([sys.executable, str(ROOT / "examples" / "seed_concurrency.py")], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "{'item': 'alpha', 'result': 'processed:alpha'}",
        "{'item': 'beta', 'result': 'processed:beta'}",
        "{'item': 'gamma', 'result': 'processed:gamma'}",
        "{'item': 'delta', 'result': 'processed:delta'}",
    ]
    assert list((tmp_path / ".fanflow").glob("history-shard-*.db")), "the embedded cluster keeps its SQLite files in .fanflow/"
