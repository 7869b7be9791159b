"""Certificates for mutual TLS inside a cluster, made with the `cryptography` package: a CA,
and certificates it signs for each service (usable as a server's and as a client's, since
services call each other) or for a client alone (workers, the CLI, grpcurl).

`fanflow tls generate --out DIR --hosts frontend,history-a,...` writes them for operators
(see `generate`); the tests make theirs here too (tests/support/certs.py). Keys are EC P-256,
written unencrypted with mode 0600: keep DIR private and give each process only its own key.
"""
from __future__ import annotations

import datetime
import ipaddress
import os
import re
from dataclasses import dataclass
from pathlib import Path

UTC = datetime.timezone.utc
CA_CERT, CA_KEY = "ca.pem", "ca.key"
_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")


def _x509():
    try:
        from cryptography import x509
    except ImportError:
        raise RuntimeError("making certificates needs the cryptography package: pip install 'fanflow[server]' (or cryptography)") from None
    return x509


def _name(organization: str, common_name: str):
    x509 = _x509()
    from cryptography.x509.oid import NameOID

    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization), x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _key_pem(key) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def _write_private(path: Path, data: bytes) -> None:
    """A key file readable by its owner only, from its first byte."""
    path.unlink(missing_ok=True)
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(handle, "wb") as f:
        f.write(data)


def subject_alt_names(names: list[str]) -> list:
    """SAN entries: IP addresses as such, everything else as a DNS name."""
    x509 = _x509()
    entries = []
    for name in dict.fromkeys(names):  # in order, once each
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return entries


def check_name(name: str, option: str) -> str:
    """A host name or IP address fit for a certificate, else ValueError naming the option."""
    name = name.strip()
    try:
        ipaddress.ip_address(name)
        return name
    except ValueError:
        pass
    if not _NAME.match(name) or ".." in name:
        raise ValueError(f"{option}: {name!r} is not a host name or IP address (letters, digits, '-' and '.')")
    return name


@dataclass
class Issued:
    cert_file: str
    key_file: str
    cert_pem: bytes
    key_pem: bytes


class CertificateAuthority:
    """A CA whose certificate and key live under `folder` (`cert_name` / `key_name`); `issue`
    writes a leaf pair there. `CertificateAuthority.load(folder)` reopens one made before."""

    def __init__(self, folder: Path, name: str = "fanflow CA", *, organization: str = "fanflow", valid_days: float = 3650,
                 cert_name: str | None = None, key_name: str | None = None, _loaded=None):
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        x509 = _x509()
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.name, self.organization = name, organization
        if _loaded is not None:
            self.cert, self.key = _loaded
        else:
            self.key = ec.generate_private_key(ec.SECP256R1())
            now = datetime.datetime.now(UTC)
            self.cert = (
                x509.CertificateBuilder()
                .subject_name(_name(organization, name))
                .issuer_name(_name(organization, name))
                .public_key(self.key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=1))
                .not_valid_after(now + datetime.timedelta(days=valid_days))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                             key_encipherment=False, data_encipherment=False, key_agreement=False,
                                             encipher_only=False, decipher_only=False), critical=True)
                .sign(self.key, hashes.SHA256())
            )
        self.cert_pem = self.cert.public_bytes(serialization.Encoding.PEM)
        self.ca_file = str(self.folder / (cert_name or f"{self._slug(name)}.pem"))
        if _loaded is None:
            Path(self.ca_file).write_bytes(self.cert_pem)
            if key_name:
                _write_private(self.folder / key_name, _key_pem(self.key))

    @classmethod
    def load(cls, folder: Path, cert_name: str = CA_CERT, key_name: str = CA_KEY) -> "CertificateAuthority":
        """The CA saved in `folder` (its certificate and its key)."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.x509.oid import NameOID

        x509 = _x509()
        folder = Path(folder)
        cert = x509.load_pem_x509_certificate((folder / cert_name).read_bytes())
        key = serialization.load_pem_private_key((folder / key_name).read_bytes(), password=None)
        if cert.public_key().public_numbers() != key.public_key().public_numbers():
            raise ValueError(f"{folder / key_name} is not the key of {folder / cert_name}")
        name = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
        orgs = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
        return cls(folder, name, organization=orgs[0].value if orgs else "fanflow", cert_name=cert_name, _loaded=(cert, key))

    @staticmethod
    def _slug(text: str) -> str:
        return "".join(c if c.isalnum() else "-" for c in text).strip("-")

    def issue(self, common_name: str, *, sans: list[str] | None = None, server: bool = True, expired: bool = False,
              not_yet_valid: bool = False, valid_for: float | None = None, valid_days: float = 10,
              file_stem: str | None = None, cert_suffix: str = ".crt") -> Issued:
        """A certificate for `common_name`, its SANs `sans` (default: localhost, the name, 127.0.0.1);
        `server`: usable as a server's too (else a client's alone). `expired`: valid from 10 days
        ago until yesterday; `not_yet_valid`: from tomorrow; `valid_for`: expires that many
        seconds from now; otherwise valid for `valid_days`."""
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID

        x509 = _x509()
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(UTC)
        if expired:
            not_before, not_after = now - datetime.timedelta(days=10), now - datetime.timedelta(days=1)
        elif valid_for is not None:
            not_before, not_after = now - datetime.timedelta(hours=1), now + datetime.timedelta(seconds=valid_for)
        elif not_yet_valid:
            not_before, not_after = now + datetime.timedelta(days=1), now + datetime.timedelta(days=10)
        else:
            not_before, not_after = now - datetime.timedelta(hours=1), now + datetime.timedelta(days=valid_days)
        usages = [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH] if server else [ExtendedKeyUsageOID.CLIENT_AUTH]
        names = sans if sans is not None else ["localhost", common_name, "127.0.0.1"]
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(self.organization, common_name))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        )
        if names:
            builder = builder.add_extension(x509.SubjectAlternativeName(subject_alt_names(names)), critical=False)
        cert = builder.sign(self.key, hashes.SHA256())
        stem = file_stem or self._slug(common_name)
        cert_pem, key_pem = cert.public_bytes(serialization.Encoding.PEM), _key_pem(key)
        cert_file, key_file = self.folder / f"{stem}{cert_suffix}", self.folder / f"{stem}.key"
        cert_file.write_bytes(cert_pem)
        _write_private(key_file, key_pem)
        return Issued(str(cert_file), str(key_file), cert_pem, key_pem)


def generate(out: Path, hosts: list[str], *, clients: list[str] = (), sans: list[str] = (), days: float = 365,
             ca_days: float = 3650, force: bool = False) -> list[str]:
    """What `fanflow tls generate` writes into `out`: the CA (ca.pem, ca.key: made unless both
    are there already, then reused), and for each of `hosts` NAME.pem / NAME.key (server and
    client use, SANs: the name and `sans`), for each of `clients` NAME.pem / NAME.key (client
    use only, SAN: the name). Existing files of a host or client are kept unless `force`. Returns the lines
    to print (what was written)."""
    hosts = [check_name(h, "--hosts") for h in hosts if h.strip()]
    clients = [check_name(c, "--clients") for c in clients if c.strip()]
    sans = [check_name(s, "--san") for s in sans if s.strip()]
    if not hosts and not clients:
        raise ValueError("--hosts: give at least one service name (e.g. --hosts frontend,history-a,matching-a)")
    twice = sorted({n for n in hosts + clients if (hosts + clients).count(n) > 1} | ({CA_CERT[:-4]} & set(hosts + clients)))
    if twice:
        raise ValueError(f"--hosts / --clients: each name once, and not 'ca' (it names the CA's files): {', '.join(twice)}")
    if days <= 0 or ca_days <= 0:
        raise ValueError("--days and --ca-days must be positive")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    lines = []
    if (out / CA_CERT).exists() and (out / CA_KEY).exists():
        ca = CertificateAuthority.load(out)
        lines.append(f"reused the CA in {out / CA_CERT} (and {CA_KEY})")
    elif (out / CA_CERT).exists() or (out / CA_KEY).exists():
        present = CA_CERT if (out / CA_CERT).exists() else CA_KEY
        raise ValueError(f"--out: {out} holds {present} but not its pair; move it aside, or put both there to reuse that CA")
    else:
        ca = CertificateAuthority(out, "fanflow CA", valid_days=ca_days, cert_name=CA_CERT, key_name=CA_KEY)
        lines.append(f"wrote the CA: {out / CA_CERT} (give it to every process) and {out / CA_KEY} (keep it private: it signs certificates)")
    for name, server in [(h, True) for h in hosts] + [(c, False) for c in clients]:
        if not force and ((out / f"{name}.pem").exists() or (out / f"{name}.key").exists()):
            lines.append(f"kept {out / name}.pem and .key (already there; --force writes new ones)")
            continue
        ca.issue(name, sans=[name, *sans] if server else [name], server=server, valid_days=days, file_stem=name, cert_suffix=".pem")
        what = "server and client" if server else "client"
        names = ", ".join(dict.fromkeys([name, *sans] if server else [name]))
        lines.append(f"wrote {out / name}.pem and {out / name}.key ({what}; names: {names}; valid {days:g} days)")
    return lines
