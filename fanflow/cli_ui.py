"""The web UI's commands: `fanflow ui`, the UI `fanflow dev` starts, and `fanflow health --http`."""
from __future__ import annotations

import asyncio
import os
import sys

UI_ADDRESS_ENV = "FANFLOW_UI_ADDRESS"


def ui_address_default() -> str:
    from webui.settings import DEFAULT_ADDRESS

    return os.environ.get(UI_ADDRESS_ENV, DEFAULT_ADDRESS)


async def start_dev_ui(address: str, frontend_address: str, tls_ca_file: str | None) -> list:
    """`fanflow dev`'s web UI (a client of its frontend); [] when turned off or it cannot start:
    the cluster serves on either way, and the reason is printed."""
    if address.lower() in ("", "off", "none", "0"):
        return []
    try:
        from webui.server import UiServer
        from webui.settings import UiSettings

        server = await UiServer(UiSettings(frontend_address=frontend_address, address=address, tls_ca_file=tls_ca_file)).start()
    except ModuleNotFoundError as exc:
        print(f"web UI not started: the package {exc.name!r} is missing (pip install 'fanflow[ui]')", flush=True)
        return []
    except (OSError, ValueError) as exc:
        print(f"web UI not started: {exc} (choose another with --ui-address HOST:PORT or {UI_ADDRESS_ENV}; 'off' turns it off)", flush=True)
        return []
    print(f"web UI and HTTP API on {server.url} (API: {server.url}/api/v1, OpenAPI: {server.url}/api/v1/openapi.json)", flush=True)
    return [server]


def cmd_ui(args) -> int:
    """`fanflow ui`: the web UI and HTTP API on their own, for a running cluster."""
    from webui.server import UiServer
    from webui.settings import UiSettings

    try:
        settings = UiSettings(frontend_address=args.frontend, address=args.address, tls_ca_file=args.tls_ca_file, allowed_hosts=args.allowed_host)
    except ValueError as exc:
        print(f"fanflow ui: {exc}", file=sys.stderr)
        return 2

    async def run() -> int:
        import signal

        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            server = await UiServer(settings).start()
        except OSError as exc:
            print(f"fanflow ui: {exc}", file=sys.stderr)
            return 1
        print(f"web UI and HTTP API on {server.url} for the cluster at {settings.frontend_address}", flush=True)
        await stop.wait()
        await server.stop()
        return 0

    return asyncio.run(run())


def check_http_health(url: str, timeout: float) -> int:
    """`fanflow health --http URL`: exit 0 when the URL answers 2xx (the web UI's /healthz)."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            if 200 <= response.status < 300:
                return 0
            problem = f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        problem = f"HTTP {exc.code}: {exc.read(300).decode(errors='replace')}"
    except (urllib.error.URLError, OSError) as exc:
        problem = str(getattr(exc, "reason", exc))
    print(f"unhealthy: {url}: {problem}", file=sys.stderr)
    return 1
