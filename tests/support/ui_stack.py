"""What the web UI's tests share: the UI server in the test's process against a cluster, and
answers checked against the server's own OpenAPI document."""
from __future__ import annotations

import contextlib
import re

import jsonschema


@contextlib.asynccontextmanager
async def ui_server(frontend_address: str):
    """The web UI and HTTP API on a free loopback port, a client of `frontend_address`."""
    from webui.server import UiServer
    from webui.settings import UiSettings

    server = await UiServer(UiSettings(frontend_address=frontend_address, address="127.0.0.1:0")).start()
    try:
        yield server
    finally:
        await server.stop()


class OpenApiCheck:
    """Checks answers against the OpenAPI document and remembers which operations were seen."""

    def __init__(self, document: dict):
        self.document = document
        self.seen: set[tuple[str, str]] = set()
        templates = []
        for template in document["paths"]:
            pattern = re.escape(template)
            pattern = pattern.replace(r"\{workflow_id\}", "(.+)").replace(r"\{name\}", "(.+)")
            pattern = re.sub(r"\\\{[a-z_]+\\\}", "([^/]+)", pattern)
            literal = len(re.sub(r"\{[a-z_]+\}", "", template))
            templates.append((literal, template, re.compile(f"^{pattern}$")))
        self.templates = sorted(templates, key=lambda t: -t[0])  # the most literal template first

    def operation(self, method: str, path: str) -> tuple[str, dict]:
        for _, template, pattern in self.templates:
            if pattern.match(path) and method.lower() in self.document["paths"][template]:
                return template, self.document["paths"][template][method.lower()]
        raise AssertionError(f"{method} {path} is not in the OpenAPI document")

    def check(self, response) -> None:
        """The answer's status is documented for its operation and its JSON body fits the schema."""
        request = response.request
        path = request.url.path
        template, operation = self.operation(request.method, path)
        self.seen.add((template, request.method.lower()))
        status = str(response.status_code)
        assert status in operation["responses"], f"{request.method} {template} answered {status}, not documented ({sorted(operation['responses'])})"
        content = operation["responses"][status].get("content", {})
        if "application/json" not in content:
            return
        schema = {**content["application/json"]["schema"], "components": self.document["components"]}
        jsonschema.Draft202012Validator(schema).validate(response.json())
