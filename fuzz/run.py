"""One target under atheris: `python -m fuzz.run TARGET [libFuzzer options] [CORPUS_DIR...]`.
The target's code modules are instrumented for coverage feedback; its seeds are written to
the first corpus folder. Exits non-zero with the input that crashed."""
from __future__ import annotations

import hashlib
import importlib
import sys
from pathlib import Path

import atheris


def main(argv: list[str]) -> None:
    target_name, rest = argv[1], argv[2:]
    # Which modules to instrument is declared by the target; read it without importing them.
    instrument = _declared(target_name, "INSTRUMENT")
    with atheris.instrument_imports(include=instrument):
        target = importlib.import_module(f"fuzz.{target_name}")
    corpus = [a for a in rest if not a.startswith("-")]
    if corpus:
        folder = Path(corpus[0])
        folder.mkdir(parents=True, exist_ok=True)
        for seed in target.SEEDS:  # the seeds join whatever the corpus holds
            path = folder / f"seed-{hashlib.sha1(seed).hexdigest()}"
            if not path.exists():
                path.write_bytes(seed)
    atheris.Setup([argv[0], *rest], target.test_one)
    atheris.Fuzz()


def _declared(target_name: str, name: str) -> list[str]:
    """A module-level list literal of a target, read from its source."""
    import ast

    source = Path(__file__).with_name(f"{target_name}.py").read_text()
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return list(ast.literal_eval(node.value))
    raise SystemExit(f"fuzz/{target_name}.py declares no {name}")


if __name__ == "__main__":
    main(sys.argv)
