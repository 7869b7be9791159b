"""The chaos harness in short (python -m chaos, 90 s, fixed seed; and 45 s on PostgreSQL): every fault kind —
kill, partition, pause, takeover, full disk, clock jump — on the multi-process cluster,
each service on a host of its own, while workflows run; the checker finds nothing lost,
duplicated or out of order, and no fenced write accepted. Needs root (network namespaces,
tmpfs): skipped, saying why, where the machine cannot."""
from __future__ import annotations

import pytest

from chaos import faults, hosts

SEED = 20261130  # its 90 s schedule holds every kind of fault


async def test_a_short_chaos_run_loses_nothing(tmp_path):
    why = hosts.unsupported()
    if why is not None:
        pytest.skip(f"network namespaces unavailable: {why}")
    from chaos.__main__ import run

    lines: list[str] = []
    figures = await run(1.5, SEED, tmp_path, concurrency=8, mean_gap=4.0, kinds=faults.KINDS, drain_timeout=300, max_jump=30,
                        log=lines.append)
    report = "\n".join(lines + figures["problems"])
    assert figures["workflows"] >= 20, report
    assert set(figures["faults_injected"]) >= set(faults.KINDS), report  # every kind happened
    assert all(n > 0 for kind, n in figures["faults_injected"].items() if kind in faults.KINDS), report
    assert figures["items"] > 0 and figures["timers"] > 0, report
    assert (figures["lost"], figures["duplicated"], figures["gaps"], figures["fenced_writes_accepted"]) == (0, 0, 0, 0), report


POSTGRES_SEED = 20263005  # its 45 s schedule holds every kind, both restart modes, and a partition from the database


@pytest.mark.timeout(480)  # its drain is bounded below: a stuck workflow fails with the checker's report, not a timeout
async def test_a_short_chaos_run_on_postgresql_loses_nothing(tmp_path):
    """The same on PostgreSQL (python -m chaos --backend postgres): the database on a host of its
    own, partitioned from services, restarted (clean and as a crash), its disk filled."""
    import os

    from bench.pgserver import unavailable_reason

    why = hosts.unsupported()
    if why is not None:
        pytest.skip(f"network namespaces unavailable: {why}")
    no_server = unavailable_reason()
    if no_server and os.environ.get("FANFLOW_TEST_REQUIRE_POSTGRES"):
        pytest.fail(f"FANFLOW_TEST_REQUIRE_POSTGRES is set but no PostgreSQL server can run: {no_server}")
    if no_server:
        pytest.skip(f"PostgreSQL tests skipped: {no_server}")
    from chaos.__main__ import run

    lines: list[str] = []
    figures = await run(0.75, POSTGRES_SEED, tmp_path, concurrency=8, mean_gap=3.0, kinds=faults.POSTGRES_KINDS, drain_timeout=180,
                        max_jump=30, log=lines.append, backend="postgres")
    report = "\n".join(lines + figures["problems"] + _log_tails(tmp_path))
    assert figures["workflows"] >= 10, report
    injected = figures["faults_injected"]
    assert all(injected.get(kind, 0) > 0 for kind in faults.POSTGRES_KINDS), report  # every kind happened
    assert not any(kind.endswith("(failed)") for kind in injected), report
    assert any("<-> postgres" in line for line in lines), report  # a service cut off from the database
    assert figures["items"] > 0 and figures["timers"] > 0, report
    assert (figures["lost"], figures["duplicated"], figures["gaps"], figures["fenced_writes_accepted"]) == (0, 0, 0, 0), report


def _log_tails(workdir, lines: int = 15) -> list[str]:
    """The end of each service's last log: what a failure report needs (the tmp dir may be gone by the time anyone looks)."""
    latest = {}
    for path in sorted(workdir.glob("*-*.log"), key=lambda p: p.stat().st_mtime):
        latest[path.name.rsplit("-", 1)[0]] = path
    out = []
    for name, path in sorted(latest.items()):
        out.append(f"--- {path.name}")
        out += path.read_text(errors="replace").splitlines()[-lines:]
    return out
