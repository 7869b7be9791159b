"""How the UI server runs: where it listens, which frontend it asks, how it trusts hosts."""
from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_ADDRESS = "127.0.0.1:8233"  # Temporal's UI port, which users know


def split_address(address: str, what: str = "address") -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"{what} must be host:port (e.g. 127.0.0.1:8233), got {address!r}")
    return host.strip("[]"), int(port)


@dataclass
class UiSettings:
    frontend_address: str = "127.0.0.1:7233"
    address: str = DEFAULT_ADDRESS
    tls_ca_file: str | None = None  # the frontend's CA, when it serves TLS
    allowed_hosts: list[str] = field(default_factory=list)  # extra Host names accepted when bound to loopback
    stream_interval: float = 1.0  # seconds between progress reads of a stream (the page may ask for less)

    def __post_init__(self) -> None:
        split_address(self.address, "the UI address")
        split_address(self.frontend_address, "the frontend address")
