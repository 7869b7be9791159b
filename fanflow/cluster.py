"""Running the services: all in one process (embedded / `fanflow dev`) or one
role per process (`fanflow frontend|history|matching`), from one ClusterConfig.

Start order: bind every server first (so ports picked by "host:0" are known and
written into the config), then open the services' storage, then serve.
"""
from __future__ import annotations

import asyncio
import gc
import secrets
import signal
from collections.abc import Awaitable, Callable

import structlog

from fanflow import local_rpc, metrics, tls
from fanflow.auth import ApiKeyCache, FrontendGuard, InternalSecretServerInterceptor
from fanflow.clients import HistoryClient, MatchingClient
from fanflow.config import ClusterConfig
from fanflow.grpcutil import RunningServer, bind_server
from fanflow.membership import Membership, advertised_address
from frontend import Frontend
from history.service import HistoryServicer
from matching import MatchingServicer
from protos import history_service_pb2, history_service_pb2_grpc, matching_service_pb2_grpc

log = structlog.get_logger("fanflow.cluster")

HISTORY_SERVICE_NAME = "fanflow.internal.v1.HistoryService"
MATCHING_SERVICE_NAME = "fanflow.internal.v1.MatchingService"


class ClusterProcess:
    """The services this process runs. `roles` is any of frontend/history/matching;
    `history_name` / `matching_name` pick this process's entry in the config.

    `listen` (one role only) is the address to bind instead of the one in the
    config, e.g. "0.0.0.0:7234" in a container whose config address is
    "history-a:7234": others keep dialling the config address."""

    def __init__(self, config: ClusterConfig, roles: set[str], history_name: str | None = None, matching_name: str | None = None,
                 listen: str | None = None, advertise: str | None = None):
        """advertise (live membership): the address others dial, when not the bound one
        ("auto": this host's IP address; fanflow/membership.py)."""
        if listen and len(roles) != 1:
            raise ValueError("listen= overrides the bind address of a single-role process only")
        if roles >= {"frontend", "history", "matching"} and not config.internal_secret:
            config.internal_secret = secrets.token_urlsafe(24)  # all in one process: nobody else needs it
        self.config = config
        self.roles = roles
        self.listen = listen
        # Read (and checked) before anything binds: a certificate that is expired, not signed
        # by the CA bundle or not matching its key stops the process with a message naming
        # the setting (TlsFileError is a ValueError; the CLI exits 2 with it).
        self.tls_files = tls.process_files(config.tls_cert_file, config.tls_key_file, config.tls_ca_file or None, role="+".join(sorted(roles))) \
            if config.tls_enabled else None
        if self.tls_files is not None:
            tls.check_usable(self.tls_files.current, config.tls_cert_file, ca_file=config.tls_ca_file or None)
        self.advertise = advertise
        # Live membership (PostgreSQL, no hosts in the config): each server role is a member,
        # named here or after this host and pid; the clients route by the view.
        self.memberships: dict[str, Membership] = {}
        if config.live_membership:
            names = {"history": history_name, "matching": matching_name}
            for role in ("history", "matching", "frontend"):
                if role in roles:
                    self.memberships[role] = Membership(config, role, names.get(role))
            history_name = history_name or (self.memberships["history"].me.name if "history" in roles else None)
            matching_name = matching_name or (self.memberships["matching"].me.name if "matching" in roles else None)
        view = next(iter(self.memberships.values()), None)
        self.history_name = history_name or (config.history_hosts[0].name if config.history_hosts else None)
        self.matching_name = matching_name or (config.matching_hosts[0].name if config.matching_hosts else None)
        self.history_client = HistoryClient(config, membership=view)
        self.matching_client = MatchingClient(config, membership=view)
        self.history: HistoryServicer | None = None
        self.matching: MatchingServicer | None = None
        self.frontend: Frontend | None = None
        self.metrics_address: str | None = None  # host:port serving /metrics, when configured
        self.servers: dict[str, RunningServer] = {}

    def _security(self, role: str) -> dict:
        """Interceptors and TLS credentials for a role's server; see fanflow/auth.py and fanflow/tls.py.

        History and matching: with a CA bundle (mutual TLS) a caller must present a certificate
        it signed and nothing else is asked; without TLS, the internal secret (dev mode)."""
        config = self.config
        if role != "frontend":
            if config.mutual_tls:
                log.info("internal service security", role=role, tls="mutual (client certificates required)")
                return {"credentials": tls.server_credentials(self.tls_files, require_client_auth=True)}
            credentials = tls.server_credentials(self.tls_files, require_client_auth=False) if self.tls_files else None
            if not config.internal_secret:
                log.warning("no internal_secret configured: internal services accept unauthenticated calls", role=role)
                return {"credentials": credentials}
            log.info("internal service security", role=role, tls="on" if credentials else "off", internal_secret="required")
            return {"interceptors": [InternalSecretServerInterceptor(config.internal_secret)], "credentials": credentials}
        api_keys = ApiKeyCache(self._fetch_api_keys, miss_interval=0.25) if config.auth_enabled else None
        if self.frontend is not None:
            self.frontend.admin_service.api_keys = api_keys
        guard = FrontendGuard(auth_enabled=config.auth_enabled, admin_keys=config.admin_api_keys, api_keys=api_keys)
        credentials = None
        if self.tls_files is not None:
            credentials = tls.server_credentials(self.tls_files, require_client_auth=config.frontend_client_auth,
                                                 client_ca_file=config.frontend_client_ca_file or None)
        log.info("frontend security", auth="on" if config.auth_enabled else "off", tls="on" if credentials else "off",
                 client_certificates="required" if config.frontend_client_auth else "not asked")
        return {"interceptors": [guard], "credentials": credentials}

    async def _fetch_api_keys(self) -> dict[str, str]:
        response = await self.history_client.metadata_stub().ListApiKeys(history_service_pb2.ListApiKeysRequest(), timeout=10.0)
        return {entry.key_sha256: entry.namespace for entry in response.keys}

    @property
    def role_names(self) -> str:
        """The roles this process runs, for messages ("dev" when all of them)."""
        return "dev" if self.roles >= {"frontend", "history", "matching"} else "/".join(sorted(self.roles))

    @property
    def frontend_address(self) -> str:
        return self.servers["frontend"].address if "frontend" in self.servers else self.config.frontend_address

    async def start(self) -> "ClusterProcess":
        if self.config.metrics_address:
            self.metrics_address = metrics.serve(self.config.metrics_address)
        if self.roles & {"history", "matching"}:  # a frontend stores nothing
            self.config.data_dir.mkdir(parents=True, exist_ok=True)
        live = self.config.live_membership
        if "history" in self.roles:
            self.history = HistoryServicer(self.config, self.history_name, self.matching_client, history=self.history_client,
                                           membership=self.memberships.get("history"))
            address = self.listen or ("0.0.0.0:7234" if live else self.config.history_host(self.history_name).address)
            self.servers["history"] = bind_server(
                address, [(history_service_pb2_grpc.add_HistoryServiceServicer_to_server, self.history, HISTORY_SERVICE_NAME)],
                **self._security("history"),
            )
            if not self.listen and not live:
                self.config.history_host(self.history_name).address = self.servers["history"].address
        if "matching" in self.roles:
            self.matching = MatchingServicer(self.config, self.matching_name, self.history_client, matching=self.matching_client,
                                             membership=self.memberships.get("matching"))
            address = self.listen or ("0.0.0.0:7235" if live else self.config.matching_host(self.matching_name).address)
            self.servers["matching"] = bind_server(
                address, [(matching_service_pb2_grpc.add_MatchingServiceServicer_to_server, self.matching, MATCHING_SERVICE_NAME)],
                **self._security("matching"),
            )
            if not self.listen and not live:
                self.config.matching_host(self.matching_name).address = self.servers["matching"].address
        if "frontend" in self.roles:
            self.frontend = Frontend(self.config, self.history_client, self.matching_client)
            self.servers["frontend"] = bind_server(self.listen or self.config.frontend_address, self.frontend.registrations(), **self._security("frontend"))
            if not self.listen:
                self.config.frontend_address = self.servers["frontend"].address
        # Services in this process call each other directly (fanflow/local_rpc.py).
        for role, servicer in (("history", self.history), ("matching", self.matching)):
            if servicer is not None:
                local_rpc.register(self._own_address(role), servicer)
        for role, membership in self.memberships.items():
            membership.set_address(advertised_address(self.servers[role].address, self.advertise))
            await membership.start()
        if self.history:
            await self.history.start()
        if self.matching:
            await self.matching.start()
        for server in self.servers.values():
            await server.start()
        log.info("services started", **{role: server.address for role, server in self.servers.items()}, data_dir=str(self.config.data_dir))
        return self

    def _own_address(self, role: str) -> str:
        """The address others dial for this process's history or matching service."""
        if self.config.live_membership:
            return advertised_address(self.servers[role].address, self.advertise)
        host = self.config.history_host(self.history_name) if role == "history" else self.config.matching_host(self.matching_name)
        return host.address

    async def stop(self) -> None:
        for role, servicer in (("history", self.history), ("matching", self.matching)):
            if servicer is not None and role in self.servers:
                local_rpc.unregister(self._own_address(role))
        for membership in self.memberships.values():
            await membership.quiesce()  # no shard or partition is taken while this process stops
        if self.matching:
            await self.matching.stop()  # waiting long polls answer empty instead of being cut
        for server in self.servers.values():
            await server.stop(grace=0.5)
        if self.frontend:
            await self.frontend.close()
        if self.history:
            await self.history.stop()  # under live membership its shards are released first
        for membership in self.memberships.values():
            await membership.stop()  # then it leaves: the others take what it held at once
        await self.history_client.close()
        await self.matching_client.close()

    async def __aenter__(self) -> "ClusterProcess":
        return await self.start()

    async def __aexit__(self, *exc) -> None:
        await self.stop()


def embedded(config: ClusterConfig) -> ClusterProcess:
    return ClusterProcess(config, {"frontend", "history", "matching"})


# The cyclic collector's first generation is collected after this many new container objects
# (Python's default is 700): a service makes short-lived protobuf messages, tasks and futures by
# the hundred per request, few of them in cycles, and collecting every 700 of them was 2-3 % of
# the event loop's time.
GC_FIRST_GENERATION = 20_000


def tune_garbage_collector() -> None:
    """For a service process once it has started: what start-up made (modules, configs, servers)
    lives as long as the process, so it is left out of every later collection (gc.freeze), and
    the first generation is collected less often (GC_FIRST_GENERATION)."""
    gc.collect()
    gc.freeze()
    _, second, third = gc.get_threshold()
    gc.set_threshold(GC_FIRST_GENERATION, second, third)


async def serve_until_signalled(
    process: ClusterProcess,
    on_started: Callable[[ClusterProcess], Awaitable[None] | None] | None = None,
    on_stopping: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Run until SIGINT/SIGTERM, then stop gracefully (matters as PID 1 in a container);
    `on_stopping` runs first (e.g. `fanflow dev` stops its web UI there)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await process.start()
    except BaseException:
        try:  # what did start (bound servers, opened stores) is let go before the error is reported
            await process.stop()
        except Exception:
            log.debug("stopping after a failed start failed too", exc_info=True)
        raise
    if on_started:
        result = on_started(process)
        if asyncio.iscoroutine(result):
            await result
    tune_garbage_collector()
    await stop.wait()
    log.info("shutting down")
    if on_stopping is not None:
        await on_stopping()
    await process.stop()
