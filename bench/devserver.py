"""`fanflow dev` with the SQLite synchronous mode chosen by the benchmark:

    python -m bench.devserver FULL|NORMAL --log-level WARNING dev --port P --data-dir D

It is exactly `python -m fanflow.cli ...` with `sqlite_synchronous` set on the embedded
config (the dev command has no flag for it)."""
from __future__ import annotations

import sys

from fanflow import cli
from fanflow.config import ClusterConfig


def main(argv: list[str]) -> int:
    synchronous, rest = argv[0].upper(), argv[1:]
    original = ClusterConfig.embedded.__func__

    def embedded(cls, data_dir, frontend_address="127.0.0.1:0", **overrides):
        overrides.setdefault("sqlite_synchronous", synchronous)
        return original(cls, data_dir, frontend_address, **overrides)

    ClusterConfig.embedded = classmethod(embedded)  # type: ignore[method-assign]
    return cli.main(rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
