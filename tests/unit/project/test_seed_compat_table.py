"""README's "Moving from the seed system" table covers every public name of the seed system
(tests/support/seed_public_names.txt, read off mistralai-workflows 3.16), with a status from a fixed
vocabulary; what it calls supported exists in fanflow's SDK and names a test that exists; the
count under the table is right."""
from __future__ import annotations

import collections
import importlib
import re

from conftest import ROOT, SUPPORT

STATUSES = {"supported", "supported differently", "not yet", "out of scope"}
ROW = re.compile(r"^\| `(workflows\.[A-Za-z0-9_.]+)` \|[ ]*([a-z ]+?)[ ]*\|[ ]*([^|\n]*?)[ ]*\|[ ]*([^|\n]*?)[ ]*\|$", re.M)


def _seed_names() -> list[str]:
    lines = (SUPPORT / "seed_public_names.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _table() -> list[tuple[str, str, str, str]]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Moving from the seed system", 1)[1].split("\n## ", 1)[0]
    return [tuple(part.strip() for part in row) for row in ROW.findall(section)]


def _resolve(name: str):
    """`workflows.a.b` in fanflow's SDK (`worker_sdk.a.b`), importing submodules as needed."""
    parts = name.split(".")[1:]
    obj = importlib.import_module("worker_sdk")
    for i, part in enumerate(parts):
        if hasattr(obj, part):
            obj = getattr(obj, part)
            continue
        obj = importlib.import_module("worker_sdk." + ".".join(parts[: i + 1]))
    return obj


def test_every_seed_name_has_one_row_with_a_known_status():
    rows = _table()
    names = [r[0] for r in rows]
    assert len(names) == len(set(names)), [n for n, k in collections.Counter(names).items() if k > 1]
    assert sorted(names) == sorted(_seed_names())
    assert {r[1] for r in rows} <= STATUSES


def test_supported_names_exist_in_the_sdk_and_name_an_existing_test():
    for name, status, how, test in _table():
        if status in ("supported", "supported differently") and test:
            assert _resolve(name) is not None, name
            assert (ROOT / "tests" / test.strip("`")).exists(), f"{name}: {test} does not exist"
        if status == "supported":
            assert test, f"{name} is marked supported without a test"
            assert _resolve(name) is not None, name
        if status in ("supported differently", "out of scope"):
            assert how, f"{name} is {status} without saying how or why"


def test_the_count_under_the_table_is_right():
    rows = _table()
    counts = collections.Counter(r[1] for r in rows)
    readme = (ROOT / "README.md").read_text()
    expected = (
        f"Of the seed's {len(rows)} public names: {counts['supported']} supported, "
        f"{counts['supported differently']} supported differently, {counts['not yet']} not yet, "
        f"{counts['out of scope']} out of scope."
    )
    assert expected in readme
