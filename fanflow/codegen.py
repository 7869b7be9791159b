"""Regenerate the Python code for protos/*.proto with grpcio-tools.

    python -m fanflow.codegen          # write protos/*_pb2*.py(i)
    python -m fanflow.codegen --check  # exit 1 if the checked-in code is stale
"""
from __future__ import annotations

import argparse
import filecmp
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTO_DIR = ROOT / "protos"


def generate(out_root: Path) -> list[Path]:
    from grpc_tools import protoc
    import grpc_tools

    protos = sorted(PROTO_DIR.glob("*.proto"))
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    args = [
        "protoc",
        f"-I{ROOT}",
        f"-I{well_known}",
        f"--python_out={out_root}",
        f"--pyi_out={out_root}",
        f"--grpc_python_out={out_root}",
        *[str(p.relative_to(ROOT)) for p in protos],
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    return sorted((out_root / "protos").glob("*_pb2*.py*"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if protos/ generated code is stale")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        generated = generate(Path(tmp))
        if args.check:
            stale = [g.name for g in generated if not (PROTO_DIR / g.name).exists() or not filecmp.cmp(g, PROTO_DIR / g.name, shallow=False)]
            extra = {p.name for p in PROTO_DIR.glob("*_pb2*.py*")} - {g.name for g in generated}
            if stale or extra:
                print(f"generated code is stale: {sorted(stale + list(extra))}; run: python -m fanflow.codegen", file=sys.stderr)
                return 1
            print("generated code is up to date")
            return 0
        for g in generated:
            shutil.copyfile(g, PROTO_DIR / g.name)
        print(f"wrote {len(generated)} files to {PROTO_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
