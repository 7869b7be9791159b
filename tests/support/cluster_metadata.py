"""Keys and a SQLite reader for the cluster-metadata tests: embedded
(tests/service/history/test_history_cluster_metadata.py) and across processes
(tests/cluster/services/test_cluster_metadata_host.py)."""
from __future__ import annotations

import sqlite3

ADMIN = "admin-key-for-metadata-tests"
SECRET = "internal-secret-for-metadata-tests"


def bearer(key: str):
    return (("authorization", f"Bearer {key}"),)


def rows(path, sql: str) -> list[tuple]:
    """What `sql` selects in the SQLite file at `path`."""
    with sqlite3.connect(path) as db:
        return db.execute(sql).fetchall()
