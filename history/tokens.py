"""Task tokens are signed by the shard that issued them (HMAC-SHA256), so a
worker can neither forge a token for someone else's task nor alter one."""
from __future__ import annotations

import hashlib
import hmac

from protos import internal_pb2


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
