"""The web UI's pure parts: cross-site and Host checks, protobuf -> JSON, the timeline, the
listening socket (TCP, so asyncio sets TCP_NODELAY on each connection)."""
from __future__ import annotations

import socket

from protos import common_pb2
from webui import convert
from webui.security import cross_site_problem, host_allowed, is_loopback_bind
from webui.server import bind
from webui.timeline import build_timeline

HOST = {"host": "127.0.0.1:8233"}


def test_changes_from_other_sites_are_refused():
    assert cross_site_problem("GET", {**HOST, "origin": "http://evil.example"}, {}) is None  # reads are not changes
    assert "cross-site" in cross_site_problem("POST", {**HOST, "origin": "http://evil.example"}, {})
    assert "null" in cross_site_problem("POST", {**HOST, "origin": "null"}, {})
    assert "Sec-Fetch-Site" in cross_site_problem("POST", {**HOST, "sec-fetch-site": "same-site"}, {})
    assert cross_site_problem("POST", HOST, {}) is None  # a plain HTTP client: no cookie, no Origin
    assert cross_site_problem("POST", {**HOST, "authorization": "Bearer k"}, {"fanflow_csrf": "t"}) is None
    assert "X-CSRF-Token" in cross_site_problem("POST", {**HOST, "origin": "http://127.0.0.1:8233"}, {"fanflow_csrf": "t"})
    assert "X-CSRF-Token" in cross_site_problem("POST", {**HOST, "x-csrf-token": "u"}, {"fanflow_csrf": "t"})
    assert cross_site_problem("POST", {**HOST, "origin": "http://127.0.0.1:8233", "x-csrf-token": "t"}, {"fanflow_csrf": "t"}) is None


def test_a_loopback_ui_answers_loopback_host_names_only():
    allowed = frozenset({"localhost", "127.0.0.1", "[::1]"})
    assert host_allowed("127.0.0.1:8233", allowed) and host_allowed("localhost:8233", allowed) and host_allowed("[::1]:8233", allowed)
    assert not host_allowed("evil.example:8233", allowed) and not host_allowed("127.0.0.1.evil.example", allowed)
    assert host_allowed("anything", None)
    assert is_loopback_bind("127.0.0.1") and is_loopback_bind("::1") and not is_loopback_bind("0.0.0.0")


def test_events_become_json_with_payloads_decoded():
    e = common_pb2.HistoryEvent(event_id=7, event_type=common_pb2.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)
    e.workflow_execution_signaled.signal_name = "approve"
    e.workflow_execution_signaled.input.CopyFrom(common_pb2.Payload(data=b'"<script>"', encoding="json/plain"))
    e.event_time.FromSeconds(1_700_000_000)
    assert convert.event(e) == {"event_id": 7, "time": "2023-11-14T22:13:20Z", "type": "WorkflowExecutionSignaled",
                                "attributes": {"signal_name": "approve", "input": "<script>"}}
    assert convert.payload_value(common_pb2.Payload(data=b"\x00\x01", encoding="binary/plain")) == {"encoding": "binary/plain", "base64": "AAE="}
    assert convert.status_name(common_pb2.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW) == "continued_as_new"


def test_the_timeline_pairs_starts_with_their_ends():
    def event(event_id, seconds, **attributes):
        e = common_pb2.HistoryEvent(event_id=event_id)
        e.event_time.FromSeconds(seconds)
        for name, value in attributes.items():
            getattr(e, name).CopyFrom(value)
        return e

    events = [
        event(5, 10, activity_task_scheduled=common_pb2.ActivityTaskScheduledEventAttributes(activity_type=common_pb2.ActivityType(name="a"))),
        event(6, 11, activity_task_scheduled=common_pb2.ActivityTaskScheduledEventAttributes(activity_type=common_pb2.ActivityType(name="b"))),
        event(7, 12, timer_started=common_pb2.TimerStartedEventAttributes(timer_id="t1")),
        event(8, 13, activity_task_started=common_pb2.ActivityTaskStartedEventAttributes(scheduled_event_id=5, attempt=2)),
        event(9, 13, activity_task_failed=common_pb2.ActivityTaskFailedEventAttributes(scheduled_event_id=5)),
        event(10, 14, timer_fired=common_pb2.TimerFiredEventAttributes(timer_id="t1")),
        event(11, 15, workflow_execution_signaled=common_pb2.WorkflowExecutionSignaledEventAttributes(signal_name="go")),
    ]
    spans = {s["name"]: s for s in build_timeline(events)}
    assert spans["a"]["outcome"] == "failed" and spans["a"]["attempt"] == 2 and spans["a"]["last_event_id"] == 9
    assert spans["b"]["outcome"] == "pending" and "end" not in spans["b"]
    assert spans["t1"]["kind"] == "timer" and spans["t1"]["outcome"] == "fired"
    assert spans["go"]["kind"] == "signal" and spans["go"]["start"] == spans["go"]["end"]


def test_the_listening_socket_is_tcp():
    sock = bind("127.0.0.1:0")
    try:
        assert sock.proto == socket.IPPROTO_TCP and sock.getsockname()[1] > 0
    finally:
        sock.close()
