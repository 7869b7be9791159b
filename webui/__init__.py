"""fanflow's web UI and HTTP API (`fanflow ui`, started by `fanflow dev` on 127.0.0.1:8233).

An HTTP server that is a plain gRPC client of a cluster's frontend, so it works the same
against `fanflow dev` and a multi-process cluster:

- `cluster.py`: the frontend's stubs; each call carries the caller's API key; gRPC errors
  become `UpstreamError` with their status and message.
- `listing.py`: list and count workflows with filters (the one place that knows how).
- `convert.py`: protobuf messages as JSON (payloads decoded, enums by name, times ISO 8601).
- `api.py` + `models.py`: the JSON API under /api/v1 (FastAPI; its OpenAPI document is
  /api/v1/openapi.json); `stream.py`: the server-sent-events stream of a workflow.
- `timeline.py`: activity executions and timers of a run, from its history.
- `security.py`: API keys (header or login session), cross-site request checks, Host checks.
- `pages.py` + `templates/` + `static/`: the pages (Jinja2 with autoescaping, plain JS).
- `server.py`: the app and how to serve it (on its own or inside `fanflow dev`).
"""
