"""ClusterConfig (fanflow/config.py): the cluster layout from a file, the environment, or both;
tuning settings from FANFLOW_* for `fanflow dev` too, a bad one named (and `fanflow dev` exits
2); metadata_host and metrics_address checked when the config is made."""
from __future__ import annotations

import json

import pytest

from fanflow.config import ClusterConfig

HISTORY = [{"name": "h1", "address": "h1:7234", "shards": [0, 1]}, {"name": "h2", "address": "h2:7234", "shards": [2, 3]}]
MATCHING = [{"name": "m1", "address": "m1:7235"}, {"name": "m2", "address": "m2:7235"}]


def test_layout_from_environment_alone(monkeypatch):
    monkeypatch.delenv("FANFLOW_CONFIG", raising=False)
    monkeypatch.setenv("FANFLOW_HISTORY_SHARD_COUNT", "4")
    monkeypatch.setenv("FANFLOW_HISTORY_HOSTS", json.dumps(HISTORY))
    monkeypatch.setenv("FANFLOW_MATCHING_HOSTS", json.dumps(MATCHING))
    monkeypatch.setenv("FANFLOW_FRONTEND_ADDRESS", "fe:7233")
    config = ClusterConfig.load()
    assert [config.shard_owner(s).name for s in range(4)] == ["h1", "h1", "h2", "h2"]
    assert [h.address for h in config.matching_hosts] == ["m1:7235", "m2:7235"]
    assert config.frontend_address == "fe:7233"


def test_environment_overrides_the_file(tmp_path, monkeypatch):
    path = tmp_path / "cluster.json"
    path.write_text(json.dumps({"history_shard_count": 4, "history_hosts": HISTORY, "matching_hosts": MATCHING, "data_dir": "/x"}))
    monkeypatch.setenv("FANFLOW_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FANFLOW_MATCHING_HOSTS", json.dumps(MATCHING[:1]))
    config = ClusterConfig.load(path)
    assert config.data_dir == tmp_path / "data"
    assert [h.name for h in config.matching_hosts] == ["m1"] and len(config.history_hosts) == 2


def test_bad_layout_in_environment_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("FANFLOW_CONFIG", raising=False)
    monkeypatch.setenv("FANFLOW_HISTORY_HOSTS", "h1:7234")
    with pytest.raises(ValueError, match="FANFLOW_HISTORY_HOSTS is not a JSON list"):
        ClusterConfig.load()
    monkeypatch.setenv("FANFLOW_HISTORY_SHARD_COUNT", "4")
    monkeypatch.setenv("FANFLOW_HISTORY_HOSTS", json.dumps(HISTORY[:1]))  # shards 2, 3 owned by nobody
    with pytest.raises(ValueError, match="no history host owns shards"):
        ClusterConfig.load()


def test_the_cli_names_a_bad_setting_and_exits_2(tmp_path):
    """`fanflow dev` takes its tuning settings from FANFLOW_* too; a bad one is a one-line-ish
    message naming it, exit code 2, no traceback."""
    import os
    import subprocess
    import sys

    from conftest import ROOT

    env = {**os.environ, "FANFLOW_MATCHING_HOUSEKEEPING_INTERVAL": "-1"}
    done = subprocess.run([sys.executable, "-m", "fanflow.cli", "dev", "--port", "0", "--data-dir", str(tmp_path)],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "bad configuration" in done.stderr and "matching_housekeeping_interval" in done.stderr
    assert "Traceback" not in done.stderr


def test_dev_takes_tuning_settings_from_the_environment(monkeypatch):
    from fanflow.config import TUNING_FIELDS, env_overrides

    monkeypatch.setenv("FANFLOW_RETENTION_HOURS", "1.5")
    monkeypatch.setenv("FANFLOW_MATCHING_HOUSEKEEPING_INTERVAL", "0.5")
    monkeypatch.setenv("FANFLOW_DATA_DIR", "/elsewhere")  # a layout setting: dev's flags decide it
    config = ClusterConfig.embedded("/tmp/x", **env_overrides(*TUNING_FIELDS))
    assert (config.retention_hours, config.matching_housekeeping_interval, str(config.data_dir)) == (1.5, 0.5, "/tmp/x")


def test_metadata_host_must_be_a_history_host():
    hosts = [{"name": "history-a", "address": "a:1"}]
    assert ClusterConfig(history_hosts=hosts).metadata_owner().name == "history-a"
    with pytest.raises(ValueError, match="metadata_host 'history-z' is not one of the history hosts"):
        ClusterConfig(history_hosts=hosts, metadata_host="history-z")


def test_a_bad_metrics_address_is_a_config_error():
    from fanflow.config import ClusterConfig

    with pytest.raises(ValueError, match="metrics_address"):
        ClusterConfig.embedded("/tmp/x", metrics_address="9090")
