"""fanflow's channels (fanflow/channels.py) reach a service again soon after it comes back.

gRPC's own reconnect backoff grows from 1 s to 120 s and fails calls at once while it waits: after
twenty seconds of a service being down, a channel with the defaults tries again only about 6 s
after the service is back (its attempts come 1, 1.6, 2.6, 4.1, 6.6, 10.5 s apart). fanflow caps
that wait at 2 s."""
from __future__ import annotations

import asyncio
import time

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from fanflow.channels import insecure_channel
from conftest import free_port


async def _serve(port: int) -> grpc.aio.Server:
    server = grpc.aio.server()
    health_pb2_grpc.add_HealthServicer_to_server(health.aio.HealthServicer(), server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    return server


async def test_a_channel_reaches_a_restarted_service_within_two_seconds_of_its_return():
    port = free_port()
    server = await _serve(port)
    channel = insecure_channel(f"127.0.0.1:{port}")
    stub = health_pb2_grpc.HealthStub(channel)
    try:
        await stub.Check(health_pb2.HealthCheckRequest(), timeout=5)
        await server.stop(None)
        down_until = time.monotonic() + 20.0
        while time.monotonic() < down_until:  # a client retrying while the service is down
            try:
                await stub.Check(health_pb2.HealthCheckRequest(), timeout=1)
            except grpc.aio.AioRpcError:
                pass
            await asyncio.sleep(0.2)
        server = await _serve(port)
        back = time.monotonic()
        while True:
            try:
                await stub.Check(health_pb2.HealthCheckRequest(), timeout=1)
                break
            except grpc.aio.AioRpcError:
                assert time.monotonic() - back < 4.0, "the channel did not try the service again within 4 s of its return"
                await asyncio.sleep(0.05)
    finally:
        await channel.close()
        await server.stop(None)
