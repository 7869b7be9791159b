"""Conversions between time (unix seconds or nanoseconds, aware UTC ``datetime``,
``timedelta``) and protobuf Timestamp / Duration."""
from __future__ import annotations

import datetime

from google.protobuf import duration_pb2, timestamp_pb2


def ts_from_ns(ns: int) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromNanoseconds(ns)
    return ts


def ts_from_seconds(seconds: float) -> timestamp_pb2.Timestamp:
    return ts_from_ns(int(seconds * 1e9))


def ts_to_seconds(ts: timestamp_pb2.Timestamp) -> float:
    return ts.ToNanoseconds() / 1e9


def utc_datetime(seconds: float) -> datetime.datetime:
    """Unix seconds as an aware UTC ``datetime``."""
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)


def ts_to_datetime(ts: timestamp_pb2.Timestamp) -> datetime.datetime:
    return utc_datetime(ts_to_seconds(ts))


def duration(seconds: float) -> duration_pb2.Duration:
    d = duration_pb2.Duration()
    d.FromNanoseconds(int(seconds * 1e9))
    return d


def seconds(d: duration_pb2.Duration) -> float:
    return d.ToNanoseconds() / 1e9


def duration_from_timedelta(td: datetime.timedelta) -> duration_pb2.Duration:
    return duration(td.total_seconds())


def duration_to_timedelta(d: duration_pb2.Duration) -> datetime.timedelta:
    return datetime.timedelta(seconds=seconds(d))
