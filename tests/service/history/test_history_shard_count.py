"""A cluster's shard count cannot change once it holds data (history/shard_count.py): a cluster
started again with another count refuses to start, naming the count to use, instead of routing
calls for its workflows to shards that never had them. On SQLite and PostgreSQL, with real
embedded clusters; and `fanflow dev` takes its count from the data folder it is given."""
from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys

import pytest
from conftest import ROOT, backend_overrides

from fanflow.cluster import embedded
from fanflow.config import ClusterConfig
from history.shard_count import DEV_SHARDS, ShardCountChanged, dev_shard_count
from worker_sdk import Client


async def _cluster_with_workflows(data, env, shards: int, workflow_ids: list[str]):
    process = await embedded(ClusterConfig.embedded(data, history_shard_count=shards, **backend_overrides(env))).start()
    client = await Client.connect(process.frontend_address)
    try:
        for workflow_id in workflow_ids:
            await client.start_workflow("shard_count_workflow", 1, id=workflow_id, task_queue="shard-count")
    finally:
        await client.close()
        await process.stop()


async def _start(data, env, shards: int):
    process = embedded(ClusterConfig.embedded(data, history_shard_count=shards, **backend_overrides(env)))
    try:
        return await process.start()
    except BaseException:
        await process.stop()  # what did start is let go, as `fanflow dev` does
        raise


@pytest.mark.backends("sqlite", "postgres")
async def test_a_cluster_started_again_with_another_shard_count_refuses_and_names_the_count(tmp_path, backend_env, cluster_backend):
    data = tmp_path / "data"
    ids = [f"wf-{i}" for i in range(20)]
    await _cluster_with_workflows(data, backend_env, 8, ids)
    for other in (4, 16):  # fewer shards (storage holds shard 7) and more (every shard recorded 8)
        with pytest.raises(ShardCountChanged, match=r"Start it with 8 shards") as refused:
            await _start(data, backend_env, other)
        if other == 16:  # SQLite: shard 0 refuses as it opens; PostgreSQL: the start, before any shard opens
            says = "the database's shards were written by a cluster of 8" if cluster_backend == "postgres" else "shard 0 ("
            assert says in str(refused.value), refused.value
    process = await _start(data, backend_env, 8)  # the right count still serves every workflow
    client = await Client.connect(process.frontend_address)
    try:
        described = await asyncio.gather(*(client.get_workflow_handle(i).describe() for i in ids))
        assert [d.info.execution.workflow_id for d in described] == ids
    finally:
        await client.close()
        await process.stop()


async def test_data_from_before_counts_were_recorded_refuses_fewer_shards(tmp_path):
    data = tmp_path / "data"
    await _cluster_with_workflows(data, {}, 8, ["wf-1"])
    for shard in range(8):  # as written by a fanflow that did not record the count
        with sqlite3.connect(data / f"history-shard-{shard}.db") as db:
            db.execute("DELETE FROM shard_settings WHERE name = 'history_shard_count'")
    with pytest.raises(ShardCountChanged, match=r"holds history-shard-7\.db.*Start it with 8 shards"):
        await _start(data, {}, 4)


def test_fanflow_dev_takes_the_count_of_its_data_folder_and_refuses_another(tmp_path):
    assert dev_shard_count(tmp_path / "new") == DEV_SHARDS
    data = tmp_path / "data"
    asyncio.run(_cluster_with_workflows(data, {}, 16, ["wf-1"]))  # a folder an earlier `fanflow dev` made (16 shards)
    assert dev_shard_count(data) == 16
    refused = subprocess.run(
        [sys.executable, "-m", "fanflow.cli", "dev", "--port", "0", "--data-dir", str(data), "--shards", "4", "--ui-address", "off"],
        capture_output=True, text=True, cwd=ROOT, timeout=60,
    )
    assert refused.returncode == 2, refused.stderr
    assert "holds history-shard-15.db, but this cluster is configured with 4 history shards" in refused.stderr
    assert "--shards 16" in refused.stderr
