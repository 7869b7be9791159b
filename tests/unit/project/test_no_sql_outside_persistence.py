"""SQL lives in the persistence modules only: history/persistence/, matching/persistence/ and
fanflow/sqlite.py, fanflow/postgres.py (and fanflow/sqlite_health.py, its checks of a file). Everything else in the services speaks to a store interface, so another
database can be added without touching them. This scans the string literals (not docstrings)
of every other .py file of history/, matching/, frontend/ and fanflow/ for SQL statements."""
from __future__ import annotations

import ast
import re
from pathlib import Path

from conftest import ROOT

SCANNED = ("history", "matching", "frontend", "fanflow")
PERSISTENCE = ("history/persistence/", "matching/persistence/", "fanflow/sqlite.py", "fanflow/postgres.py", "fanflow/sqlite_health.py",
               "fanflow/membership_store.py")

SQL = re.compile(
    r"\bSELECT\b[\s\S]+\bFROM\b"
    r"|\bINSERT\s+(OR\s+\w+\s+)?INTO\b"
    r"|\bUPDATE\s+\w+\s+SET\b"
    r"|\bDELETE\s+FROM\b"
    r"|\b(CREATE|DROP|ALTER)\s+(TABLE|INDEX|VIEW)\b"
    r"|\bPRAGMA\s+\w+"
    r"|\bBEGIN\s+(IMMEDIATE|EXCLUSIVE|DEFERRED|TRANSACTION)\b"
    r"|^\s*(COMMIT|ROLLBACK|SAVEPOINT)\b",  # keywords in capitals, as all of fanflow's SQL: prose stays out
)


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the Constant nodes that are docstrings."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                found.add(id(first.value))
    return found


def sql_strings(source: str) -> list[tuple[int, str]]:
    """(line, text) of the string literals in `source` that hold SQL (f-strings by their fixed parts)."""
    tree = ast.parse(source)
    skip = _docstrings(tree)
    skip |= {id(v) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for v in node.values}  # read with their f-string
    hits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            text = node.value
        else:
            continue
        if SQL.search(text):
            hits.append((node.lineno, text.strip()[:80]))
    return hits


def _files() -> list[Path]:
    files = []
    for package in SCANNED:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if not relative.startswith(PERSISTENCE):
                files.append(path)
    return files


def test_no_sql_outside_the_persistence_modules():
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {text!r}"
        for path in _files()
        for line, text in sql_strings(path.read_text())
    ]
    assert not offenders, "SQL outside the persistence modules (move it behind a store interface):\n" + "\n".join(offenders)


def test_the_scan_finds_sql_in_its_usual_shapes():
    """The scan itself: it must catch the ways SQL was written inline before (else the test above cannot fail)."""
    source = '''
"""Docstrings may say SELECT ... FROM or DELETE FROM freely."""
a = "SELECT COALESCE(MAX(id), 0) FROM outbox"
b = ("INSERT OR REPLACE INTO executions (namespace) "
     "VALUES (?)")
c = f"DELETE FROM {table} WHERE namespace=?"
d = "UPDATE executor_progress SET failed = failed + 1"
e = f"PRAGMA synchronous={mode}"
f = "BEGIN IMMEDIATE"
g = "COMMIT"
h = "CREATE TABLE IF NOT EXISTS tasks (id INTEGER)"
ok = "select a workflow from the list"
'''
    assert [line for line, _ in sql_strings(source)] == [3, 4, 6, 7, 8, 9, 10, 11]
    assert len(_files()) > 30  # the scan sees the services' modules
