"""gRPC channels with fanflow's limits: what clients (the SDK, the CLI, services calling
each other) dial with. Client-side only: importing it pulls in no server code."""
from __future__ import annotations

import grpc

# History pages and poll responses carry many payloads of up to 2 MB each.
MAX_MESSAGE_BYTES = 64 * 1024 * 1024

CHANNEL_OPTIONS = [
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.enable_retries", 1),
    # After failed connects gRPC waits longer and longer before trying again (1 s growing to 120 s
    # by default) and fails calls at once meanwhile: a service back after a restart of a few
    # seconds would stay unreachable for tens of seconds. Try again within 2 s at most.
    # (Not grpc.min_reconnect_backoff_ms: gRPC also takes it as the connect timeout, and a
    # handshake on a loaded machine takes longer than a short one.)
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 2000),
]


def insecure_channel(address: str, interceptors: list | None = None) -> grpc.aio.Channel:
    return grpc.aio.insecure_channel(address, options=CHANNEL_OPTIONS, interceptors=interceptors or None)


def secure_channel(address: str, root_certificates: bytes | None = None, interceptors: list | None = None, *,
                   private_key: bytes | None = None, certificate_chain: bytes | None = None, server_name: str = "") -> grpc.aio.Channel:
    """TLS; with private_key + certificate_chain the channel presents a client certificate
    (mutual TLS). server_name: the name to check the server's certificate against instead
    of the dialled host."""
    credentials = grpc.ssl_channel_credentials(root_certificates=root_certificates, private_key=private_key, certificate_chain=certificate_chain)
    return credentials_channel(address, credentials, interceptors, server_name=server_name)


def credentials_channel(address: str, credentials: grpc.ChannelCredentials, interceptors: list | None = None, *, server_name: str = "") -> grpc.aio.Channel:
    options = CHANNEL_OPTIONS + ([("grpc.ssl_target_name_override", server_name)] if server_name else [])
    return grpc.aio.secure_channel(address, credentials, options=options, interceptors=interceptors or None)
