"""A configuration that is refused says what is wrong without echoing the secrets it was
given (pydantic shows a model's input in its errors unless told not to): found by the
secrets-in-logs work (issue 17), kept as a regression case."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from conftest import ROOT
from fanflow.config import ClusterConfig

SECRET = "zq7-internal-secret-that-must-not-show"
ADMIN_KEY = "zk9-admin-key-that-must-not-show"


@pytest.mark.parametrize("bad", [{"tls_cert_file": "/some/cert.pem"}, {"history_shard_count": "many"}, {"frontend_client_auth": True}])
def test_a_refused_config_does_not_echo_its_secrets(tmp_path, bad):
    with pytest.raises(ValidationError) as refused:
        ClusterConfig(internal_secret=SECRET, admin_api_keys=[ADMIN_KEY], data_dir=tmp_path, **bad)
    message = str(refused.value)
    assert next(iter(bad)) in message  # the setting is still named
    assert "input_value" not in message  # pydantic would show (the start of) each value given
    assert SECRET[:4] not in message and ADMIN_KEY[:4] not in message


def test_the_cli_names_the_setting_and_not_the_secrets(tmp_path):
    env = {**os.environ, "FANFLOW_INTERNAL_SECRET": SECRET, "FANFLOW_ADMIN_API_KEYS": ADMIN_KEY, "FANFLOW_TLS_CA_FILE": str(tmp_path / "ca.pem"),
           "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "fanflow.cli", "history", "--name", "history-0"], capture_output=True, text=True, env=env, timeout=60, cwd=ROOT)
    assert out.returncode == 2, out.stderr
    assert "tls_ca_file is set but tls_cert_file / tls_key_file are not" in out.stderr
    assert SECRET[:4] not in out.stderr + out.stdout and ADMIN_KEY[:4] not in out.stderr + out.stdout
