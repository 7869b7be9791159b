"""PostgreSQL misconfigured, as an operator meets it: `fanflow schema create|upgrade|version`
on a real server (the session's throwaway one), and `fanflow dev` / `fanflow history` refusing to
start with exit code 2, a message that names the setting or command to fix, and no traceback:
no DSN, a DSN that is not a URL, a server that does not answer, a wrong password, a database that
does not exist, no schema, a schema newer than this fanflow; and a database left at schema version 1
(with a run in it) refused until `fanflow schema upgrade` brought it up, then served."""
from __future__ import annotations

import json

import asyncpg

from conftest import free_port
from fanflow import postgres


def _run(processes, *args: str, env: dict | None = None, timeout: float = 60) -> tuple[int, str]:
    proc = processes.fanflow(*args, name="cli", env=env)
    code = proc.wait(timeout)
    with open(proc.log_path, encoding="utf-8", errors="replace") as f:
        return code, f.read()


def _dev(processes, tmp_path, dsn: str | None) -> tuple[int, str]:
    env = {"FANFLOW_PERSISTENCE": "postgres"}
    if dsn is not None:
        env["FANFLOW_POSTGRES_DSN"] = dsn
    return _run(processes, "dev", "--port", str(free_port()), "--data-dir", str(tmp_path / "d"), env=env)


def test_schema_command_creates_upgrades_and_reports(processes, postgres_server):
    dsn = postgres_server.create_database("schema_cmd")
    code, out = _run(processes, "schema", "version", "--dsn", dsn)
    assert code == 0 and "version 0" in out and "fanflow schema create" in out, out
    code, out = _run(processes, "schema", "create", "--dsn", dsn)
    assert code == 0 and f"schema version {postgres.SCHEMA_VERSION}" in out and "0001_initial" in out, out
    assert postgres_server.psql("SELECT version FROM schema_version ORDER BY version", "schema_cmd").split() == [
        str(v) for v in range(1, postgres.SCHEMA_VERSION + 1)]
    code, out = _run(processes, "schema", "create", "--dsn", dsn)
    assert code == 2 and "already has fanflow schema" in out and "fanflow schema upgrade" in out and "Traceback" not in out, out
    code, out = _run(processes, "schema", "upgrade", "--dsn", dsn)
    assert code == 0 and "up to date" in out, out
    code, out = _run(processes, "schema", "version", "--dsn", dsn)
    assert code == 0 and "up to date" in out and "fanflow-test" not in out, out  # the password is never printed


def test_schema_command_refuses_bad_input(processes, postgres_server):
    for args, words in [
        (("schema", "version"), ["--dsn", "FANFLOW_POSTGRES_DSN"]),
        (("schema", "create", "--dsn", "mysql://root@localhost/x"), ["postgresql://"]),
        (("schema", "create", "--dsn", postgres_server.dsn("no_such_db")), ["no_such_db", "does not exist", "postgres_dsn"]),
        (("schema", "version", "--dsn", postgres_server.dsn("postgres", password="wrong")), ["refused the credentials", "password"]),
    ]:
        code, out = _run(processes, *args, env={"FANFLOW_POSTGRES_DSN": ""})
        assert code == 2 and "Traceback" not in out, (args, out)
        for word in words:
            assert word in out, (args, word, out)
        assert "wrong@" not in out  # passwords are redacted


def test_services_refuse_a_database_they_cannot_use(processes, tmp_path, postgres_server):
    empty = postgres_server.create_database("no_schema_yet")
    newer = postgres_server.create_database("newer_schema", template="fanflow_template")
    postgres_server.psql("INSERT INTO schema_version (version, name) VALUES (99, 'from_the_future')", "newer_schema")
    cases = [
        (None, ["postgres_dsn", "FANFLOW_POSTGRES_DSN"]),
        ("db-host:5432/fanflow", ["postgres_dsn must be a URL"]),
        (f"postgresql://postgres:x@127.0.0.1:{free_port()}/fanflow", ["cannot reach PostgreSQL", "postgres_dsn"]),
        (postgres_server.dsn("no_schema_yet", password="wrong"), ["refused the credentials", "postgres_dsn"]),
        (postgres_server.dsn("missing_database"), ["does not exist", "postgres_dsn"]),
        (empty, ["no fanflow schema", "fanflow schema create"]),
        (newer, ["version 99", "newer than this fanflow knows"]),
    ]
    for dsn, words in cases:
        code, out = _dev(processes, tmp_path, dsn)
        assert code == 2 and "Traceback" not in out, (dsn, out)
        for word in words:
            assert word in out, (dsn, word, out)
    # One service from a cluster config says the same.
    config = tmp_path / "cluster.json"
    config.write_text(json.dumps({
        "data_dir": str(tmp_path / "h"), "persistence": "postgres", "postgres_dsn": empty,
        "history_hosts": [{"name": "history-a", "address": f"127.0.0.1:{free_port()}"}],
        "matching_hosts": [{"name": "matching-a", "address": f"127.0.0.1:{free_port()}"}],
    }))
    code, out = _run(processes, "history", "--config", str(config), "--name", "history-a")
    assert code == 2 and "fanflow schema create" in out and "Traceback" not in out, out


async def test_a_database_left_at_an_earlier_schema_is_refused_until_upgraded(processes, tmp_path, postgres_server):
    """Version 1 (as an earlier build left it, with a run in it): `fanflow dev` refuses it naming
    `fanflow schema upgrade`; the upgrade applies the rest; then the cluster starts on it."""
    dsn = postgres_server.create_database("left_at_v1")
    conn = await asyncpg.connect(dsn)
    try:
        assert [m.version for m in await postgres.upgrade(conn, up_to=1)] == [1]
        await conn.execute("INSERT INTO executions (shard_id, namespace, workflow_id, run_id, workflow_type, status, start_time_ns, state) "
                           "VALUES (0, 'default', 'old-run', 'r', 'T', 2, 1, '')")
    finally:
        await conn.close()
    code, out = _dev(processes, tmp_path, dsn)
    assert code == 2 and "schema version 1" in out and "fanflow schema upgrade" in out and "Traceback" not in out, out
    code, out = _run(processes, "schema", "upgrade", "--dsn", dsn)
    assert code == 0 and "0002_search_keys" in out and f"schema version {postgres.SCHEMA_VERSION}" in out, out
    assert postgres_server.psql("SELECT workflow_id, display_name FROM executions", "left_at_v1").strip() == "old-run|"  # kept, new column filled
    port = free_port()
    dev = processes.fanflow("dev", "--port", str(port), "--data-dir", str(tmp_path / "d2"), name="dev-upgraded",
                            env={"FANFLOW_PERSISTENCE": "postgres", "FANFLOW_POSTGRES_DSN": dsn})
    from conftest import wait_for_port

    wait_for_port(port, proc=dev)


async def test_an_older_schema_names_the_upgrade_command(postgres_dsn):
    """A fanflow that knows one more migration than the database has: told to upgrade."""
    conn = await asyncpg.connect(postgres_dsn)
    try:
        await postgres.check_schema(conn, postgres_dsn)  # this fanflow's version: fine
        try:
            await postgres.check_schema(conn, postgres_dsn, expected=postgres.SCHEMA_VERSION + 1)
        except postgres.DatabaseUnusable as exc:
            assert "fanflow schema upgrade" in str(exc) and f"needs {postgres.SCHEMA_VERSION + 1}" in str(exc)
            assert "fanflow-test" not in str(exc)
        else:
            raise AssertionError("an older schema was accepted")
    finally:
        await conn.close()
