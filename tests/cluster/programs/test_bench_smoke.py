"""The benchmark harness must not rot: run the fanflow side of workloads 1 and 2 at tiny
sizes through the documented entry point (`python -m bench`), with the dev cluster in its
own process. Not a timed test: no speed assertions."""
from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT


def test_bench_fanflow_side_runs(tmp_path):
    out = tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--only", "fanflow", "--workloads", "1,2", "--size", "fan_out=20,workflows=5", "--output", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads(out.read_text())
    w1, w2 = results["fanflow"]["1"], results["fanflow"]["2"]
    assert w1["n"] == 20 and w1["activities_per_s"] > 0 and w1["server_peak_rss_mib"] > 0
    assert w2["n"] == 5 and w2["workflows_per_s"] > 0 and 0 < w2["p50_s"] <= w2["p99_s"]
    assert results["temporal"] == {}
    assert "fanflow/Temporal" in proc.stdout  # the table was printed
