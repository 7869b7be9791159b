"""`python -m fuzz --budget 300`: fuzz every target for its share of the budget (seconds),
then replay each target's corpus (the inputs the fuzzer kept for new coverage) under
coverage.py and report, per target: inputs tried, corpus size, line and branch coverage of
the code it covers, and any crash (the input is kept under the artifacts folder).

Exit status: 0 when no target crashed, 1 otherwise."""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ["validators", "run_state", "retry"]


def fuzz(target: str, seconds: int, corpus: Path, artifacts: Path) -> dict:
    artifacts.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "fuzz.run", target, f"-max_total_time={seconds}", f"-artifact_prefix={artifacts}/{target}-",
               "-print_final_stats=1", str(corpus)]
    began = time.monotonic()
    out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=seconds * 3 + 120)
    log = out.stdout + out.stderr
    runs = re.findall(r"stat::number_of_executed_units:\s*(\d+)", log) or re.findall(r"Done (\d+) runs", log)
    crash = re.findall(r"Test unit written to (\S+)", log)
    return {
        "target": target,
        "seconds": round(time.monotonic() - began, 1),
        "inputs_tried": int(runs[-1]) if runs else 0,
        "crash": crash[-1] if crash else None,
        "crash_report": log[log.find("=== Uncaught Python exception"):][:3000] if crash else "",
        "exit_code": out.returncode,
    }


def measure(target: str, corpus: Path) -> dict:
    """Line and branch coverage of the target's code over its corpus (a fresh process, so
    the modules' own lines count)."""
    code = f"""
import json, sys, coverage
from pathlib import Path
cov = coverage.Coverage(branch=True, data_file=None)
cov.start()
import fuzz.{target} as target
inputs = sorted(Path({str(corpus)!r}).iterdir())
for path in inputs:
    target.test_one(path.read_bytes())
cov.stop()
total_lines = covered_lines = total_branches = covered_branches = 0
files = {{}}
for name in target.COVERED:
    analysis = cov._analyze(str(Path({str(ROOT)!r}) / name))
    numbers = analysis.numbers
    files[name] = round(numbers.pc_covered, 1)
    total_lines += numbers.n_statements; covered_lines += numbers.n_statements - numbers.n_missing
    total_branches += numbers.n_branches; covered_branches += numbers.n_branches - numbers.n_missing_branches
print(json.dumps({{"corpus": len(inputs), "lines": [covered_lines, total_lines], "branches": [covered_branches, total_branches], "files": files}}))
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        return {"error": out.stderr[-2000:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz", description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=300, help="seconds of fuzzing in all, shared by the targets (default 300)")
    parser.add_argument("--targets", nargs="+", default=TARGETS, choices=TARGETS)
    parser.add_argument("--corpus", type=Path, default=ROOT / ".fuzz" / "corpus", help="where each target's corpus is kept (default .fuzz/corpus)")
    parser.add_argument("--artifacts", type=Path, default=ROOT / ".fuzz" / "artifacts", help="where crashing inputs are written")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)

    share = max(1, args.budget // len(args.targets))
    report = []
    for target in args.targets:
        corpus = args.corpus / target
        result = fuzz(target, share, corpus, args.artifacts)
        result.update(measure(target, corpus))
        report.append(result)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for r in report:
            lines, branches = r.get("lines", [0, 0]), r.get("branches", [0, 0])
            print(f"{r['target']}: {r['inputs_tried']:,} inputs in {r['seconds']} s, corpus {r.get('corpus', 0)}, "
                  f"lines {lines[0]}/{lines[1]} ({100 * lines[0] / max(lines[1], 1):.1f}%), "
                  f"branches {branches[0]}/{branches[1]} ({100 * branches[0] / max(branches[1], 1):.1f}%), "
                  f"crash: {r['crash'] or 'none'}")
            for name, percent in r.get("files", {}).items():
                print(f"    {name}: {percent}%")
            if r.get("error"):
                print(f"    coverage replay failed: {r['error']}")
            if r["crash"]:
                print(r["crash_report"])
    return 1 if any(r["crash"] or r.get("error") for r in report) else 0


if __name__ == "__main__":
    sys.exit(main())
