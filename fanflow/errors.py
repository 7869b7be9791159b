"""Errors that map one-to-one onto gRPC status codes.

Services raise these; `grpcutil.rpc_method` turns them into a status with the
message intact, so a client always learns what to fix.
"""
from __future__ import annotations

import grpc


class FanflowError(Exception):
    code: grpc.StatusCode = grpc.StatusCode.INTERNAL
    trailing_metadata: tuple[tuple[str, str], ...] = ()  # sent with the status (e.g. a retry-after)

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidArgument(FanflowError):
    code = grpc.StatusCode.INVALID_ARGUMENT


class NotFound(FanflowError):
    code = grpc.StatusCode.NOT_FOUND


class AlreadyExists(FanflowError):
    code = grpc.StatusCode.ALREADY_EXISTS


class FailedPrecondition(FanflowError):
    code = grpc.StatusCode.FAILED_PRECONDITION


class ResourceExhausted(FanflowError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED


class Unavailable(FanflowError):
    code = grpc.StatusCode.UNAVAILABLE


class DeadlineExceeded(FanflowError):
    """A wait ended before its outcome (e.g. no worker answered a query in time)."""

    code = grpc.StatusCode.DEADLINE_EXCEEDED


class ShardOwnershipLost(Unavailable):
    """Another history process took the shard (its range id moved past ours)."""


class ShardHeld(Unavailable):
    """Live membership: the shard's owner is alive (its lease has not run out); it was not taken."""


class PermissionDenied(FanflowError):
    code = grpc.StatusCode.PERMISSION_DENIED


class Unauthenticated(FanflowError):
    code = grpc.StatusCode.UNAUTHENTICATED
