"""The web UI's commands as processes: `fanflow dev` whose UI address is taken says why it has no
UI and serves the cluster anyway; `fanflow ui` serves a running cluster; `fanflow health --http`
(the compose `ui` service's health check) says whether it answers."""
from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx

from conftest import ROOT, free_port, wait_for_port


def wait_for_log(proc, text: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log = open(proc.log_path, encoding="utf-8", errors="replace").read()
        if text in log:
            return log
        assert proc.poll() is None, f"exited {proc.returncode} before printing {text!r}:\n{log[-3000:]}"
        time.sleep(0.1)
    raise AssertionError(f"{text!r} not printed in {timeout} s:\n{log[-3000:]}")


def health(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fanflow.cli", "health", *args], cwd=ROOT, capture_output=True, text=True, timeout=30)


def test_dev_without_its_ui_port_serves_the_cluster_and_fanflow_ui_serves_it(processes, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        taken_address = "127.0.0.1:%d" % taken.getsockname()[1]
        port = free_port()
        dev = processes.fanflow("dev", "--port", str(port), "--data-dir", str(tmp_path / "data"), "--ui-address", taken_address, name="dev")
        wait_for_port(port, proc=dev)
        log = wait_for_log(dev, "web UI not started")
        assert "choose another with --ui-address HOST:PORT or FANFLOW_UI_ADDRESS; 'off' turns it off" in log
    assert health(f"127.0.0.1:{port}").returncode == 0  # the cluster serves without its UI

    ui_port = free_port()
    ui = processes.fanflow("ui", "--address", f"127.0.0.1:{ui_port}", "--frontend", f"127.0.0.1:{port}", name="ui")
    wait_for_port(ui_port, proc=ui)
    wait_for_log(ui, f"web UI and HTTP API on http://127.0.0.1:{ui_port} for the cluster at 127.0.0.1:{port}")
    assert health("--http", f"http://127.0.0.1:{ui_port}/healthz").returncode == 0
    namespaces = httpx.get(f"http://127.0.0.1:{ui_port}/api/v1/namespaces", timeout=30)
    assert namespaces.status_code == 200 and "default" in namespaces.text

    processes.kill(ui)
    down = health("--http", f"http://127.0.0.1:{ui_port}/healthz", "--timeout", "2")
    assert down.returncode == 1 and down.stderr.startswith(f"unhealthy: http://127.0.0.1:{ui_port}/healthz:"), down.stderr


def test_fanflow_ui_refuses_a_bad_address():
    out = subprocess.run([sys.executable, "-m", "fanflow.cli", "ui", "--address", "no-port-here"], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert out.returncode == 2 and out.stderr.startswith("fanflow ui: "), out.stderr
