"""py-spy around a workload: `python -m bench --profile DIR` records the cluster process and
the driver (worker + client) while each workload runs, as collapsed stacks (`*.txt`, py-spy's
raw format) and a summary of the hottest functions (`*.top.txt`)."""
from __future__ import annotations

import collections
import shutil
import signal
import subprocess
import sys
from pathlib import Path


def py_spy() -> str | None:
    candidate = Path(sys.executable).parent / "py-spy"
    return str(candidate) if candidate.exists() else shutil.which("py-spy")


class Recorder:
    def __init__(self, pid: int, out: Path, rate: int = 100):
        binary = py_spy()
        if binary is None:
            raise RuntimeError("py-spy is not installed: pip install -e '.[bench]'")
        self.out = out
        self.proc = subprocess.Popen(
            [binary, "record", "--pid", str(pid), "--rate", str(rate), "--nonblocking", "--format", "raw", "--output", str(out)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )

    def stop(self) -> Path:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        summary = self.out.with_suffix(".top.txt")
        if self.out.exists():
            summary.write_text(summarize(self.out))
        return summary


def _frame_name(frame: str) -> str:
    # py-spy raw frames look like "function (path/to/file.py:123)"; drop the line number
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/work/main/", "lib/python3.11/", "lib/python3.12/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{name} ({path})"


def summarize(path: Path, top: int = 40) -> str:
    """Self and inclusive share of samples per function, and per file."""
    self_count: collections.Counter = collections.Counter()
    incl_count: collections.Counter = collections.Counter()
    file_self: collections.Counter = collections.Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [_frame_name(f) for f in stack.split(";") if f and not f.startswith("process ") and not f.startswith("thread ")]
        if not frames:
            continue
        self_count[frames[-1]] += n
        file_self[frames[-1].rsplit("(", 1)[-1].rstrip(")")] += n
        for f in set(frames):
            incl_count[f] += n
    if not total:
        return "no samples\n"
    lines = [f"{total} samples (CPU-active; py-spy drops idle ones)", "", "self %  function"]
    lines += [f"{100 * c / total:6.1f}  {f}" for f, c in self_count.most_common(top)]
    lines += ["", "incl %  function"]
    lines += [f"{100 * c / total:6.1f}  {f}" for f, c in incl_count.most_common(top)]
    lines += ["", "self %  file"]
    lines += [f"{100 * c / total:6.1f}  {f}" for f, c in file_self.most_common(25)]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(summarize(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 40))
