"""Certificates for the TLS tests: fanflow's own maker (fanflow/certs.py, also behind `fanflow
tls generate`), with the tests' defaults: a CA, certificates it signs (for services and
clients, valid for 127.0.0.1 / localhost), an expired one, and a second CA the cluster does
not trust."""
from __future__ import annotations

from pathlib import Path

from fanflow.certs import CertificateAuthority as _CertificateAuthority
from fanflow.certs import Issued

__all__ = ["CertificateAuthority", "Issued"]


class CertificateAuthority(_CertificateAuthority):
    """A test CA (valid 30 days) under `folder`; `issue(name, expired=..., valid_for=...)` as in fanflow.certs."""

    def __init__(self, folder: Path, name: str = "fanflow test CA"):
        super().__init__(folder, name, organization="fanflow tests", valid_days=30)
