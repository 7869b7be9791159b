"""Hosts of their own on this machine: one Linux network namespace per service.

Each namespace has one veth whose other end is on a bridge made for the run, and an
address of the run's own subnet (10.213.N.0/24); the harness itself reaches them through
the bridge's address. A partition between two hosts is a pair of iptables DROP rules in
one of the namespaces (everything to and from the other's address): real packets dropped,
established connections included, both processes up. Healing deletes the rules.

The machine's FORWARD policy may drop bridged packets (Docker sets it to DROP while
br_netfilter is loaded), so the bridge gets an ACCEPT rule of its own, removed at the end.
Needs root and iproute2 + iptables; `unsupported()` says why not when they are missing.
"""
from __future__ import annotations

import subprocess
from dataclasses import dataclass, field


def _run(*argv: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(argv, capture_output=True, text=True)
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {done.stderr.strip() or done.stdout.strip()}")
    return done


def unsupported() -> str | None:
    """Why network namespaces cannot be used here, or None."""
    probe = "ffprobe0"
    try:
        done = _run("ip", "netns", "add", probe, check=False)
    except FileNotFoundError:
        return "the ip command (iproute2) is not installed"
    if done.returncode != 0:
        return f"ip netns add failed: {done.stderr.strip()}"
    try:
        rules = _run("ip", "netns", "exec", probe, "iptables", "-S", check=False)
        if rules.returncode != 0:
            return f"iptables does not work in a network namespace: {rules.stderr.strip()}"
    except FileNotFoundError:
        return "iptables is not installed"
    finally:
        _run("ip", "netns", "del", probe, check=False)
    return None


@dataclass
class Host:
    name: str
    namespace: str | None  # None: an alias (an address outside the run's namespaces, see Hosts.alias)
    address: str  # the IPv4 address of its veth
    veth: str  # the namespace end
    partitioned_from: set[str] = field(default_factory=set)


class Hosts:
    """The hosts of one run. `tag`: 1-4 lowercase letters/digits, unique among runs on the machine."""

    def __init__(self, tag: str, subnet: int):
        self.tag = tag
        self.prefix = f"10.213.{subnet}"
        self.bridge = f"ffb{tag}"
        self.gateway = f"{self.prefix}.1"
        self.hosts: dict[str, Host] = {}
        self.retired: list[Host] = []  # hosts whose address moved to a new one (takeover)
        self._made = 0
        _run("ip", "link", "add", self.bridge, "type", "bridge")
        _run("ip", "addr", "add", f"{self.gateway}/24", "dev", self.bridge)
        _run("ip", "link", "set", self.bridge, "up")
        _run("iptables", "-I", "FORWARD", "-i", self.bridge, "-o", self.bridge, "-j", "ACCEPT")

    def add(self, name: str, address: str | None = None) -> Host:
        """A new namespace for `name` (its address: the next free one, or `address`)."""
        fresh = self._next_address()
        n = self._made
        namespace, outside, inside = f"ff{self.tag}-{n}", f"ff{self.tag}h{n}", f"ff{self.tag}n{n}"
        address = address or fresh
        _run("ip", "netns", "add", namespace)
        _run("ip", "link", "add", outside, "type", "veth", "peer", "name", inside)
        _run("ip", "link", "set", outside, "master", self.bridge, "up")
        _run("ip", "link", "set", inside, "netns", namespace)
        _run("ip", "-n", namespace, "addr", "add", f"{address}/24", "dev", inside)
        _run("ip", "-n", namespace, "link", "set", inside, "up")
        _run("ip", "-n", namespace, "link", "set", "lo", "up")
        host = Host(name, namespace, address, inside)
        if name in self.hosts:
            self.retired.append(self.hosts[name])
        self.hosts[name] = host
        return host

    def alias(self, name: str, address: str) -> Host:
        """A name for an address that is no host of the run (e.g. a database on this machine,
        reached at the bridge's address): partitions from it are DROP rules on the other side."""
        host = Host(name, None, address, "")
        self.hosts[name] = host
        return host

    def _next_address(self) -> str:
        self._made += 1
        if 10 + self._made > 254:
            raise RuntimeError(f"no address left in {self.prefix}.0/24 for another host")
        return f"{self.prefix}.{10 + self._made}"

    def move(self, name: str, readdress_old: bool = False) -> Host:
        """A new host for `name` with the same address, taken from the old one (whose processes
        keep running there, cut off from everyone; `readdress_old`: the old host gets a new
        address of its own, so they can still reach others, but no one reaches them at the old
        address). Neighbour caches are flushed so packets go to the new one at once."""
        old = self.hosts[name]
        for other in list(old.partitioned_from):
            self.heal(name, other)
        _run("ip", "-n", old.namespace, "addr", "del", f"{old.address}/24", "dev", old.veth)
        if readdress_old:
            _run("ip", "-n", old.namespace, "addr", "add", f"{self._next_address()}/24", "dev", old.veth)
            # Its connections from the old address are dead (replies go to the new host): reset
            # them now, so it reconnects from the new address at once instead of after TCP's timeouts.
            _run("ip", "netns", "exec", old.namespace, "ss", "-K", "state", "established", check=False)
        host = self.add(name, old.address)
        for h in self.hosts.values():
            if h.namespace is not None:
                _run("ip", "-n", h.namespace, "neigh", "flush", "all", check=False)
        _run("ip", "neigh", "flush", "dev", self.bridge, check=False)
        return host

    def drop_retired(self) -> None:
        for host in self.retired:
            _run("ip", "netns", "del", host.namespace, check=False)
        self.retired.clear()

    def argv(self, name: str, argv: list[str]) -> list[str]:
        """`argv` run on host `name`."""
        return ["ip", "netns", "exec", self.hosts[name].namespace, *argv]

    def _rules(self, a: Host, b: Host, op: str, check: bool = True) -> None:
        _run("ip", "netns", "exec", a.namespace, "iptables", op, "INPUT", "-s", b.address, "-j", "DROP", check=check)
        _run("ip", "netns", "exec", a.namespace, "iptables", op, "OUTPUT", "-d", b.address, "-j", "DROP", check=check)

    def partition(self, a: str, b: str) -> None:
        """Drop every packet between hosts a and b."""
        host_a, host_b = self.hosts[a], self.hosts[b]
        if b in host_a.partitioned_from:
            return
        if host_a.namespace is None:  # an alias: the rules go on the other side
            host_a, host_b = host_b, host_a
        self._rules(host_a, host_b, "-A")
        host_a.partitioned_from.add(b)
        host_b.partitioned_from.add(a)

    def heal(self, a: str, b: str) -> None:
        host_a, host_b = self.hosts[a], self.hosts[b]
        if b not in host_a.partitioned_from:
            return
        holder, other = (host_a, host_b) if host_a.namespace is not None and _run(
            "ip", "netns", "exec", host_a.namespace, "iptables", "-C", "INPUT", "-s", host_b.address, "-j", "DROP", check=False).returncode == 0 else (host_b, host_a)
        self._rules(holder, other, "-D", check=False)
        host_a.partitioned_from.discard(b)
        host_b.partitioned_from.discard(a)

    def heal_all(self) -> None:
        for host in list(self.hosts.values()):
            for other in list(host.partitioned_from):
                self.heal(host.name, other)

    def teardown(self) -> None:
        self.drop_retired()
        for host in self.hosts.values():
            if host.namespace is not None:
                _run("ip", "netns", "del", host.namespace, check=False)
        _run("iptables", "-D", "FORWARD", "-i", self.bridge, "-o", self.bridge, "-j", "ACCEPT", check=False)
        _run("ip", "link", "del", self.bridge, check=False)
        self.hosts.clear()
