"""Task tokens: what a worker hands back to complete, fail or heartbeat a task.

A token (`internal.TaskToken`) names the run, the task and the shard that issued
it, and is signed by that shard (HMAC-SHA256 with the shard's key), so a worker
can neither forge a token for someone else's task nor alter one. The frontend
decodes it to check and route the call; the history shard decodes it again (it
cannot trust bytes that crossed the network) and checks the signature.
"""
from __future__ import annotations

import hashlib
import hmac

from google.protobuf.message import DecodeError

from fanflow.errors import InvalidArgument
from protos import internal_pb2


def malformed(why: str) -> InvalidArgument:
    return InvalidArgument(f"malformed task token: {why}; pass the task_token exactly as the poll response gave it")


def decode(raw: bytes) -> internal_pb2.TaskToken:
    """The token in `raw`, or InvalidArgument saying why it is not one."""
    if not raw:
        raise malformed("task_token is empty")
    token = internal_pb2.TaskToken()
    try:
        token.ParseFromString(raw)
    except (DecodeError, ValueError) as exc:
        raise malformed(f"it does not decode ({exc})") from None
    return token


def _mac(key: bytes, token: internal_pb2.TaskToken) -> bytes:
    unsigned = internal_pb2.TaskToken()
    unsigned.CopyFrom(token)
    unsigned.ClearField("mac")
    return hmac.new(key, unsigned.SerializeToString(deterministic=True), hashlib.sha256).digest()


def sign(key: bytes, token_bytes: bytes) -> bytes:
    token = internal_pb2.TaskToken.FromString(token_bytes)
    token.mac = _mac(key, token)
    return token.SerializeToString(deterministic=True)


def verify(key: bytes, token: internal_pb2.TaskToken) -> bool:
    return bool(token.mac) and hmac.compare_digest(token.mac, _mac(key, token))
