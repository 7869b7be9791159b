"""The seed system's own List executor, measured: Mistral Workflows 3.16 on the Temporal dev
server, in a Python 3.12 venv (the seed needs 3.12; fanflow's bench runs on 3.11).

The venv: `--seed-venv DIR` or `FANFLOW_BENCH_SEED_VENV` (an existing one, e.g. /work/mwf),
else `bench/.seed-venv` (git-ignored), created on first use with
`python3.12 -m venv` + `pip install mistralai-workflows==3.16.0` when `python3.12` is on PATH
(pyenv's shim needs PYENV_VERSION: we try 3.12.1 and what `pyenv versions` lists). No
python3.12: the workload is skipped with the reason printed.

The Temporal dev server runs as for the other workloads (its SQLite defaults), with the one
search attribute the seed's workflow code writes (`OtelTraceId`, a keyword) registered. The
seed program is `bench/seed_list_driver.py`, run by the venv's python in its own process (the
driver): its CPU is the driver CPU.
"""
from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench import procs

SEED_PACKAGE = "mistralai-workflows==3.16.0"
DEFAULT_VENV = Path(__file__).resolve().parent / ".seed-venv"
DRIVER = Path(__file__).resolve().parent / "seed_list_driver.py"


def _has_seed(python: Path) -> bool:
    if not python.exists():
        return False
    probe = subprocess.run([str(python), "-c", "import mistralai.workflows, sys; assert sys.version_info[:2] == (3, 12)"], capture_output=True, timeout=120)
    return probe.returncode == 0


def _python312() -> tuple[list[str], dict] | None:
    """A command running Python 3.12, and the environment it needs (pyenv's shim)."""
    exe = shutil.which("python3.12")
    if exe is None:
        return None
    candidates = [os.environ.get("PYENV_VERSION")] if os.environ.get("PYENV_VERSION") else []
    candidates += ["3.12.1", None]
    pyenv = shutil.which("pyenv")
    if pyenv:
        listed = subprocess.run([pyenv, "versions", "--bare"], capture_output=True, text=True, timeout=30).stdout.split()
        candidates += [v for v in listed if v.startswith("3.12")]
    for version in candidates:
        env = dict(os.environ)
        if version:
            env["PYENV_VERSION"] = version
        probe = subprocess.run([exe, "-c", "import sys; assert sys.version_info[:2] == (3, 12)"], capture_output=True, env=env, timeout=60)
        if probe.returncode == 0:
            return [exe], env
    return None


def seed_python(venv: str | None = None) -> tuple[Path | None, str]:
    """The venv's python with the seed installed (creating the default venv when needed), or
    None and why not."""
    given = venv or os.environ.get("FANFLOW_BENCH_SEED_VENV")
    if given:
        python = Path(given) / "bin" / "python"
        if _has_seed(python):
            return python, ""
        return None, f"{given} is not a Python 3.12 venv with mistralai.workflows (pip install {SEED_PACKAGE})"
    python = DEFAULT_VENV / "bin" / "python"
    if _has_seed(python):
        return python, ""
    found = _python312()
    if found is None:
        return None, "python3.12 is not installed (the seed system, Mistral Workflows 3.16, needs Python 3.12)"
    cmd, env = found
    print(f"[bench] creating {DEFAULT_VENV} with {SEED_PACKAGE} (once)", flush=True)
    made = subprocess.run([*cmd, "-m", "venv", str(DEFAULT_VENV)], capture_output=True, text=True, env=env, timeout=300)
    if made.returncode != 0:
        return None, f"python3.12 -m venv failed: {made.stderr.strip()[-300:]}"
    pip = subprocess.run([str(python), "-m", "pip", "install", "-q", SEED_PACKAGE], capture_output=True, text=True, timeout=1800)
    if pip.returncode != 0 or not _has_seed(python):
        return None, f"pip install {SEED_PACKAGE} failed: {pip.stderr.strip()[-300:]}"
    return python, ""


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def seed_list_executor(python: Path, workdir: Path, items: int, result_bytes: int, window: int, pragmas: tuple[str, ...] = (), timeout: float = 3600.0) -> dict:
    """A fresh Temporal dev server, then the seed driver (warm-up of 10 items, then `items`)."""
    server = procs.start_temporal(workdir, pragmas, extra_args=("--search-attribute", "OtelTraceId=Keyword"))
    try:
        load0 = os.getloadavg()[0]
        server_cpu0, driver_cpu0 = server.cpu_seconds(), _children_cpu()
        log = open(workdir / "seed-driver.log", "w")
        started = time.perf_counter()
        try:
            out = subprocess.run(
                [str(python), str(DRIVER), "--address", server.address, "--items", str(items), "--result-bytes", str(result_bytes),
                 "--window", str(window), "--timeout", str(timeout)],
                stdout=subprocess.PIPE, stderr=log, text=True, timeout=timeout + 300, env={**os.environ, "PYTHONPATH": ""},
            )
        finally:
            log.close()
        wall = time.perf_counter() - started
        lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
        result = json.loads(lines[-1]) if lines else {}
        if not result.get("ok"):
            raise RuntimeError(f"the seed driver exited with {out.returncode} without finishing the run (log: {workdir / 'seed-driver.log'})")
        result["driver_exit_code"] = out.returncode  # the seed SDK may crash while shutting down, after the run
        result.update(
            n=items,
            result_bytes=result_bytes,
            process_wall_s=wall,  # with the venv's imports, the worker start and the warm-up
            wall_s=result["wall_s"],
            server_cpu_s=server.cpu_seconds() - server_cpu0,
            driver_cpu_s=_children_cpu() - driver_cpu0,
            server_peak_rss_mib=server.peak_rss_mib(),
            loadavg_1min_before=load0,
            loadavg_1min_after=os.getloadavg()[0],
        )
        result["server_cpu_share"] = result["server_cpu_s"] / max(1e-9, result["server_cpu_s"] + result["driver_cpu_s"])
        return result
    finally:
        server.stop()


if __name__ == "__main__":  # python -m bench.seed_side [VENV]: check / create the venv
    path, why = seed_python(sys.argv[1] if len(sys.argv) > 1 else None)
    print(path or f"unavailable: {why}")
