"""The fuzz targets (fuzz/) run: a short, fixed and seeded run of each under atheris finds
nothing (`python -m fuzz --budget 300` is the real run; README "Access control and limits")."""
from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import ROOT

pytest.importorskip("atheris")


@pytest.mark.parametrize("target, runs", [("validators", 5_000), ("run_state", 100), ("retry", 2_000)])
def test_a_short_seeded_run_finds_nothing(tmp_path, target, runs):
    out = subprocess.run(
        [sys.executable, "-m", "fuzz.run", target, f"-runs={runs}", "-seed=1", f"-artifact_prefix={tmp_path}/", str(tmp_path / "corpus")],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 0, out.stderr[-4000:]
    assert f"Done {runs} runs" in out.stderr
    assert not list(tmp_path.glob("crash-*"))
