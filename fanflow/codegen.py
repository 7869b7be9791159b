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


def generate(out_root: Path, root: Path = ROOT) -> list[Path]:
    from grpc_tools import protoc
    import grpc_tools

    protos = sorted((root / "protos").glob("*.proto"))
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    args = [
        "protoc",
        f"-I{root}",
        f"-I{well_known}",
        f"--python_out={out_root}",
        f"--pyi_out={out_root}",
        f"--grpc_python_out={out_root}",
        *[str(p.relative_to(root)) for p in protos],
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    return sorted((out_root / "protos").glob("*_pb2*.py*"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if protos/ generated code is stale")
    parser.add_argument("--root", type=Path, default=ROOT, help="project root holding protos/ (default: this checkout)")
    args = parser.parse_args(argv)
    proto_dir = args.root / "protos"
    with tempfile.TemporaryDirectory() as tmp:
        generated = generate(Path(tmp), args.root)
        if args.check:
            stale = [g.name for g in generated if not (proto_dir / g.name).exists() or not filecmp.cmp(g, proto_dir / g.name, shallow=False)]
            extra = {p.name for p in proto_dir.glob("*_pb2*.py*")} - {g.name for g in generated}
            if stale or extra:
                print(f"generated code is stale: {sorted(stale + list(extra))}; run: python -m fanflow.codegen", file=sys.stderr)
                return 1
            print("generated code is up to date")
            return 0
        for g in generated:
            shutil.copyfile(g, proto_dir / g.name)
        print(f"wrote {len(generated)} files to {proto_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
