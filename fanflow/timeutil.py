"""Conversions between time (unix seconds or nanoseconds) and protobuf Timestamp / Duration."""
from __future__ import annotations

from google.protobuf import duration_pb2, timestamp_pb2


def ts_from_ns(ns: int) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromNanoseconds(ns)
    return ts


def ts_from_seconds(seconds: float) -> timestamp_pb2.Timestamp:
    return ts_from_ns(int(seconds * 1e9))


def ts_to_seconds(ts: timestamp_pb2.Timestamp) -> float:
    return ts.ToNanoseconds() / 1e9


def duration(seconds: float) -> duration_pb2.Duration:
    d = duration_pb2.Duration()
    d.FromNanoseconds(int(seconds * 1e9))
    return d


def seconds(d: duration_pb2.Duration) -> float:
    return d.ToNanoseconds() / 1e9
