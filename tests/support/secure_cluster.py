"""A cluster of separate processes (history, matching, frontend, a worker) with access
control on, in one of two modes:

- "mtls": every service has its own certificate from the cluster's CA and requires one from
  its callers (the frontend too, from workers and clients); no internal secret.
- "secret": plaintext with the internal secret (dev mode's way across processes).

Auth is on in both: an admin key and a namespace key. Used by the mTLS cluster test and the
secrets-in-logs test (tests/cluster/services/)."""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from conftest import ROOT, SUPPORT, free_port, wait_for_port
from support.certs import CertificateAuthority, Issued

ROLES = ("history", "matching", "frontend")
TASK_QUEUE = "secure-cluster"


@dataclass
class SecureCluster:
    mode: str
    tmp_path: Path
    ports: dict[str, int]
    admin_key: str
    internal_secret: str = ""
    ca: CertificateAuthority | None = None
    certs: dict[str, Issued] = field(default_factory=dict)  # per role, plus "client"
    procs: dict = field(default_factory=dict)

    @property
    def frontend_address(self) -> str:
        return f"127.0.0.1:{self.ports['frontend']}"

    def address(self, role: str) -> str:
        return f"127.0.0.1:{self.ports[role]}"

    def client_options(self, who: str = "client") -> dict:
        """Client.connect's TLS options for a caller with `who`'s certificate."""
        if self.mode != "mtls":
            return {}
        return {"tls_ca_file": self.ca.ca_file, "tls_cert_file": self.certs[who].cert_file, "tls_key_file": self.certs[who].key_file}

    def cli_tls_args(self, who: str) -> list[str]:
        options = self.client_options(who)
        if not options:
            return []
        return ["--tls-ca", options["tls_ca_file"], "--tls-cert", options["tls_cert_file"], "--tls-key", options["tls_key_file"]]

    def logs(self) -> dict[str, str]:
        """Every log this cluster's processes wrote so far, by file name."""
        return {path.name: path.read_text(errors="replace") for path in sorted(self.tmp_path.glob("*.log"))}


def start(processes, tmp_path: Path, mode: str, *, log_level: str = "INFO", frontend_valid_for: float | None = None) -> SecureCluster:
    """frontend_valid_for (mtls): the frontend's certificate expires that many seconds from now."""
    assert mode in ("mtls", "secret")
    ports = {role: free_port() for role in ROLES}
    cluster = SecureCluster(mode, tmp_path, ports, admin_key=f"admin-{secrets.token_urlsafe(16)}")
    config: dict = {
        "history_shard_count": 4,
        "task_queue_partitions": 2,
        "poll_timeout": 5.0,
        "frontend_address": cluster.frontend_address,
        "auth_enabled": True,
        "history_hosts": [{"name": "history-a", "address": cluster.address("history"), "shards": [0, 1, 2, 3]}],
        "matching_hosts": [{"name": "matching-a", "address": cluster.address("matching")}],
    }
    if mode == "mtls":
        cluster.ca = CertificateAuthority(tmp_path / "pki", "secure cluster CA")
        for who in (*ROLES, "worker", "client"):
            cluster.certs[who] = cluster.ca.issue(f"fanflow-{who}", file_stem=who, valid_for=frontend_valid_for if who == "frontend" else None)
        config.update(tls_ca_file=cluster.ca.ca_file, frontend_client_auth=True)
    else:
        cluster.internal_secret = f"internal-{secrets.token_urlsafe(24)}"
        config["internal_secret"] = cluster.internal_secret

    for role in ROLES:
        start_role(processes, cluster, role, config, log_level)
    return cluster


def start_role(processes, cluster: SecureCluster, role: str, config: dict | None = None, log_level: str = "INFO"):
    """Start (or start again) one service process of the cluster from its config file."""
    tmp_path, ports = cluster.tmp_path, cluster.ports
    path = tmp_path / f"cluster-{role}.json"
    if config is not None:
        role_config = dict(config)
        if cluster.mode == "mtls":  # each process its own certificate
            role_config.update(tls_cert_file=cluster.certs[role].cert_file, tls_key_file=cluster.certs[role].key_file)
        path.write_text(json.dumps(role_config))
    args = ["--log-level", log_level, role, "--config", str(path)] + ([] if role == "frontend" else ["--name", f"{role}-a"])
    env = {"FANFLOW_DATA_DIR": str(tmp_path / f"data-{role}"), "FANFLOW_ADMIN_API_KEYS": cluster.admin_key}
    cluster.procs[role] = processes.fanflow(*args, name=role, env=env)
    wait_for_port(ports[role], proc=cluster.procs[role])
    return cluster.procs[role]


def start_worker(processes, cluster: SecureCluster, namespace: str, api_key: str, *, log_level: str = "INFO"):
    """`fanflow worker secure_cluster_workflows` with the namespace's key and, in mtls mode,
    the worker's own certificate."""
    args = ["--log-level", log_level, "worker", "secure_cluster_workflows", "--address", cluster.frontend_address,
            "--namespace", namespace, "--task-queue", TASK_QUEUE, *cluster.cli_tls_args("worker")]
    proc = processes.fanflow(*args, name="worker", env={"FANFLOW_API_KEY": api_key, "PYTHONPATH": str(ROOT)}, cwd=SUPPORT)
    cluster.procs["worker"] = proc
    return proc
