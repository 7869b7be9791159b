"""The UI's connection to the cluster: a gRPC client of the frontend, like any SDK client.

Every call carries the API key of the person using the UI (or none), so the frontend decides
what they may see and do; the UI holds no key of its own."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import grpc

from fanflow.channels import insecure_channel, secure_channel
from protos import admin_service_pb2_grpc, workflow_service_pb2_grpc

CALL_TIMEOUT = 30.0  # seconds; a result wait adds its own wait to this


@dataclass
class UpstreamError(Exception):
    """A call to the frontend failed: its gRPC status and message, unchanged."""

    code: grpc.StatusCode
    message: str
    retry_after: float | None = None

    def __str__(self) -> str:
        return f"{self.code.name}: {self.message}"


class ClusterClient:
    """Stubs of the frontend's WorkflowService and AdminService on one channel."""

    def __init__(self, address: str, *, tls_ca_file: str | None = None):
        self.address = address
        if tls_ca_file:
            self.channel = secure_channel(address, Path(tls_ca_file).read_bytes())
        else:
            self.channel = insecure_channel(address)
        self.workflows = workflow_service_pb2_grpc.WorkflowServiceStub(self.channel)
        self.admin = admin_service_pb2_grpc.AdminServiceStub(self.channel)

    async def close(self) -> None:
        await self.channel.close()

    async def frontend_health(self, timeout: float = 3.0) -> str | None:
        """None when the frontend answers SERVING (grpc.health.v1), else what is wrong."""
        from grpc_health.v1 import health_pb2, health_pb2_grpc

        try:
            response = await health_pb2_grpc.HealthStub(self.channel).Check(health_pb2.HealthCheckRequest(), timeout=timeout)
        except grpc.aio.AioRpcError as exc:
            return f"{exc.code().name}: {exc.details()}"
        return None if response.status == health_pb2.HealthCheckResponse.SERVING else health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)

    async def call(self, service: str, method: str, request, api_key: str | None, *, timeout: float = CALL_TIMEOUT):
        """`service` is "workflows" or "admin"; raises UpstreamError."""
        stub = self.workflows if service == "workflows" else self.admin
        metadata = (("authorization", f"Bearer {api_key}"),) if api_key else None
        try:
            return await getattr(stub, method)(request, metadata=metadata, timeout=timeout)
        except grpc.aio.AioRpcError as exc:
            raise UpstreamError(exc.code(), exc.details() or exc.code().name, _retry_after(exc)) from None


def _retry_after(exc: grpc.aio.AioRpcError) -> float | None:
    from fanflow.tokenbucket import RETRY_AFTER_METADATA

    for key, value in exc.trailing_metadata() or ():
        if key == RETRY_AFTER_METADATA:
            try:
                return float(value)
            except ValueError:
                return None
    return None
