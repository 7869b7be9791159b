"""The frontend: stateless WorkflowService + AdminService that validate every
request and route it to history shards and matching partitions.

    from frontend import frontend_registrations
    server = await grpcutil.start_server(config.frontend_address,
                                         frontend_registrations(config, history, matching))

`Frontend` is the same thing as an object, for callers that want to close the
namespace cache's background refresh on shutdown (`await frontend.close()`).
"""
from __future__ import annotations

from fanflow.clients import HistoryClient, MatchingClient
from fanflow.config import ClusterConfig
from frontend.admin_service import AdminServiceHandler
from frontend.namespaces import NamespaceCache
from frontend.settings import FrontendSettings
from frontend.upstream import upstream
from frontend.workflow_service import WorkflowServiceHandler
from protos import admin_service_pb2, admin_service_pb2_grpc, workflow_service_pb2_grpc

WORKFLOW_SERVICE_NAME = "fanflow.v1.WorkflowService"
ADMIN_SERVICE_NAME = "fanflow.v1.AdminService"

__all__ = [
    "ADMIN_SERVICE_NAME",
    "WORKFLOW_SERVICE_NAME",
    "AdminServiceHandler",
    "Frontend",
    "FrontendSettings",
    "NamespaceCache",
    "WorkflowServiceHandler",
    "frontend_registrations",
]


class Frontend:
    """Both servicers sharing one namespace cache."""

    def __init__(
        self,
        config: ClusterConfig,
        history: HistoryClient,
        matching: MatchingClient,
        settings: FrontendSettings | None = None,
    ):
        self.config = config
        self.settings = settings if settings is not None else FrontendSettings.from_env()
        self.history = history
        self.matching = matching
        self.namespaces = NamespaceCache(
            self._fetch_namespaces,
            source=history.metadata_target(),
            miss_refresh_interval=self.settings.namespace_miss_refresh_interval,
            refresh_interval=self.settings.namespace_refresh_interval,
        )
        self.workflow_service = WorkflowServiceHandler(config, history, matching, self.namespaces, self.settings)
        self.admin_service = AdminServiceHandler(config, history, matching, self.namespaces, self.settings)
        self.workflow_service.frontend = self
        self.admin_service.frontend = self

    async def _fetch_namespaces(self) -> list[admin_service_pb2.NamespaceInfo]:
        stub, target = self.admin_service.router.metadata_stub()
        with upstream(target):
            response = await stub.ListNamespaces(
                admin_service_pb2.ListNamespacesRequest(), timeout=self.settings.rpc_timeout
            )
        return list(response.namespaces)

    def registrations(self) -> list[tuple]:
        return [
            (workflow_service_pb2_grpc.add_WorkflowServiceServicer_to_server, self.workflow_service, WORKFLOW_SERVICE_NAME),
            (admin_service_pb2_grpc.add_AdminServiceServicer_to_server, self.admin_service, ADMIN_SERVICE_NAME),
        ]

    async def close(self) -> None:
        """Stop the namespace cache's background refresh (the clients are the caller's)."""
        await self.namespaces.close()


def frontend_registrations(
    config: ClusterConfig,
    history: HistoryClient,
    matching: MatchingClient,
    settings: FrontendSettings | None = None,
) -> list[tuple]:
    """[(add_XServicer_to_server, servicer, full_service_name), ...] for grpcutil.start_server.

    Each servicer has a `.frontend` attribute (the `Frontend`), whose `close()`
    stops the namespace cache's background refresh. Settings default to
    `FrontendSettings.from_env()` (FANFLOW_FRONTEND_* overrides)."""
    return Frontend(config, history, matching, settings).registrations()
