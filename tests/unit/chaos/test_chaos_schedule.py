"""The chaos harness's schedule and options for PostgreSQL (chaos/faults.py, chaos/__main__.py,
chaos/cluster.py): the same seed gives the same faults; on PostgreSQL the database is a target
(partitions from history and matching, its disk, its restarts, in both modes); on SQLite none
of that appears; kinds that do not apply are refused, saying why."""
from __future__ import annotations

import pytest

from chaos import faults
from chaos.__main__ import check_kinds, default_kinds
from chaos.cluster import ExternalDatabase, layout

SERVICES = layout()


def test_the_same_seed_gives_the_same_schedule_on_each_backend():
    for database in (None, "postgres"):
        kinds = faults.POSTGRES_KINDS if database else faults.KINDS
        one = faults.schedule(99, 600, SERVICES, kinds=kinds, database=database)
        assert one == faults.schedule(99, 600, SERVICES, kinds=kinds, database=database)
        assert one != faults.schedule(100, 600, SERVICES, kinds=kinds, database=database)


def test_on_postgresql_the_database_is_partitioned_restarted_and_its_disk_filled():
    plan = faults.schedule(7, 3600, SERVICES, kinds=faults.POSTGRES_KINDS, database="postgres")
    assert {f.kind for f in plan} == set(faults.POSTGRES_KINDS)
    restarts = [f for f in plan if f.kind == "db_restart"]
    assert {f.mode for f in restarts} == {"fast", "immediate"} and all(f.targets == ("postgres",) for f in restarts)
    assert {f.targets for f in plan if f.kind == "disk_full"} == {("postgres",)}  # the services keep no data of their own
    cut_off = {f.targets[0] for f in plan if f.kind == "partition" and f.targets[1] == "postgres"}
    assert cut_off == {s for s in SERVICES if s.startswith(("history", "matching"))}
    assert "(immediate)" in restarts[0].describe() or "(fast)" in restarts[0].describe()


def test_on_sqlite_no_fault_involves_a_database():
    plan = faults.schedule(7, 3600, SERVICES)
    assert all("postgres" not in f.targets for f in plan)
    assert {f.targets[0] for f in plan if f.kind == "disk_full"} <= {s for s in SERVICES if s.startswith(("history", "matching"))}
    with pytest.raises(ValueError, match="db_restart needs a database"):
        faults.schedule(7, 600, SERVICES, kinds=("db_restart",))


def test_kinds_that_do_not_apply_are_refused_saying_why():
    assert default_kinds("sqlite") == faults.KINDS
    assert default_kinds("postgres") == faults.POSTGRES_KINDS
    assert "disk_full" not in default_kinds("postgres", "postgresql://u:p@127.0.0.1/db")
    assert check_kinds(("kill", "db_restart"), "sqlite", None) == "db_restart needs --backend postgres"
    assert "unknown ['nap']" in check_kinds(("nap",), "postgres", None)
    assert "cannot be used with --postgres-dsn" in check_kinds(("disk_full",), "postgres", "postgresql://u:p@127.0.0.1/db")
    assert check_kinds(faults.POSTGRES_KINDS, "postgres", None) is None


def test_a_given_database_on_this_machine_is_dialled_at_the_bridge_address():
    db = ExternalDatabase("postgresql://fanflow:secret@127.0.0.1:5433/chaos?sslmode=disable", "10.213.7.1")
    assert db.dsn == "postgresql://fanflow:secret@10.213.7.1:5433/chaos?sslmode=disable" and db.address == "10.213.7.1"
    assert ExternalDatabase("postgresql://u@localhost/chaos", "10.213.7.1").dsn == "postgresql://u@10.213.7.1:5432/chaos"
    with pytest.raises(ValueError, match="reach only this machine"):
        ExternalDatabase("postgresql://u:p@db.example.com/chaos", "10.213.7.1")
    with pytest.raises(ValueError, match="must be a URL"):
        ExternalDatabase("host=127.0.0.1 dbname=chaos", "10.213.7.1")
