"""A cluster's history shard count is fixed once the cluster holds data.

A workflow's shard is a hash of its id modulo the shard count, so a cluster started again with
another count sends every call for an existing workflow to a shard that never had it: the
workflows look gone, and starting one again makes a second copy. Temporal refuses to start with
a changed count; so does fanflow:

- every shard records the count it runs under (its `history_shard_count` setting) and refuses
  to open under another (`check_recorded`);
- at start, storage that holds a shard the count has no room for refuses too
  (`check_storage`: a data folder with `history-shard-15.db`, or a database with rows of
  shard 15, under a count of 4); this covers data written before counts were recorded. On
  PostgreSQL the start also compares the count the shards recorded, so a host under live
  membership (which opens its shards later, as the view gives them) refuses at once too.

`fanflow dev` takes its count from the data folder it is given (`dev_shard_count`), so a
folder keeps working whatever the default becomes.
"""
from __future__ import annotations

import re
from pathlib import Path

from fanflow.config import ClusterConfig
from fanflow.postgres import DatabaseUnusable

SETTING = "history_shard_count"
#: `fanflow dev`'s shard count for a new data folder: one machine's worth (Temporal's dev
#: server runs one shard). More shards mean more, smaller group commits; on 2 cores 4 shards
#: ran 500 short workflows about 15 % faster than 16, with less CPU.
DEV_SHARDS = 4
_SHARD_FILE = re.compile(r"^history-shard-(\d+)\.db$")


class ShardCountChanged(DatabaseUnusable):
    """The configured shard count is not the one the cluster's data was written with."""


def _refusal(found: str, recorded: int, configured: int) -> ShardCountChanged:
    return ShardCountChanged(
        f"{found}, but this cluster is configured with {configured} history shards: a workflow's shard is its "
        f"id's hash modulo the count, so the count of a cluster that holds data cannot change. Start it with "
        f"{recorded} shards (history_shard_count = {recorded}, FANFLOW_HISTORY_SHARD_COUNT, or `fanflow dev "
        f"--shards {recorded}`), or use a new data folder or database"
    )


async def check_recorded(store, shard_id: int, configured: int) -> None:
    """Refuse (ShardCountChanged) a shard recorded under another count; record it on first use."""
    recorded = await store.setting(SETTING)
    if recorded is None:
        await store.put_setting(SETTING, str(configured))
    elif int(recorded) != configured:
        raise _refusal(f"shard {shard_id} ({store.location}) was written by a cluster of {int(recorded)} history shards",
                       int(recorded), configured)


def sqlite_shard_ids(data_dir: Path) -> set[int]:
    """The shards whose SQLite files are in `data_dir`."""
    if not data_dir.is_dir():
        return set()
    return {int(m.group(1)) for p in data_dir.iterdir() if (m := _SHARD_FILE.match(p.name))}


async def check_storage(config: ClusterConfig) -> None:
    """Refuse (ShardCountChanged) storage holding a shard at or past the configured count."""
    count = config.history_shard_count
    if config.persistence == "postgres":
        from history.persistence.postgres import stored_shard_layout

        highest, recorded = await stored_shard_layout(config.postgres_dsn, SETTING)
        if recorded is not None and recorded != count:  # any host, any layout: before it takes a shard
            raise _refusal(f"the database's shards were written by a cluster of {recorded} history shards", recorded, count)
        where = f"the database holds rows of history shard {highest}"
    else:
        highest = max(sqlite_shard_ids(config.data_dir), default=-1)
        where = f"the data folder {config.data_dir} holds history-shard-{highest}.db"
    if highest >= count:
        raise _refusal(where, highest + 1, count)


def dev_shard_count(data_dir: Path) -> int:
    """`fanflow dev`'s count for `data_dir`: the one its shard files were made with, else DEV_SHARDS."""
    ids = sqlite_shard_ids(data_dir)
    return max(ids) + 1 if ids else DEV_SHARDS
