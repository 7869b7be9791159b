"""Cluster configuration: who owns which shards, where each service listens.

One `ClusterConfig` describes the whole cluster; every process loads the same
one (from a TOML/JSON file named by --config or FANFLOW_CONFIG, plus FANFLOW_*
environment overrides) and picks its own part by name.
"""
from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from fanflow.sqlite import check_synchronous


class HistoryHost(BaseModel):
    name: str
    address: str  # host:port it listens on and others dial
    shards: list[int] = Field(default_factory=list)  # empty = all shards (single history)


class MatchingHost(BaseModel):
    name: str
    address: str


class HistoryLimits(BaseModel):
    """Temporal's defaults (see shared notes); each can be lowered or raised."""

    max_pending_activities: int = Field(2000, ge=1)
    max_pending_children: int = Field(2000, ge=1)  # open child workflows per run
    suggest_continue_as_new_events: int = Field(4096, ge=1)
    suggest_continue_as_new_bytes: int = Field(4 * 1024 * 1024, ge=1)
    history_count_warn: int = Field(10_240, ge=1)
    history_count_error: int = Field(51_200, ge=1)
    history_size_error: int = Field(50 * 1024 * 1024, ge=1)
    # The longest a workflow task may run (seconds from its start) while its worker
    # heartbeats it (RecordWorkflowTaskHeartbeat); past it the task times out anyway, so a
    # stuck worker that still heartbeats cannot hold a run forever.
    max_workflow_task_duration: float = Field(600.0, gt=0)


# Settings that `fanflow dev` also takes from FANFLOW_<NAME> (the rest come from its flags).
TUNING_FIELDS = (
    "poll_timeout", "sqlite_synchronous", "retention_hours", "matching_housekeeping_interval", "metrics_address",
    "persistence", "postgres_dsn", "postgres_pool_size", "membership_heartbeat_interval", "membership_lease",
)
PERSISTENCE_KINDS = ("sqlite", "postgres")


def env_overrides(*fields: str) -> dict[str, str]:
    """FANFLOW_<FIELD> values set in the environment, for the given fields (validated later)."""
    return {field: os.environ[f"FANFLOW_{field.upper()}"] for field in fields if f"FANFLOW_{field.upper()}" in os.environ}


class ClusterConfig(BaseModel):
    # A refused config's message must not echo what it was given: it holds the internal
    # secret and the admin keys (pydantic shows the input of a model-level error otherwise).
    model_config = ConfigDict(hide_input_in_errors=True)

    cluster_name: str = "fanflow"
    data_dir: Path = Path(".fanflow")
    history_shard_count: int = Field(16, ge=1, le=4096)
    task_queue_partitions: int = Field(4, ge=1, le=64)
    frontend_address: str = "127.0.0.1:7233"
    history_hosts: list[HistoryHost] = Field(default_factory=list)
    matching_hosts: list[MatchingHost] = Field(default_factory=list)
    default_namespace: str = "default"
    # The history host that serves cluster metadata (namespaces, API keys) from its own file;
    # empty: the one that owns shard 0.
    metadata_host: str = ""

    # Timing knobs (seconds).
    poll_timeout: float = Field(20.0, gt=0)  # a long poll returns empty after this
    workflow_task_timeout: float = Field(10.0, gt=0)
    sticky_schedule_to_start_timeout: float = Field(5.0, gt=0)
    default_activity_start_to_close_timeout: float = Field(300.0, gt=0)
    # How often each matching process forgets idle queues and deletes stored tasks past
    # their expiry (e.g. sticky tasks of workers that are gone).
    matching_housekeeping_interval: float = Field(60.0, gt=0)

    # Prometheus metrics over HTTP (host:port, e.g. 0.0.0.0:9090; port 0 picks one): RPCs by
    # service, method and status, their latency, and the services' own counters. Empty: off.
    metrics_address: str = ""

    # SQLite durability, in WAL mode. NORMAL (default): COMMIT returns once the
    # WAL is written to the OS, so every acknowledged write survives a crash or
    # SIGKILL of any fanflow process; only a power cut or kernel crash can lose
    # the last commits. About twice the throughput of FULL on these machines
    # (fsync per group commit). FULL: also survives power loss.
    sqlite_synchronous: str = "NORMAL"

    # Where history, matching and cluster metadata keep their data. "sqlite" (default): a
    # file per shard / matching process / metadata in data_dir. "postgres": every process
    # in one PostgreSQL database (postgres_dsn, e.g. postgresql://user:pw@host:5432/fanflow),
    # whose schema `fanflow schema create --dsn ...` made; postgres_pool_size connections
    # per process at most.
    persistence: str = "sqlite"
    postgres_dsn: str = ""
    postgres_pool_size: int = Field(16, ge=2, le=1000)
    # Live membership (fanflow/membership.py), on PostgreSQL when the config lists no hosts:
    # each process heartbeats this often, and one whose heartbeat is older than the lease
    # loses its shards and partitions to the live ones (seconds, by the database's clock).
    membership_heartbeat_interval: float = Field(1.0, gt=0, le=60)
    membership_lease: float = Field(5.0, gt=0, le=600)

    # Closed runs (their events, mutable state, recorded events) are deleted this long after
    # they closed; a workflow's executor results go with its last run. As Temporal's
    # namespace retention.
    retention_hours: float = Field(72.0, gt=0)

    limits: HistoryLimits = Field(default_factory=HistoryLimits)

    # Security. Internal services (history, matching) accept only calls that
    # carry internal_secret (empty: unauthenticated, with a warning; the
    # embedded cluster makes one up). With auth_enabled the frontend requires
    # an API key on every call: a namespace's key, or an admin key.
    internal_secret: str = ""
    auth_enabled: bool = False
    admin_api_keys: list[str] = Field(default_factory=list)
    # TLS (fanflow/tls.py; files re-read when they change). tls_cert_file + tls_key_file (PEM):
    # every service of the process serves TLS with them and presents them as its client
    # certificate when it calls another service. tls_ca_file: the CA bundle of the cluster's
    # certificates; with it history and matching require every caller to present a certificate
    # it signed (mutual TLS) and the internal secret is not used; callers check servers
    # against it. Needed whenever services run in separate processes with TLS.
    tls_cert_file: str = ""
    tls_key_file: str = ""
    tls_ca_file: str = ""
    tls_server_name: str = ""  # check servers' certificates against this name instead of the dialled host
    frontend_client_auth: bool = False  # the frontend requires client certificates too (workers, clients)
    # The bundle the frontend checks those against (default tls_ca_file). A CA of their own keeps
    # workers' certificates out of history and matching, which trust tls_ca_file only.
    frontend_client_ca_file: str = ""

    @property
    def tls_enabled(self) -> bool:
        return bool(self.tls_cert_file and self.tls_key_file)

    @property
    def live_membership(self) -> bool:
        """Processes find each other in the database (PostgreSQL and no hosts listed)."""
        return self.persistence == "postgres" and not self.history_hosts and not self.matching_hosts

    @model_validator(mode="after")
    def _check_membership(self) -> "ClusterConfig":
        if self.persistence == "postgres" and bool(self.history_hosts) != bool(self.matching_hosts):
            raise ValueError("on PostgreSQL list both history_hosts and matching_hosts (a static layout) or neither "
                             "(live membership: processes find each other in the database)")
        if self.membership_lease < 2 * self.membership_heartbeat_interval:
            raise ValueError(f"membership_lease ({self.membership_lease} s) must be at least twice "
                             f"membership_heartbeat_interval ({self.membership_heartbeat_interval} s)")
        return self

    @property
    def mutual_tls(self) -> bool:
        """History and matching authenticate callers by certificate (no internal secret)."""
        return self.tls_enabled and bool(self.tls_ca_file)

    @model_validator(mode="after")
    def _check_tls(self) -> "ClusterConfig":
        if bool(self.tls_cert_file) != bool(self.tls_key_file):
            given, missing = ("tls_cert_file", "tls_key_file") if self.tls_cert_file else ("tls_key_file", "tls_cert_file")
            raise ValueError(f"{given} is set but {missing} is not: TLS needs the certificate and its private key")
        if self.tls_ca_file and not self.tls_enabled:
            raise ValueError("tls_ca_file is set but tls_cert_file / tls_key_file are not: mutual TLS needs this process's certificate and key")
        if self.frontend_client_auth and not (self.tls_enabled and (self.frontend_client_ca_file or self.tls_ca_file)):
            raise ValueError("frontend_client_auth needs TLS (tls_cert_file, tls_key_file) and a CA bundle for clients "
                             "(frontend_client_ca_file or tls_ca_file)")
        return self

    @field_validator("sqlite_synchronous")
    @classmethod
    def _check_sqlite_synchronous(cls, value: str) -> str:
        return check_synchronous(value)

    @field_validator("persistence")
    @classmethod
    def _check_persistence(cls, value: str) -> str:
        kind = str(value).strip().lower()
        if kind not in PERSISTENCE_KINDS:
            raise ValueError(f"persistence must be one of {', '.join(PERSISTENCE_KINDS)}, got {value!r}")
        return kind

    @model_validator(mode="after")
    def _check_postgres_dsn(self) -> "ClusterConfig":
        if self.persistence == "postgres" and not self.postgres_dsn.strip():
            raise ValueError("persistence is postgres but postgres_dsn (or FANFLOW_POSTGRES_DSN) is empty: "
                             "set it to e.g. postgresql://user:password@host:5432/fanflow")
        if self.postgres_dsn and not self.postgres_dsn.startswith(("postgresql://", "postgres://")):
            raise ValueError("postgres_dsn must be a URL that starts with postgresql:// (e.g. postgresql://user:password@host:5432/fanflow)")
        return self

    @model_validator(mode="after")
    def _check_metrics_address(self) -> "ClusterConfig":
        if self.metrics_address:
            host, _, port = self.metrics_address.rpartition(":")
            if not host or not port.isdigit() or int(port) > 65535:
                raise ValueError(f"metrics_address must be host:port (e.g. 0.0.0.0:9090), got {self.metrics_address!r}")
        return self

    @model_validator(mode="after")
    def _check_shards(self) -> "ClusterConfig":
        owned: dict[int, str] = {}
        for host in self.history_hosts:
            for shard in self.shards_of(host):
                if not 0 <= shard < self.history_shard_count:
                    raise ValueError(f"history host {host.name!r} lists shard {shard}, outside 0..{self.history_shard_count - 1}")
                if shard in owned:
                    raise ValueError(f"shard {shard} is listed by both {owned[shard]!r} and {host.name!r}")
                owned[shard] = host.name
        if self.history_hosts and len(owned) != self.history_shard_count:
            missing = sorted(set(range(self.history_shard_count)) - owned.keys())
            raise ValueError(f"no history host owns shards {missing[:10]}")
        return self

    @model_validator(mode="after")
    def _check_metadata_host(self) -> "ClusterConfig":
        if self.metadata_host and self.history_hosts and self.metadata_host not in {h.name for h in self.history_hosts}:
            raise ValueError(f"metadata_host {self.metadata_host!r} is not one of the history hosts {[h.name for h in self.history_hosts]}")
        return self

    def metadata_owner(self) -> HistoryHost:
        """The history host serving cluster metadata (namespaces, API keys)."""
        return self.history_host(self.metadata_host) if self.metadata_host else self.shard_owner(0)

    def shards_of(self, host: HistoryHost) -> list[int]:
        if host.shards:
            return list(host.shards)
        if len(self.history_hosts) == 1:
            return list(range(self.history_shard_count))
        return []

    def history_host(self, name: str) -> HistoryHost:
        for host in self.history_hosts:
            if host.name == name:
                return host
        raise KeyError(f"no history host named {name!r} in the cluster config")

    def matching_host(self, name: str) -> MatchingHost:
        for host in self.matching_hosts:
            if host.name == name:
                return host
        raise KeyError(f"no matching host named {name!r} in the cluster config")

    def shard_owner(self, shard_id: int) -> HistoryHost:
        for host in self.history_hosts:
            if shard_id in self.shards_of(host):
                return host
        raise KeyError(f"no history host owns shard {shard_id}")

    @classmethod
    def embedded(cls, data_dir: Path | str, frontend_address: str = "127.0.0.1:0", **overrides) -> "ClusterConfig":
        """All services in one process; internal ports are picked at start-up."""
        return cls(
            data_dir=Path(data_dir),
            frontend_address=frontend_address,
            history_hosts=[HistoryHost(name="history-0", address="127.0.0.1:0")],
            matching_hosts=[MatchingHost(name="matching-0", address="127.0.0.1:0")],
            **overrides,
        )

    @classmethod
    def load(cls, path: str | os.PathLike | None = None) -> "ClusterConfig":
        """Read a TOML or JSON file (or FANFLOW_CONFIG), then apply FANFLOW_* overrides."""
        path = path or os.environ.get("FANFLOW_CONFIG")
        data: dict = {}
        if path:
            text = Path(path).read_text()
            data = json.loads(text) if str(path).endswith(".json") else tomllib.loads(text)
        data.update(env_overrides(
            "cluster_name", "data_dir", "history_shard_count", "task_queue_partitions", "frontend_address",
            "internal_secret", "auth_enabled", "tls_cert_file", "tls_key_file", "tls_ca_file", "tls_server_name",
            "frontend_client_auth", "frontend_client_ca_file", "metadata_host", *TUNING_FIELDS,
        ))
        if os.environ.get("FANFLOW_ADMIN_API_KEYS"):
            data["admin_api_keys"] = [k.strip() for k in os.environ["FANFLOW_ADMIN_API_KEYS"].split(",") if k.strip()]
        # The layout can come from the environment alone, as JSON lists, e.g.
        # FANFLOW_HISTORY_HOSTS='[{"name":"h1","address":"h1:7234","shards":[0,1]}, ...]'.
        for field in ("history_hosts", "matching_hosts"):
            env = os.environ.get(f"FANFLOW_{field.upper()}")
            if env:
                try:
                    data[field] = json.loads(env)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"FANFLOW_{field.upper()} is not a JSON list of hosts: {exc}") from None
        return cls.model_validate(data)
